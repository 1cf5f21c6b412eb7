"""GET /metrics: Prometheus' text format. Values sampled rather than counted (the pool, the
active model versions) are read just before the answer is written."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from maestro_graph.observability import metrics, pool
from maestro_graph.observability.models import ActiveModels


async def metrics_endpoint(request: Request) -> Response:
    state = request.app.state
    db = getattr(state, "db", None)
    if db is not None:
        pool.sample(db.driver)
        if getattr(state, "active_models", None) is None:
            state.active_models = ActiveModels()
        await state.active_models.refresh(db)
    return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)
