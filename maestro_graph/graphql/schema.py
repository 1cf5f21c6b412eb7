"""The schema, its extensions, and the SDL export that `schema.graphql` is kept equal to."""

from __future__ import annotations

from pathlib import Path

import strawberry
from strawberry.tools import merge_types
from strawberry.extensions import AddValidationRules, MaskErrors, ParserCache, ValidationCache, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter, SchemaExtension
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.schema.config import StrawberryConfig

from maestro_graph.auth.permissions import RequireReadScope
from maestro_graph.graphql.cost import CostLimit, CostPolicy
from maestro_graph.graphql.mutations import Mutation
from maestro_graph.graphql.ml import MLQuery
from maestro_graph.graphql.queries import Query as GraphQuery
from maestro_graph.graphql.suggestions import HideSuggestions
from maestro_graph.graphql.unavailable import ServiceUnavailableAs503
from maestro_graph.observability.graphql_metrics import GraphQLMetrics

# The graph's own queries and the models' answers, served as one Query type.
Query = merge_types("Query", (GraphQuery, MLQuery))

SDL_PATH = Path(__file__).resolve().parents[2] / "schema.graphql"

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2000
# Errors we raise on purpose carry a code and stay visible; anything else is internal.
_PUBLIC_CODES = {"BAD_USER_INPUT", "NOT_FOUND", "FORBIDDEN", "UNAUTHENTICATED", "SERVICE_UNAVAILABLE",
                 "QUERY_TOO_COSTLY", "RATE_LIMITED"}


# The depth and alias limiters build a validation rule class when constructed. Built once
# here, the rules are the same objects on every request, which lets ValidationCache hit
# (its key includes the rules); fresh limiters per request would make every lookup miss.
_LIMIT_RULES = [
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
]


class CypherRoundTrips(SchemaExtension):
    """Reports in `extensions.cypher.roundTrips` how many queries the request ran."""

    def get_results(self) -> dict:
        context = self.execution_context.context
        counter = getattr(context, "round_trips", None)
        return {"cypher": {"roundTrips": counter[0]}} if counter is not None else {}


def _is_internal(error: GraphQLError) -> bool:
    code = (error.extensions or {}).get("code")
    if code in _PUBLIC_CODES:
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
        lambda: ValidationCache(maxsize=256),
        lambda: AddValidationRules(_LIMIT_RULES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        CypherRoundTrips,
        RequireReadScope,
    ]
    if cost is not None:
        extensions.append(lambda: CostLimit(cost))
    if mask_errors:
        extensions.append(lambda: MaskErrors(should_mask_error=_is_internal, error_message="Internal server error"))
    if not introspection:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    if not field_suggestions:
        extensions.append(HideSuggestions)
    # Last, so their hooks unwind first: the 503 mapping codes an outage's errors, then the
    # metrics see them coded, and only then does MaskErrors mask what is left.
    extensions += [GraphQLMetrics, ServiceUnavailableAs503]
    config = StrawberryConfig(disable_field_suggestions=not field_suggestions)
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=extensions, config=config)



def export_sdl() -> str:
    return build_schema().as_str() + "\n"
