"""Service levels and alerts (deploy/prometheus, deploy/grafana): the rules pass promtool's
check and its unit tests, one case or more per alert; every metric the rules and the dashboard
name is one the app (or a batch command) really exports; and the metrics added for the alerts
say what they should, read from a real /metrics."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import data, make_client
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from maestro_graph.config import Settings
from maestro_graph.db.connection import Neo4jTarget, open_async_driver
from maestro_graph.db.graph import GraphDB
from maestro_graph.domain import InvalidInput
from maestro_graph.net import free_loopback_port
from maestro_graph.observability import batch

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
RULES = DEPLOY / "prometheus" / "rules.yml"
RULE_TESTS = DEPLOY / "prometheus" / "rules.test.yml"
DASHBOARD = DEPLOY / "grafana" / "maestro-graph.json"
_METRIC = re.compile(r"\bmaestro[_:][A-Za-z0-9_:]*")


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:  # `bin/dev test` installs Debian's prometheus package, which provides it
        pytest.fail("promtool is not installed: run `bin/dev setup` (or `apt-get install prometheus`)")
    return path


def _promtool(promtool: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([promtool, *args], capture_output=True, text=True, cwd=RULES.parent, timeout=120)


def _rules() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def test_the_rules_pass_promtool_check(promtool):
    checked = _promtool(promtool, "check", "rules", RULES.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_alert_has_unit_tests_that_pass(promtool):
    alerts = {rule["alert"] for rule in _rules() if "alert" in rule}
    cases = [case for test in yaml.safe_load(RULE_TESTS.read_text())["tests"] for case in test["alert_rule_test"]]
    fired = {case["alertname"] for case in cases if case["exp_alerts"]}
    quiet = {case["alertname"] for case in cases if not case["exp_alerts"]}
    assert alerts == fired, "every alert has a case where it fires, and no case names a missing alert"
    assert alerts == quiet, "every alert has a case where it stays quiet"

    tested = _promtool(promtool, "test", "rules", RULE_TESTS.name)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_promtool_unit_tests_fail_when_an_alert_misbehaves(promtool, tmp_path):
    """The unit tests can fail: with the staleness threshold moved, its case no longer passes."""
    shutil.copy(RULE_TESTS, tmp_path / RULE_TESTS.name)
    (tmp_path / RULES.name).write_text(
        RULES.read_text().replace(
            "> scalar(max(maestro_model_max_age_seconds))", "> 2 * scalar(max(maestro_model_max_age_seconds))"
        )
    )
    tested = subprocess.run(
        [promtool, "test", "rules", RULE_TESTS.name], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert tested.returncode != 0
    assert "MaestroModelStale" in tested.stdout + tested.stderr


# --- every metric named is exported ------------------------------------------------------


def _exported(exposition: str) -> set[str]:
    """The series names a Prometheus document offers, from its families (with or without samples)."""
    names: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        if family.type == "counter":
            names.add(family.name + "_total")
        elif family.type == "histogram":
            names.update(family.name + suffix for suffix in ("_bucket", "_count", "_sum"))
        else:
            names.add(family.name)
    return names


@pytest.fixture(scope="module")
def exported(client) -> set[str]:
    """What /metrics of a real app serves after a request, and what `import` and `train` push."""
    data(client, "query MetricsNames { __typename }")
    return _exported(client.get("/metrics").text) | _exported(generate_latest(batch.REGISTRY).decode())


def _dashboard_expressions() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel.get("targets", [])]


def test_every_metric_the_rules_name_is_exported_or_recorded(exported):
    recorded = {rule["record"] for rule in _rules() if "record" in rule}
    for rule in _rules():
        names = set(_METRIC.findall(rule["expr"]))
        assert names, f"{rule.get('record') or rule.get('alert')} names no metric of the app"
        assert names <= exported | recorded, f"not exported: {sorted(names - exported - recorded)}"


def test_every_dashboard_expression_names_metrics_the_app_exports(exported):
    recorded = {rule["record"] for rule in _rules() if "record" in rule}
    expressions = _dashboard_expressions()
    assert len(expressions) >= 20
    for expr in expressions:
        names = set(_METRIC.findall(expr))
        assert names, f"{expr!r} names no metric of the app"
        assert names <= exported | recorded, f"{expr!r}: not exported: {sorted(names - exported - recorded)}"
    shown = " ".join(expressions)
    for family in ("maestro_http_request", "maestro_neo4j_pool", "maestro_model_active", "maestro_import"):
        assert family in shown, f"the dashboard shows nothing of {family}"


# --- the metrics the alerts need ---------------------------------------------------------


def _value(exposition: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None


def test_metrics_show_neo4j_up_and_the_model_age_allowed(graph, neo4j_target):
    with make_client(neo4j_target, model_max_age_hours=36) as app:
        text = app.get("/metrics").text
    assert _value(text, "maestro_neo4j_up") == 1
    assert _value(text, "maestro_model_max_age_seconds") == 36 * 3600


def test_metrics_show_neo4j_down_when_the_scrape_read_fails():
    unreachable = Neo4jTarget(f"bolt://127.0.0.1:{free_loopback_port()}", "neo4j", "unused", "neo4j")
    with make_client(unreachable) as down:
        text = down.get("/metrics").text
    assert _value(text, "maestro_neo4j_up") == 0


def test_a_write_the_domain_refuses_is_counted_apart_from_failures(graph, neo4j_target, client):
    async def refused_write() -> None:
        async def work(tx) -> None:
            await tx.run("CREATE (:Project {id: 'never-written', name: 'x'})")
            raise InvalidInput("name", "is refused by this test")

        db = GraphDB(open_async_driver(neo4j_target, max_pool_size=2), neo4j_target.database)
        try:
            with pytest.raises(InvalidInput):
                await db.write(work)
        finally:
            await db.close()

    def rejected_writes() -> float:
        text = client.get("/metrics").text
        return _value(text, "maestro_neo4j_transaction_duration_seconds_count", mode="write", outcome="rejected") or 0

    before = rejected_writes()
    asyncio.run(refused_write())
    assert rejected_writes() == before + 1
    records, _, _ = graph.execute_query("MATCH (p:Project {id: 'never-written'}) RETURN count(p)")
    assert records[0][0] == 0


def test_batch_commands_say_whether_their_last_run_failed(tmp_path):
    target = tmp_path / "maestro.prom"
    batch.record_failure("import")
    batch.publish(Settings(metrics_textfile=target), "import")
    text = target.read_text()
    assert _value(text, "maestro_batch_last_run_failed", command="import") == 1
    assert _value(text, "maestro_import_runs_total", outcome="failed") >= 1
    failed_at = _value(text, "maestro_batch_last_run_timestamp_seconds", command="import")
    assert failed_at is not None and failed_at > 1.7e9

    batch.record_training({"fit": 1.0})
    batch.publish(Settings(metrics_textfile=target), "train")
    assert _value(target.read_text(), "maestro_batch_last_run_failed", command="train") == 0
