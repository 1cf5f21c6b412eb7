"""The schema, its extensions, and the SDL export that `schema.graphql` is kept equal to."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, MaskErrors, MaxTokensLimiter, ParserCache, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import get_object_definition

from maestro_graph.auth.permissions import RequireReadScope
from maestro_graph.graphql.bulk import BulkMutation
from maestro_graph.graphql.compiled_reads import CompiledReads
from maestro_graph.graphql.cost import CostLimit, CostPolicy
from maestro_graph.graphql.deprecation import DeprecationMutation
from maestro_graph.graphql.document_limits import LimitedValidation, Limits
from maestro_graph.graphql.error_logging import ErrorLoggingSchema
from maestro_graph.graphql.errors import PUBLIC_CODES, CodeDomainErrors
from maestro_graph.graphql.impact import ImpactQuery
from maestro_graph.graphql.ml import MLQuery
from maestro_graph.graphql.mutation_authorization import AuthorizeMutationsFirst
from maestro_graph.graphql.mutations import Mutation as ItemMutation
from maestro_graph.graphql.outgoing_webhooks import WebhookMutation, WebhookQuery
from maestro_graph.graphql.queries import Query as GraphQuery
from maestro_graph.graphql.subscriptions import Subscription
from maestro_graph.graphql.suggestions import HideSuggestions
from maestro_graph.graphql.unavailable import ServiceUnavailableAs503
from maestro_graph.graphql.viewer import ViewerQuery
from maestro_graph.middleware import deadline
from maestro_graph.observability.graphql_metrics import GraphQLMetrics

# The graph's own queries, the models' answers, change impact, the outgoing webhooks and the
# caller's own view, served as one Query type.
Query = merge_types("Query", (GraphQuery, MLQuery, ImpactQuery, WebhookQuery, ViewerQuery))
# The single-item writes, the bulk ones, deprecation and the webhooks', served as one Mutation
# type that keeps the graph's description of how root fields run.
Mutation = strawberry.type(
    type("Mutation", (ItemMutation, BulkMutation, DeprecationMutation, WebhookMutation), {}),
    description=get_object_definition(ItemMutation, strict=True).description,
)

SDL_PATH = Path(__file__).resolve().parents[2] / "schema.graphql"

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2000


# Expanded, a document may ask for as many fields as the token limit lets it write out.
_DOCUMENT_LIMITS = Limits(max_depth=MAX_DEPTH, max_aliases=MAX_ALIASES, max_selections=MAX_TOKENS)


class CypherRoundTrips(SchemaExtension):
    """Reports in `extensions.cypher.roundTrips` how many queries the request ran."""

    def get_results(self) -> dict:
        context = self.execution_context.context
        counter = getattr(context, "round_trips", None)
        return {"cypher": {"roundTrips": counter[0]}} if counter is not None else {}


class StopAtTheDeadline(SchemaExtension):
    """Parsing and validation run without a pause the deadline could cut in at: a request
    whose deadline passed meanwhile is cancelled here, before anything is executed."""

    async def on_execute(self) -> AsyncIterator[None]:
        await deadline.checkpoint()
        yield


def _is_internal(error: GraphQLError) -> bool:
    # Errors we raise on purpose carry a code and stay visible; anything else is internal.
    code = (error.extensions or {}).get("code")
    if code in PUBLIC_CODES:
        return False
    # Validation and parse errors have no original error, and errors in the variables (a
    # value of the wrong type, an unknown enum value) have no path: both describe the
    # request, not the server, and the caller needs them to fix it.
    return error.original_error is not None and error.path is not None


def build_schema(
    mask_errors: bool = True, introspection: bool = True, field_suggestions: bool = True, cost: CostPolicy | None = None
) -> strawberry.Schema:
    # Factories, so each request gets fresh extension instances. The read-scope check comes
    # before the cost check, so a refused caller spends none of its budget.
    extensions: list = [
        # Clients repeat the same few documents: parse and validate each once per process.
        lambda: ParserCache(maxsize=256),
        # The depth, alias and expansion limits are checked first, on every document.
        lambda: LimitedValidation(_DOCUMENT_LIMITS, maxsize=256),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        StopAtTheDeadline,
        CypherRoundTrips,
        RequireReadScope,
    ]
    # The cost limit before authorization, which reads the roles of every project a
    # mutation names: a document's size is bounded before any of its work is done.
    if cost is not None:
        extensions.append(lambda: CostLimit(cost))
    extensions.append(AuthorizeMutationsFirst)
    # After every check above: a plain read is answered without a resolver per field.
    extensions.append(CompiledReads)
    if mask_errors:
        extensions.append(lambda: MaskErrors(should_mask_error=_is_internal, error_message="Internal server error"))
    if not introspection:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    if not field_suggestions:
        extensions.append(HideSuggestions)
    # Last, so their hooks unwind first: the 503 mapping codes an outage's errors and the
    # domain's errors get their codes, then the metrics see them coded, and only then does
    # MaskErrors mask what is left.
    extensions += [GraphQLMetrics, ServiceUnavailableAs503, CodeDomainErrors]
    config = StrawberryConfig(disable_field_suggestions=not field_suggestions)
    return ErrorLoggingSchema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions, config=config
    )


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
