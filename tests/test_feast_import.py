"""`import-feast` on a small real feature repository (local provider, SQLite online store)
made by `feast apply`: sources, feature views, an on-demand view and a feature service in
the graph, checked through GraphQL; a repository that cannot be read changes nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import count, data
from typer.testing import CliRunner

from maestro_graph import cli
from maestro_graph.config import get_settings
from maestro_graph.ingest.feast_repo import FeastImportError, feast_sdk, import_feast

FEAST = Path(sys.executable).parent / "feast"

CONFIG = """\
project: shop
registry: data/registry.db
provider: local
online_store:
  type: sqlite
  path: data/online.db
entity_key_serialization_version: 3
"""

DEFINITIONS = """\
from datetime import timedelta

import pandas as pd
from feast import Entity, FeatureService, FeatureView, Field, FileSource, RequestSource
from feast.on_demand_feature_view import on_demand_feature_view
from feast.types import Float32, Float64, Int64

customer = Entity(name="customer", join_keys=["customer_id"])
orders = FileSource(
    name="orders", path="data/orders.parquet", timestamp_field="event_timestamp", description="Orders by day"
)
stats = FeatureView(
    name="customer_stats",
    entities=[customer],
    ttl=timedelta(days=1),
    schema=[Field(name="customer_id", dtype=Int64), Field(name="orders_7d", dtype=Int64),
            Field(name="spend_7d", dtype=Float32)],
    source=orders,
    description="Recent orders and spend",
)
basket = RequestSource(name="basket", schema=[Field(name="basket_value", dtype=Float64)])


@on_demand_feature_view(sources=[stats, basket], schema=[Field(name="spend_ratio", dtype=Float64)])
def spend_ratio(inputs: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame()
    out["spend_ratio"] = inputs["basket_value"] / (inputs["spend_7d"] + 1)
    return out


churn_service = FeatureService(
    name="churn_service", features=[stats, spend_ratio], tags={"maestro.project": "%(project)s"}
)
"""


def make_repository(path: Path, project: str) -> Path:
    (path / "data").mkdir(parents=True)
    (path / "feature_store.yaml").write_text(CONFIG)
    (path / "definitions.py").write_text(DEFINITIONS % {"project": project})
    pd.DataFrame(
        {
            "customer_id": [1, 2],
            "orders_7d": [3, 0],
            "spend_7d": [42.0, 0.0],
            "event_timestamp": pd.to_datetime(["2025-03-03", "2025-03-04"], utc=True),
        }
    ).to_parquet(path / "data" / "orders.parquet")
    return path


def feast_apply(path: Path) -> None:
    done = subprocess.run([str(FEAST), "apply"], cwd=path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def repository(tmp_path_factory, graph) -> Path:
    graph.execute_query("CREATE (:Project {id: 'churn-model', name: 'Churn', status: 'active'})")
    path = make_repository(tmp_path_factory.mktemp("feast") / "repo", "churn-model")
    feast_apply(path)
    return path


def graph_size(driver) -> tuple[int, int]:
    return count(driver, "MATCH (n) RETURN count(n)"), count(driver, "MATCH ()-[r]->() RETURN count(r)")


ARTIFACT = """
query($id: ID!) { artifact(id: $id) {
  name kind uri description
  derivedFrom { edges { node { id } } }
  usedBy { edges { node { id } usage { kinds } } }
} }
"""


def _ids(connection: dict) -> list[str]:
    return sorted(edge["node"]["id"] for edge in connection["edges"])


def test_a_feature_repository_becomes_features_derived_from_their_sources(repository, graph, client):
    report = import_feast(graph, "neo4j", repository)
    assert (report.project, report.sources, report.feature_views, report.on_demand_views, report.feature_services) == (
        "shop",
        2,
        1,
        1,
        1,
    )
    view = data(client, ARTIFACT, {"id": "feast:shop/feature-view/customer_stats"})["artifact"]
    assert (view["name"], view["kind"], view["description"]) == ("customer_stats", "feature", "Recent orders and spend")
    assert _ids(view["derivedFrom"]) == ["feast:shop/source/orders"]
    source = data(client, ARTIFACT, {"id": "feast:shop/source/orders"})["artifact"]
    assert (source["kind"], source["uri"], source["description"]) == ("dataset", "data/orders.parquet", "Orders by day")
    on_demand = data(client, ARTIFACT, {"id": "feast:shop/feature-view/spend_ratio"})["artifact"]
    assert _ids(on_demand["derivedFrom"]) == ["feast:shop/feature-view/customer_stats", "feast:shop/source/basket"]
    service = data(client, ARTIFACT, {"id": "feast:shop/feature-service/churn_service"})["artifact"]
    assert _ids(service["derivedFrom"]) == [
        "feast:shop/feature-view/customer_stats",
        "feast:shop/feature-view/spend_ratio",
    ]
    assert [(e["node"]["id"], e["usage"]["kinds"]) for e in service["usedBy"]["edges"]] == [
        ("churn-model", ["feast-service"])
    ]
    records, _, _ = graph.execute_query(
        "MATCH (a:Artifact {id: 'feast:shop/feature-view/customer_stats'}) RETURN a.entities AS e, a.features AS f"
    )
    assert (records[0]["e"], records[0]["f"]) == (["customer"], ["orders_7d", "spend_7d"])

    before = graph_size(graph)
    import_feast(graph, "neo4j", repository)
    assert graph_size(graph) == before


def test_a_repository_that_cannot_be_read_is_refused_and_changes_nothing(repository, graph, tmp_path):
    before = graph_size(graph)
    not_applied = tmp_path / "not-applied"
    not_applied.mkdir()
    (not_applied / "feature_store.yaml").write_text(CONFIG)
    remote = tmp_path / "remote"
    remote.mkdir()
    (remote / "feature_store.yaml").write_text(CONFIG.replace("data/registry.db", "s3://bucket/registry.db"))
    refusals = {
        tmp_path / "missing": "not a Feast repository",
        not_applied: "run `feast apply` first",
        remote: "only a local file registry is read",
    }
    for path, message in refusals.items():
        with pytest.raises(FeastImportError) as refused:
            import_feast(graph, "neo4j", path)
        assert message in str(refused.value)
    # A feature service tagged onto a project that does not exist: the registry is read, nothing written.
    orphan = tmp_path / "orphan"
    shutil.copytree(repository, orphan)
    store = feast_sdk().FeatureStore(repo_path=str(orphan))
    service = store.get_feature_service("churn_service")
    service.tags = {"maestro.project": "no-such-project"}
    store.apply([service])
    with pytest.raises(FeastImportError, match="no-such-project"):
        import_feast(graph, "neo4j", orphan)
    assert graph_size(graph) == before


def test_the_command_prints_a_summary_and_refuses_a_missing_repository(
    repository, graph, neo4j_target, monkeypatch, tmp_path
):
    monkeypatch.setenv("NEO4J_URI", neo4j_target.uri)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_target.password)
    get_settings.cache_clear()
    try:
        done = CliRunner().invoke(cli.app, ["import-feast", str(repository)])
        assert done.exit_code == 0, done.output
        assert "shop" in done.output
        refused = CliRunner().invoke(cli.app, ["import-feast", str(tmp_path / "missing")])
        assert refused.exit_code == 2
        assert "not a Feast repository" in refused.output
    finally:
        get_settings.cache_clear()
