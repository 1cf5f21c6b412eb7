"""What a GraphQL operation was and how it went, for the request's metrics and log line.

Listed after MaskErrors in the schema's extensions: hooks unwind in reverse, so this sees
each error as raised (with its code and original exception), before masking hides it.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from maestro_graph.observability import prometheus
from maestro_graph.observability.request_record import current_record


def outcome(errors: list[GraphQLError] | None) -> str:
    """ok; unavailable (Neo4j out of reach); client_error (a code we chose to show, or a
    request that failed validation); error (anything else: a bug)."""
    if not errors:
        return "ok"
    codes = {(error.extensions or {}).get("code") for error in errors}
    if "SERVICE_UNAVAILABLE" in codes:
        return "unavailable"
    if any(
        (error.extensions or {}).get("code") is None and error.original_error is not None and error.path is not None
        for error in errors
    ):
        return "error"
    return "client_error"


class GraphQLMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        try:
            operation_type = context.operation_type.value
        except (RuntimeError, ValueError, AttributeError):
            operation_type = "unknown"  # the document did not parse or named no operation
        result_errors = getattr(context.result, "errors", None)
        counter = getattr(context.context, "round_trips", None)
        round_trips = counter[0] if counter is not None else None
        if round_trips is not None and operation_type != "unknown":
            prometheus.GRAPHQL_ROUND_TRIPS.labels(operation_type).observe(round_trips)
        record = current_record()
        if record is not None:
            record.operation = prometheus.operation_label(context.operation_name)
            record.operation_type = operation_type
            record.outcome = outcome(result_errors)
            record.round_trips = round_trips
