"""The Starlette application: /graphql (GraphiQL in the dev profile), /healthz, /readyz."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import neo4j
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL

from maestro_graph.config import Settings, get_settings
from maestro_graph.db import migrations
from maestro_graph.db.connection import Neo4jTarget, open_async_driver, resolve_target
from maestro_graph.db.graph import GraphDB, start_counting
from maestro_graph.graphql.context import Context
from maestro_graph.graphql.schema import build_schema

log = logging.getLogger("maestro_graph.app")

_APPLIED_IDS = "MATCH (m:Migration) RETURN collect(m.id) AS ids"


class GraphQLApp(GraphQL):
    def __init__(self, settings: Settings):
        schema = build_schema(mask_errors=not settings.is_dev, introspection=settings.is_dev)
        super().__init__(schema, graphql_ide="graphiql" if settings.is_dev else None, allow_queries_via_get=False)
        self.settings = settings

    async def get_context(self, request: Any, response: Any) -> Context:
        return Context(
            db=request.app.state.db,
            settings=self.settings,
            request=request,
            response=response,
            round_trips=start_counting(),
        )


async def healthz(request: Request) -> JSONResponse:
    """The process is up; says nothing about Neo4j (that is /readyz)."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready when Neo4j answers and every migration in cypher/migrations is applied."""
    db: GraphDB = request.app.state.db
    expected = {m.id for m in migrations.load_migrations()}
    try:
        rows = await db.query(_APPLIED_IDS)
    except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError, OSError) as error:
        return JSONResponse({"status": "unavailable", "neo4j": "unreachable", "error": type(error).__name__}, 503)
    missing = sorted(expected - set(rows[0]["ids"]))
    if missing:
        return JSONResponse({"status": "unavailable", "neo4j": "ok", "pendingMigrations": missing}, 503)
    return JSONResponse({"status": "ok", "neo4j": "ok"})


def create_app(settings: Settings | None = None, target: Neo4jTarget | None = None) -> Starlette:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        resolved = target or resolve_target(settings)
        app.state.db = GraphDB(open_async_driver(resolved), resolved.database)
        if settings.is_dev:
            log.warning("dev profile: GraphiQL and introspection are on, errors are not masked")
        try:
            yield
        finally:
            await app.state.db.close()

    routes = [
        Route("/graphql", GraphQLApp(settings), methods=["GET", "POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
