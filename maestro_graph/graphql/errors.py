"""Errors a caller can act on: a message saying what, `extensions.code` saying which
kind, and `extensions.field` saying where when one input is at fault."""

from __future__ import annotations

from graphql import GraphQLError

from maestro_graph.domain import InvalidInput, NotFound


def bad_input(field: str, message: str) -> GraphQLError:
    return GraphQLError(f"{field}: {message}", extensions={"code": "BAD_USER_INPUT", "field": field})


def not_found(label: str, node_id: str, field: str | None = None) -> GraphQLError:
    extensions = {"code": "NOT_FOUND", "type": label, "id": node_id}
    if field:
        extensions["field"] = field
    return GraphQLError(f"{label} {node_id!r} does not exist", extensions=extensions)


def to_graphql_error(error: Exception) -> GraphQLError:
    if isinstance(error, InvalidInput):
        return bad_input(error.field, error.reason)
    if isinstance(error, NotFound):
        return not_found(error.label, error.node_id, error.field)
    raise error
