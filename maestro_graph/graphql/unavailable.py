"""Neo4j out of reach, seen from /graphql: the request fails fast with HTTP 503, a
`Retry-After`, and errors coded SERVICE_UNAVAILABLE, instead of a masked internal error
that a client could not tell from a bug.

Listed last among the schema's extensions, so it runs first as hooks unwind: the metrics
extension and MaskErrors then see the coded error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from maestro_graph.db.availability import RETRY_AFTER_SECONDS, is_unavailable
from maestro_graph.graphql.errors import ErrorCode

log = logging.getLogger("maestro_graph.graphql")

MESSAGE = "the graph database is unavailable; retry shortly"


def _coded(error: GraphQLError) -> GraphQLError:
    return GraphQLError(
        MESSAGE,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": ErrorCode.SERVICE_UNAVAILABLE},
    )


class ServiceUnavailableAs503(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        errors = result.errors
        causes = [error.original_error for error in errors if is_unavailable(error.original_error)]
        if not causes:
            return
        # One line per request, not a traceback per failed field: an outage is not a bug.
        log.warning("Neo4j unavailable: %s: %s", type(causes[0]).__name__, causes[0])
        result.errors = [_coded(error) if is_unavailable(error.original_error) else error for error in errors]
        response = getattr(self.execution_context.context, "response", None)
        if response is not None:
            response.status_code = 503
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
