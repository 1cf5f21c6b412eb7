"""The Starlette application: /graphql (GraphiQL in the dev profile), /healthz, /readyz, /metrics,
the OAuth 2.0 authorization server for integrations (/oauth/*, /.well-known/*), the CI/CD
webhooks (/webhooks/github, /webhooks/deployments), and the Explorer web page (/ui)."""

from __future__ import annotations

import contextlib
import json
import logging
from datetime import timedelta
from typing import Any

import neo4j
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, GRAPHQL_TRANSPORT_WS_PROTOCOL

from maestro_graph.auth import routes as oauth_routes
from maestro_graph.auth.guard import PRINCIPAL_KEY, BearerGuard
from maestro_graph.auth.services import AuthServices
from maestro_graph.config import Settings, get_settings
from maestro_graph.db import migrations
from maestro_graph.db.availability import RETRY_AFTER_SECONDS, UNAVAILABLE
from maestro_graph.db.connection import Neo4jTarget, open_api_driver, resolve_target
from maestro_graph.db.graph import GraphDB, start_counting
from maestro_graph.graphql.context import Context
from maestro_graph.graphql.cost import CostPolicy
from maestro_graph.graphql.live_transport import LiveWebSocket, sse_transport, websocket_principal
from maestro_graph.graphql.schema import MAX_TOKENS, build_schema
from maestro_graph.integrations.deployments_endpoint import DeploymentsEndpoint
from maestro_graph.integrations.github_webhook import GitHubWebhook
from maestro_graph.live.hub import EventHub
from maestro_graph.live.webhook_worker import WebhookWorker
from maestro_graph.middleware import cors
from maestro_graph.middleware.body_limit import BodySizeLimit
from maestro_graph.middleware.deadline import Deadline
from maestro_graph.middleware.observability import Observability
from maestro_graph.middleware.unavailable import outage_handlers
from maestro_graph.observability import tracing
from maestro_graph.observability.scrape import metrics_endpoint
from maestro_graph.ratelimit import TokenBuckets
from maestro_graph.repositories import predictions
from maestro_graph.secret_box import SecretBox
from maestro_graph.ui import routes as ui_routes
from maestro_graph.ui.graphiql_page import graphiql_page

log = logging.getLogger("maestro_graph.app")

# The codes of the requests Strawberry refuses before there is a GraphQL operation to run.
_REFUSAL_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


class GraphQLApp(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = LiveWebSocket
    max_tokens = MAX_TOKENS

    def __init__(self, settings: Settings):
        cost = CostPolicy(
            max_cost=settings.max_query_cost,
            default_page=settings.page_size_default,
            max_page=settings.page_size_max,
            budget=TokenBuckets(settings.cost_budget_per_minute),
        )
        schema = build_schema(
            mask_errors=not settings.is_dev, introspection=settings.is_dev, field_suggestions=settings.is_dev, cost=cost
        )
        # Batching stays off (Strawberry's default): one operation per request, so limits
        # and budgets apply to what a request really asks for.
        # Subscriptions: graphql-transport-ws on the WebSocket, graphql-sse on POST (see live_transport).
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.is_dev else None,
            allow_queries_via_get=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_SSE_PROTOCOL),
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=settings.subscriptions_per_client,
        )
        self.stream_transport_classes_by_protocol = {
            GRAPHQL_SSE_PROTOCOL: sse_transport(settings.subscription_heartbeat_seconds)
        }
        self.settings = settings

    async def on_ws_connect(self, context: Context) -> Any:
        """A WebSocket is authenticated on `connection_init`, before any operation (see live_transport)."""
        principal = await websocket_principal(context.request, self.settings, context.connection_params or {})
        if principal is None:
            raise ConnectionRejectionError({"message": "authentication required", "code": "UNAUTHENTICATED"})
        context.principal = principal
        return await super().on_ws_connect(context)

    async def run(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        """Strawberry answers a request it cannot take (not JSON, batched, without a query) in
        plain text; here it gets the body of every other error of the API, with a code."""
        try:
            return await super().run(request, *args, **kwargs)
        except HTTPException as refusal:
            code = _REFUSAL_CODES.get(refusal.status_code, "BAD_REQUEST")
            return JSONResponse(
                {"errors": [{"message": refusal.reason, "extensions": {"code": code}}]}, refusal.status_code
            )

    def decode_json(self, data: str | bytes) -> object:
        """A body is UTF-8 JSON (RFC 8259) holding an object; anything else is the caller's
        mistake, answered 400. Strawberry's own decoding passes a bare string or number on to
        code that expects an object, and fails on bytes that are not UTF-8: both ended as 500."""
        try:
            value = json.loads(data.decode("utf-8") if isinstance(data, bytes) else data)
        except UnicodeDecodeError as error:
            raise HTTPException(400, "The request body is not valid UTF-8") from error
        except RecursionError as error:  # json's own answer to deep nesting
            raise HTTPException(400, "The request body is nested too deeply") from error
        # A list is a batch of operations, which Strawberry refuses in its own words.
        if not isinstance(value, (dict, list)):
            raise HTTPException(400, "The request body must be a JSON object with a `query`")
        return value

    async def parse_http_body(self, request: Any) -> Any:
        body = await super().parse_http_body(request)
        # Strawberry checks the types of `query`, `variables` and `extensions`, not this one.
        if not isinstance(body, list) and not isinstance(body.operation_name, (str, type(None))):
            raise HTTPException(400, "The GraphQL operation's `operationName` must be a string or null, if provided.")
        return body

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        # GraphiQL from this package: Strawberry's page loads it from unpkg.com, which a
        # machine without internet cannot reach.
        return graphiql_page()

    async def get_context(self, request: Any, response: Any) -> Context:
        return Context(
            db=request.app.state.db,
            settings=self.settings,
            request=request,
            response=response,
            round_trips=start_counting(),
            principal=request.scope.get("state", {}).get(PRINCIPAL_KEY),
        )


async def healthz(request: Request) -> JSONResponse:
    """The process is up; says nothing about Neo4j (that is /readyz)."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready when Neo4j answers and every migration in cypher/migrations is applied."""
    db: GraphDB = request.app.state.db
    try:
        missing = await migrations.unapplied_ids(db)
    except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError, OSError) as error:
        return JSONResponse({"status": "unavailable", "neo4j": "unreachable", "error": type(error).__name__}, 503)
    if missing:
        return JSONResponse({"status": "unavailable", "neo4j": "ok", "pendingMigrations": missing}, 503)
    return JSONResponse({"status": "ok", "neo4j": "ok"})


