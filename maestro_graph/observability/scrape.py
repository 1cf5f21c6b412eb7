"""GET /metrics: Prometheus' text format. Values sampled rather than counted (the pool, the
active model versions) are read just before the answer is written."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from maestro_graph.observability import pool, prometheus
from maestro_graph.observability.active_models import ActiveModels, ReadActiveModels


def metrics_endpoint(
    read_active_models: ReadActiveModels, model_max_age_seconds: float
) -> Callable[[Request], Awaitable[Response]]:
    """The /metrics endpoint of one app; `read_active_models` reads the active model versions
    from the graph (see `active_models`); `model_max_age_seconds` is shown for the alert that
    finds a stale model, so the age allowed is configured once, with the app."""
    active_models = ActiveModels(read_active_models)
    prometheus.MODEL_MAX_AGE.set(model_max_age_seconds)

    async def scrape(request: Request) -> Response:
        db = getattr(request.app.state, "db", None)
        if db is not None:
            pool.sample(db.driver)
            await active_models.refresh(db)
        return Response(prometheus.exposition(), media_type=prometheus.CONTENT_TYPE)

    return scrape
