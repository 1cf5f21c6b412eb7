"""GET /metrics: Prometheus' text format. Values sampled rather than counted (the pool, the
active model versions) are read just before the answer is written."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from maestro_graph.observability import pool, prometheus
from maestro_graph.observability.active_models import ActiveModels, ReadActiveModels


def metrics_endpoint(read_active_models: ReadActiveModels) -> Callable[[Request], Awaitable[Response]]:
    """The /metrics endpoint of one app; `read_active_models` reads the active model versions
    from the graph (see `active_models`)."""
    active_models = ActiveModels(read_active_models)

    async def scrape(request: Request) -> Response:
        db = getattr(request.app.state, "db", None)
        if db is not None:
            pool.sample(db.driver)
            await active_models.refresh(db)
        return Response(prometheus.exposition(), media_type=prometheus.CONTENT_TYPE)

    return scrape
