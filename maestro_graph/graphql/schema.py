"""The schema, its extensions, and the SDL export that `schema.graphql` is kept equal to."""

from __future__ import annotations

from pathlib import Path

import strawberry
from strawberry.tools import merge_types
from strawberry.extensions import AddValidationRules, MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter, SchemaExtension
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule

from maestro_graph.graphql.mutations import Mutation
from maestro_graph.graphql.ml import MLQuery
from maestro_graph.graphql.queries import Query as GraphQuery

# The graph's own queries and the models' answers, served as one Query type.
Query = merge_types("Query", (GraphQuery, MLQuery))

SDL_PATH = Path(__file__).resolve().parents[2] / "schema.graphql"

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2000
# Errors we raise on purpose carry a code and stay visible; anything else is internal.
_PUBLIC_CODES = {"BAD_USER_INPUT", "NOT_FOUND", "FORBIDDEN", "UNAUTHENTICATED", "SERVICE_UNAVAILABLE"}


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
    # Validation and parse errors have no original error: they describe the query, not the server.
    return error.original_error is not None


def build_schema(mask_errors: bool = True, introspection: bool = True) -> strawberry.Schema:
    # Factories, so each request gets fresh extension instances.
    extensions: list = [
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        CypherRoundTrips,
    ]
    if mask_errors:
        extensions.append(lambda: MaskErrors(should_mask_error=_is_internal, error_message="Internal server error"))
    if not introspection:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=extensions)



def export_sdl() -> str:
    return build_schema().as_str() + "\n"
