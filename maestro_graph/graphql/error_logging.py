"""What the log says about a request's GraphQL errors.

Strawberry's default logs every error at ERROR with its traceback and message (and the line
of the document it points at). Most of them are refusals (bad input, not found, not allowed,
over a limit, a document that does not validate): the caller's business, answered in the
response, and their text may echo what the caller sent (an email address, a variable's
value). So:

- a refusal is one INFO line per request, without traceback or message: the codes, and
  where (the field's path, the input at fault);
- an internal error is an ERROR line naming the field that failed and the exception's
  type, with its traceback; the request's variables are never logged;
- an outage of Neo4j is left to `ServiceUnavailableAs503`, which logs it once per request.

Errors are logged as they come out of execution, before the schema's extensions shape the
answer; a domain error is classified by the code `CodeDomainErrors` will answer it with.
"""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext

from maestro_graph.db.availability import is_unavailable
from maestro_graph.graphql.errors import coded

log = logging.getLogger("maestro_graph.graphql.errors")

# What a refusal without a code is: a document that does not parse or validate, or
# variables that do not fit their types.
INVALID_REQUEST = "INVALID_REQUEST"
# Enough to see what went wrong in a request of many errors, on one line.
_MAX_LISTED = 10


def is_refusal(error: GraphQLError) -> bool:
    """The request is at fault, not the server."""
    if (error.extensions or {}).get("code"):
        return True  # only errors raised on purpose carry a code
    # What graphql-core finds wrong with the request itself (parse, validation, variables)
    # has no path, and no cause but another GraphQLError. A field that failed has a path;
    # an extension that crashed has a Python exception for a cause.
    return error.path is None and (error.original_error is None or isinstance(error.original_error, GraphQLError))


def _where(error: GraphQLError) -> dict[str, Any]:
    entry: dict[str, Any] = {"code": (error.extensions or {}).get("code") or INVALID_REQUEST}
    if error.path:
        entry["path"] = ".".join(str(part) for part in error.path)
    field = (error.extensions or {}).get("field")
    if isinstance(field, str):
        entry["field"] = field
    return entry


def log_errors(errors: list[GraphQLError], context: ExecutionContext | None = None) -> None:
    operation = context.operation_name if context is not None else None
    refusals = [_where(error) for error in errors if is_refusal(error)]
    if refusals:
        summary = ", ".join(f"{r['code']} at {r.get('path', '-')}" for r in refusals[:_MAX_LISTED])
        log.info(
            "GraphQL request refused: %s", summary, extra={"operation": operation, "refusals": refusals[:_MAX_LISTED]}
        )
    for error in errors:
        if is_refusal(error) or is_unavailable(error.original_error):
            continue
        path = _where(error).get("path")
        cause = error.original_error
        what = type(cause).__name__ if cause is not None else "a value that does not fit the schema"
        log.error(
            "internal error in %s: %s",
            path or "the request",
            what,
            exc_info=cause,
            extra={"operation": operation, "graphql_path": path},
        )


class ErrorLoggingSchema(strawberry.Schema):
    """The schema, with its errors logged by `log_errors` instead of Strawberry's logger."""

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        log_errors([coded(error) for error in errors], execution_context)
