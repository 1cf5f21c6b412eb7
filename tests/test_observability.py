"""Request ids, structured logs, /metrics, Neo4j transaction metadata, optional tracing, and
the fast 503 when Neo4j cannot be reached (here: a port nobody listens on; stopping a real
server under load is tests/test_load_and_faults.py)."""

from __future__ import annotations

import io
import json
import logging
import re
import socket
import time
import uuid
from types import SimpleNamespace

import pytest
from conftest import make_client

from maestro_graph.auth.principal import DEV_ANONYMOUS
from maestro_graph.config import Settings
from maestro_graph.db.connection import Neo4jTarget, open_async_driver
from maestro_graph.db.graph import GraphDB, start_counting
from maestro_graph.graphql.context import Context
from maestro_graph.graphql.schema import build_schema
from maestro_graph.observability import batch, logs, prometheus, request_id, tracing

NAMED_QUERY = "query MetricsProbe { projects(first: 1) { totalCount edges { node { id uses { totalCount } } } } }"


def _sample(exposition: str, name: str, **labels: str) -> float | None:
    """The value of one sample in a Prometheus exposition, or None when absent."""
    for line in exposition.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


@pytest.fixture
def captured_logs():
    """Every log line of the process as the JSON formatter writes it, while the test runs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.RequestContext())
    root = logging.getLogger()
    access = logging.getLogger("maestro_graph.access")
    previous = access.level
    root.addHandler(handler)
    access.setLevel(logging.DEBUG)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        access.setLevel(previous)


# --- request ids and logs -----------------------------------------------------------------


def test_request_id_is_kept_when_sent_and_generated_otherwise(client):
    sent = client.post("/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "trace-42.a:b"})
    assert sent.headers["x-request-id"] == "trace-42.a:b"
    generated = client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
    # Free text would end up in log lines and Neo4j's query log: it is replaced, not echoed.
    forged = client.get("/healthz", headers={"X-Request-ID": 'x" level=ERROR injected'})
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["x-request-id"])


def test_access_log_is_one_json_object_with_the_request_id(client, captured_logs):
    client.post("/graphql", json={"query": NAMED_QUERY}, headers={"X-Request-ID": "log-check-1"})
    lines = [
        e for e in captured_logs() if e["logger"] == "maestro_graph.access" and e.get("request_id") == "log-check-1"
    ]
    assert len(lines) == 1
    line = lines[0]
    assert line["level"] == "INFO" and line["message"] == "POST /graphql 200"
    assert line["route"] == "/graphql" and line["status"] == 200 and line["duration_ms"] > 0
    assert line["operation"] == "MetricsProbe" and line["operation_type"] == "query" and line["outcome"] == "ok"
    assert line["round_trips"] >= 1 and line["actor"] == "anonymous"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["ts"])


def test_json_formatter_keeps_extras_and_exceptions():
    logger = logging.getLogger("maestro_graph.test_json")
    record = None
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logger.makeRecord(
            logger.name, logging.ERROR, __file__, 1, "failed %s", ("x",), sys.exc_info(), extra={"project_id": "p1"}
        )
    token = request_id.bind("rid-7")
    try:
        logs.RequestContext().filter(record)
    finally:
        request_id.unbind(token)
    entry = json.loads(logs.JsonFormatter().format(record))
    assert entry["message"] == "failed x" and entry["project_id"] == "p1" and entry["request_id"] == "rid-7"
    assert "ValueError: boom" in entry["exception"]


# --- Neo4j transaction metadata --------------------------------------------------------

_METADATA = "CALL tx.getMetaData() YIELD metadata RETURN metadata"


async def test_transactions_carry_the_request_id(graph, neo4j_target):
    db = GraphDB(open_async_driver(neo4j_target, max_pool_size=2), neo4j_target.database)

    async def metadata(tx):
        result = await tx.run(_METADATA)
        return (await result.single())["metadata"]

    token = request_id.bind("rid-in-neo4j")
    try:
        assert (await db.read(metadata))["request_id"] == "rid-in-neo4j"
        assert (await db.write(metadata))["request_id"] == "rid-in-neo4j"
        assert (await db.query_once(_METADATA))[0]["metadata"]["request_id"] == "rid-in-neo4j"
    finally:
        request_id.unbind(token)
        await db.close()


# --- /metrics ------------------------------------------------------------------------------


def test_metrics_cover_requests_cypher_pool_and_models(client, graph):
    graph.execute_query(
        "CREATE (:Model {task: 'outcome', version: 'outcome-test-1', active: true, trained_at: datetime()})"
    )
    client.post("/graphql", json={"query": NAMED_QUERY})
    bad = client.post(
        "/graphql", json={"query": 'mutation BadInput { upsertProject(input: {id: " ", name: "x"}) { id } }'}
    )
    assert bad.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert (
        _sample(
            text, "maestro_graphql_request_duration_seconds_count", operation="MetricsProbe", type="query", outcome="ok"
        )
        >= 1
    )
    assert (
        _sample(
            text,
            "maestro_graphql_request_duration_seconds_count",
            operation="BadInput",
            type="mutation",
            outcome="client_error",
        )
        >= 1
    )
    assert (
        _sample(text, "maestro_http_request_duration_seconds_count", route="/graphql", method="POST", status="200") >= 2
    )
    assert _sample(text, "maestro_graphql_cypher_round_trips_count", type="query") >= 1
    assert _sample(text, "maestro_cypher_query_duration_seconds_count") >= 1
    assert _sample(text, "maestro_neo4j_transaction_duration_seconds_count", mode="read", outcome="ok") >= 1
    assert _sample(text, "maestro_neo4j_sessions_in_use") == 0
    assert _sample(text, "maestro_neo4j_pool_max_connections") == 50
    assert _sample(text, "maestro_neo4j_pool_connections", state="idle") >= 1
    assert _sample(text, "maestro_model_active_info", task="outcome", version="outcome-test-1") == 1
    assert _sample(text, "maestro_model_active_trained_timestamp_seconds", task="outcome") > 1.7e9


def test_unauthenticated_requests_are_counted_as_such(graph, neo4j_target):
    with make_client(neo4j_target, profile="production", peer="203.0.113.9") as production:
        assert production.post("/graphql", json={"query": NAMED_QUERY}).status_code == 401
        text = production.get("/metrics").text
    assert (
        _sample(text, "maestro_graphql_request_duration_seconds_count", operation="unknown", outcome="unauthenticated")
        >= 1
    )


def test_operation_names_are_a_bounded_label_set(monkeypatch):
    monkeypatch.setattr(prometheus, "_seen_operations", set())
    monkeypatch.setattr(prometheus, "MAX_OPERATION_NAMES", 3)
    assert [prometheus.operation_label(n) for n in ("A", "B", "C", "D", "A")] == ["A", "B", "C", "other", "A"]
    assert prometheus.operation_label(None) == "anonymous"
    assert prometheus.operation_label("not a name!") == "other"


# --- Neo4j out of reach ----------------------------------------------------------------


def _unreachable() -> Neo4jTarget:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return Neo4jTarget(f"bolt://127.0.0.1:{port}", "neo4j", "unused", "neo4j")


def test_unreachable_neo4j_answers_503_fast_everywhere():
    with make_client(_unreachable()) as down:
        started = time.monotonic()
        answer = down.post("/graphql", json={"query": NAMED_QUERY})
        seconds = time.monotonic() - started
        assert answer.status_code == 503 and answer.headers["retry-after"]
        error = answer.json()["errors"][0]
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE" and "unavailable" in error["message"]
        assert seconds < 4.0

        write = down.post("/graphql", json={"query": 'mutation { upsertProject(input: {id: "p", name: "p"}) { id } }'})
        assert write.status_code == 503

        ready = down.get("/readyz")
        assert ready.status_code == 503 and ready.json()["neo4j"] == "unreachable"
        assert down.get("/healthz").status_code == 200

        # Routes outside GraphQL: the exception handlers answer 503 rather than 500.
        hook = down.post(
            "/webhooks/github",
            content=b'{"repository": {"full_name": "o/r"}}',
            headers={
                "X-Hub-Signature-256": "sha256=00",
                "X-GitHub-Event": "push",
                "X-GitHub-Delivery": str(uuid.uuid4()),
            },
        )
        assert hook.status_code == 503 and hook.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"

        text = down.get("/metrics").text
        assert (
            _sample(
                text, "maestro_graphql_request_duration_seconds_count", operation="MetricsProbe", outcome="unavailable"
            )
            >= 1
        )
        assert (
            _sample(text, "maestro_neo4j_transaction_duration_seconds_count", mode="read", outcome="unavailable") >= 1
        )


async def test_unavailable_is_not_masked_as_an_internal_error():
    """The production schema masks unexpected errors; an outage keeps its code and message."""
    target = _unreachable()
    db = GraphDB(open_async_driver(target, connection_timeout=1, acquisition_timeout=1, retry_seconds=0), "neo4j")
    schema = build_schema(mask_errors=True, introspection=False, field_suggestions=False)
    response = SimpleNamespace(status_code=None, headers={})
    context = Context(
        db=db, settings=Settings(), response=response, round_trips=start_counting(), principal=DEV_ANONYMOUS
    )
    try:
        result = await schema.execute("{ projects(first: 1) { totalCount } }", context_value=context)
    finally:
        await db.close()
    assert result.errors[0].extensions["code"] == "SERVICE_UNAVAILABLE"
    assert result.errors[0].message != "Internal server error"
    assert response.status_code == 503 and response.headers["Retry-After"]


# --- tracing -----------------------------------------------------------------------------


def test_tracing_continues_the_callers_trace_into_neo4j(graph, neo4j_target):
    pytest.importorskip("opentelemetry.sdk")
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    try:
        # An SDK provider already set up: the app sends its spans there (no exporter of its own).
        with make_client(neo4j_target, tracing="otlp") as traced:
            traced.post(
                "/graphql",
                json={"query": NAMED_QUERY},
                headers={"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01", "X-Request-ID": "traced-1"},
            )
    finally:
        tracing.configure(Settings(tracing="off"))
    spans = [s for s in exporter.get_finished_spans() if format(s.context.trace_id, "032x") == trace_id]
    server = next(s for s in spans if s.name == "POST /graphql")
    assert server.attributes["maestro.request_id"] == "traced-1"
    assert server.attributes["graphql.operation.name"] == "MetricsProbe"
    reads = [s for s in spans if s.name == "neo4j read"]
    assert reads and all(s.parent is not None for s in reads)


# --- batch jobs ----------------------------------------------------------------------------


def test_batch_counters_are_written_for_the_textfile_collector(tmp_path):
    report = SimpleNamespace(files={"projects.csv": SimpleNamespace(read=5, written=3, rejected=2)}, seconds=1.5)
    batch.record_import(report)
    batch.record_training({"embed": 2.0, "fit": 7.5})
    target = tmp_path / "maestro.prom"
    batch.publish(Settings(metrics_textfile=target), "import")
    text = target.read_text()
    assert _sample(text, "maestro_import_rows_total", file="projects.csv", result="written") >= 3
    assert _sample(text, "maestro_import_rows_total", file="projects.csv", result="rejected") >= 2
    assert _sample(text, "maestro_training_step_seconds", step="fit") == 7.5
    assert _sample(text, "maestro_batch_last_success_timestamp_seconds", job="import") > 1.7e9
