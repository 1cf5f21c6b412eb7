"""Optional OpenTelemetry traces: a server span per HTTP request (continuing the caller's
trace when it sends `traceparent`) and a child span per Neo4j unit of work.

Off by default, and then free: no OpenTelemetry import, every span a no-op. With
MAESTRO_TRACING=otlp or console the SDK is needed (`pip install 'maestro-graph[tracing]'`).
When the process already has an SDK tracer provider (e.g. started under
`opentelemetry-instrument`), spans go there and its exporters are left as they are.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from typing import Any

from maestro_graph.config import Settings

_tracer: Any = None
_owned_provider: Any = None


def configure(settings: Settings) -> None:
    """Turn tracing on or off for this process, as the settings say."""
    global _tracer, _owned_provider
    if settings.tracing == "off":
        _tracer = None
        return
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        # OTEL_SERVICE_NAME, when set, names the service; our default only fills the gap.
        attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": "maestro-graph"}
        provider = TracerProvider(resource=Resource.create(attributes))
        provider.add_span_processor(BatchSpanProcessor(_exporter(settings.tracing)))
        trace.set_tracer_provider(provider)
        _owned_provider = provider
    _tracer = trace.get_tracer("maestro_graph")


def _exporter(kind: str) -> Any:
    if kind == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError as error:
        raise RuntimeError("MAESTRO_TRACING=otlp needs the exporter: pip install 'maestro-graph[tracing]'") from error
    # Endpoint, headers and timeout come from the standard OTEL_EXPORTER_OTLP_* variables.
    return OTLPSpanExporter()


def shutdown() -> None:
    """Flush spans still buffered (only from a provider we set up)."""
    global _owned_provider
    if _owned_provider is not None:
        _owned_provider.shutdown()
        _owned_provider = None


@contextlib.contextmanager
def server_span(name: str, headers: Mapping[str, str], attributes: dict[str, Any]) -> Iterator[Any]:
    """The span of one incoming request (None when tracing is off)."""
    if _tracer is None:
        yield None
        return
    from opentelemetry import propagate, trace

    with _tracer.start_as_current_span(
        name, context=propagate.extract(dict(headers)), kind=trace.SpanKind.SERVER, attributes=attributes
    ) as current:
        yield current


@contextlib.contextmanager
def span(name: str, attributes: dict[str, Any]) -> Iterator[Any]:
    """A child span of whatever is current (None when tracing is off)."""
    if _tracer is None:
        yield None
        return
    from opentelemetry import trace

    with _tracer.start_as_current_span(name, kind=trace.SpanKind.CLIENT, attributes=attributes) as current:
        yield current


def current_ids() -> tuple[str, str] | None:
    """(trace id, span id) of the current span as hex, for log lines; None when there is none."""
    if _tracer is None:
        return None
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")
