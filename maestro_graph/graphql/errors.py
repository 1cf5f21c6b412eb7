"""Errors a caller can act on: a message saying what, `extensions.code` saying which
kind, and `extensions.field` saying where when one input is at fault.

Resolvers raise the domain's own errors (`InvalidInput`, `NotFound`) and let them go;
`CodeDomainErrors`, a schema extension, gives each its code once for every field, as
`ServiceUnavailableAs503` does for an outage of Neo4j.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from maestro_graph.domain import InvalidInput, NotFound


class ErrorCode(StrEnum):
    """Every `extensions.code` the API answers with on purpose. An error without one of
    these is internal, and masked in production."""

    BAD_USER_INPUT = "BAD_USER_INPUT"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    RATE_LIMITED = "RATE_LIMITED"


PUBLIC_CODES = frozenset(ErrorCode)


def describe(cause: BaseException | None) -> tuple[str, dict[str, Any]] | None:
    """The message and extensions a domain error is answered with; None for anything else."""
    if isinstance(cause, InvalidInput):
        return f"{cause.field}: {cause.reason}", {"code": ErrorCode.BAD_USER_INPUT, "field": cause.field}
    if isinstance(cause, NotFound):
        extensions: dict[str, Any] = {"code": ErrorCode.NOT_FOUND, "type": cause.label, "id": cause.node_id}
        if cause.field:
            extensions["field"] = cause.field
        return f"{cause.label} {cause.node_id!r} does not exist", extensions
    return None


def coded(error: GraphQLError) -> GraphQLError:
    """`error` as the caller is answered: one a resolver raised from a domain error gets
    that error's message and code, at the same place in the answer; others stay as they are."""
    shape = describe(error.original_error)
    if shape is None:
        return error
    message, extensions = shape
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions=extensions,
    )


class CodeDomainErrors(SchemaExtension):
    """Answers domain errors with their codes. Listed after MaskErrors and the metrics, so it
    runs before them as hooks unwind: they see the error coded, as the caller will."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [coded(error) for error in result.errors]