def create_app(settings: Settings | None = None, target: Neo4jTarget | None = None) -> Starlette:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        resolved = target or resolve_target(settings)
        tracing.configure(settings)
        app.state.db = GraphDB(
            open_api_driver(resolved, settings), resolved.database, autocommit_reads=settings.neo4j_autocommit_reads
        )
        # For the Explorer's "open in Neo4j Browser" links (known for the managed Neo4j).
        app.state.neo4j_browser_url = resolved.browser_url
        app.state.neo4j_database = resolved.database
        app.state.auth = AuthServices.build(settings, app.state.db)
        # Live events: numbering, fan-out and webhook delivery, each replica polling Neo4j.
        background = GraphDB(app.state.db.driver, resolved.database, observed=False)
        app.state.webhooks = WebhookWorker(background, settings, SecretBox.from_settings(settings))
        app.state.events = EventHub(
            background,
            settings.events_poll_seconds,
            settings.subscriptions_per_client,
            idle_poll_seconds=settings.events_idle_poll_seconds,
            on_numbered=app.state.webhooks.nudge,
        )
        # The requests' own writes wake the pump; the background loops' writes do not.
        app.state.db.after_write.append(app.state.events.nudge)
        app.state.events.start()
        app.state.webhooks.start()
        if settings.is_dev:
            log.warning("dev profile: GraphiQL and introspection are on, errors are not masked")
            log.warning("dev profile: requests from loopback WITHOUT A TOKEN get FULL RIGHTS (read, write, admin)")
        elif not settings.oauth_issuer.startswith("https://"):
            log.warning(
                "MAESTRO_OAUTH_ISSUER is %s: integrations should reach this service over https", settings.oauth_issuer
            )
        try:
            yield
        finally:
            # uvicorn gets here on SIGTERM only after in-flight requests have finished (or
            # the grace period ran out), so no request loses its connection to Neo4j.
            await app.state.webhooks.stop()
            await app.state.events.stop()
            log.info("shutting down: closing the Neo4j driver")
            await app.state.db.close()
            tracing.shutdown()

    graphql = GraphQLApp(settings)
    routes = [
        Route("/graphql", BearerGuard(graphql, settings), methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint(predictions.active_models, settings.model_max_age_hours * 3600)),
        # CI/CD: GitHub proves itself with an HMAC signature, other systems with an OAuth token.
        Route("/webhooks/github", GitHubWebhook(settings), methods=["POST"]),
        Route("/webhooks/deployments", BearerGuard(DeploymentsEndpoint(settings), settings), methods=["POST"]),
        *oauth_routes.ROUTES,
        *ui_routes(settings),
    ]
    # Observability first: the outermost layer, so its timing and request id cover the rest
    # (a request cut off at its deadline included).
    body_limits = {"/webhooks/github": settings.max_webhook_body_bytes}
    middleware = [
        Middleware(Observability),
        *cors.middleware(settings),
        Middleware(Deadline, seconds=settings.request_deadline_seconds),
        Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, path_limits=body_limits),
    ]
    return Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers=outage_handlers(UNAVAILABLE, RETRY_AFTER_SECONDS),
    )
