"""`import-mlflow` against a real MLflow tracking server (SQLite backend and local artifact
root in a temporary folder, on a loopback port), started once for the module from the
server's own environment (`bin/dev setup` installs it: full `mlflow` cannot share the
service's environment, see the README). Experiments, runs, dataset inputs, logged and
registered models are made with the MLflow client; the graph is checked through GraphQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import count, data
from mlflow.entities import Dataset, DatasetInput, InputTag, LoggedModelOutput
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from maestro_graph import cli
from maestro_graph.config import get_settings
from maestro_graph.domain import hash_email
from maestro_graph.ingest.mlflow.importer import MlflowImportError, import_mlflow
from maestro_graph.integrations.project_signals import FEATURE_NAMES, project_signals
from maestro_graph.net import free_loopback_port

MLFLOW = Path(
    os.environ.get(
        "MAESTRO_MLFLOW_SERVER", Path.home() / ".cache" / "maestro-graph" / "mlflow-server" / "bin" / "mlflow"
    )
)
START_TIMEOUT_S = 300  # MLflow migrates its SQLite store on a first start: slow on a busy machine
WEEK1 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday: 2025-W10
WEEK2 = WEEK1 + timedelta(weeks=1)
ALICE = "alice@example.org"
ALICE_ID = "u-alice"  # in the graph before the import: she keeps her id and name


@pytest.fixture(scope="module")
def tracking_uri(tmp_path_factory) -> str:
    if not MLFLOW.exists():
        pytest.fail(f"no MLflow server at {MLFLOW}: run `bin/dev setup` (or set MAESTRO_MLFLOW_SERVER)")
    root = tmp_path_factory.mktemp("mlflow")
    port = free_loopback_port()
    log = open(root / "server.log", "w+")  # noqa: SIM115 (read back if the server dies)
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    server = subprocess.Popen(
        [str(MLFLOW), "server", "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
         "--default-artifact-root", str(root / "artifacts"), "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1"],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )  # fmt: skip
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{uri}/health", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"the MLflow server did not start:\n{log.read()[-3000:]}")
            time.sleep(0.5)
        yield uri
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def dataset(name: str, digest: str, context: str) -> DatasetInput:
    source = '{"uri": "s3://acme/%s.parquet"}' % name
    return DatasetInput(Dataset(name, digest, "s3", source), tags=[InputTag("mlflow.data.context", context)])


def log_run(
    client: MlflowClient,
    experiment_id: str,
    at: datetime,
    user: str,
    metrics: dict[str, float],
    inputs: list[DatasetInput] = (),  # type: ignore[assignment]
    finish: bool = True,
) -> str:
    run_id = client.create_run(experiment_id, start_time=ms(at), tags={"mlflow.user": user}).info.run_id
    for name, value in metrics.items():
        client.log_metric(run_id, name, value, timestamp=ms(at))
    if inputs:
        client.log_inputs(run_id, datasets=list(inputs))
    if finish:
        client.set_terminated(run_id, end_time=ms(at + timedelta(minutes=5)))
    return run_id


@pytest.fixture(scope="module")
def server(tracking_uri, graph) -> dict:
    """Two experiments: `churn` (a project is made for it; AUC, higher is better) with a
    logged and registered model, a run without inputs and a second week; `fraud-scoring`
    tagged onto the existing project `fraud` (loss, lower is better)."""
    graph.execute_query(
        "CREATE (:Project {id: 'fraud', name: 'Fraud', status: 'active'}), "
        "(:Person {id: $id, name: 'Alice (HR)', kind: 'person', email_hash: $hash})",
        id=ALICE_ID,
        hash=hash_email(ALICE),
    )
    client = MlflowClient(tracking_uri)
    churn = client.create_experiment("churn", tags={"maestro.primary_metric": "auc"})
    first = log_run(
        client,
        churn,
        WEEK1,
        ALICE,
        {"auc": 0.80},
        [dataset("customers", "d1", "training"), dataset("holdout", "h1", "evaluation")],
    )
    logged = client.create_logged_model(churn, name="churn-clf", source_run_id=first)
    client.log_outputs(first, [LoggedModelOutput(logged.model_id, 0)])
    client.create_registered_model("churn-classifier", description="Who will leave")
    client.create_model_version(
        "churn-classifier", f"models:/{logged.model_id}", run_id=first, model_id=logged.model_id
    )
    bare = log_run(client, churn, WEEK1 + timedelta(days=1), "bob", {"auc": 0.85})  # no inputs
    client.create_registered_model("bob-baseline")
    client.create_model_version("bob-baseline", f"runs:/{bare}/model", run_id=bare)
    log_run(client, churn, WEEK2, ALICE, {"auc": 0.83}, [dataset("customers", "d2", "training")])
    fraud = client.create_experiment(
        "fraud-scoring",
        tags={"maestro.project": "fraud", "maestro.primary_metric": "loss", "maestro.primary_metric_goal": "minimize"},
    )
    log_run(client, fraud, WEEK1, "bob", {"loss": 0.4}, [dataset("transactions", "t1", "training")])
    log_run(client, fraud, WEEK1 + timedelta(days=2), "carol", {"loss": 0.3})
    return {"client": client, "churn": churn, "fraud": fraud, "logged": logged.model_id}


def key(tracking_uri: str) -> str:
    return tracking_uri.removeprefix("http://")


def graph_size(driver) -> tuple[int, int]:
    return count(driver, "MATCH (n) RETURN count(n)"), count(driver, "MATCH ()-[r]->() RETURN count(r)")


PROJECT = """
query($id: ID!) { project(id: $id) {
  id name
  uses { edges { node { id name kind version uri } usage { kinds context } } }
  members { edges { node { id name } membership { roles since } } }
  runs: metricSeries(name: MLFLOW_RUNS) { period value }
  best: metricSeries(name: MLFLOW_BEST_METRIC) { period value }
  metrics { mlflowRuns mlflowBestMetric }
} }
"""

ARTIFACT = """
query($id: ID!) { artifact(id: $id) {
  id name kind version uri description
  derivedFrom { edges { node { id } } }
  creators { edges { node { id } } }
  usedBy { edges { node { id } } }
} }
"""


def _ids(connection: dict) -> list[str]:
    return sorted(edge["node"]["id"] for edge in connection["edges"])


def test_an_import_maps_experiments_runs_datasets_models_and_people(server, tracking_uri, graph, client):
    report = import_mlflow(graph, "neo4j", tracking_uri)
    s = key(tracking_uri)
    churn_project = f"mlflow:{s}/{server['churn']}"
    by_name = {r.experiment: r for r in report.experiments}
    assert {name: (r.project_id, r.mode, r.runs, r.people, r.datasets, r.models) for name, r in by_name.items()} == {
        "churn": (churn_project, "full", 3, 2, 2, 1),
        "fraud-scoring": ("fraud", "full", 2, 2, 1, 0),
        "Default": (f"mlflow:{s}/0", "empty", 0, 0, 0, 0),  # no runs: no project made
    }
    assert report.registered_models == 2
    assert count(graph, "MATCH (p:Project {id: $id}) RETURN count(p)", id=f"mlflow:{s}/0") == 0
    assert any("bob-baseline" in p and "logged no dataset inputs" in p for p in report.problems), report.problems

    churn = data(client, PROJECT, {"id": churn_project})["project"]
    assert churn["name"] == "churn"
    uses = {
        e["node"]["id"]: (e["node"]["kind"], e["usage"]["kinds"], e["usage"]["context"]) for e in churn["uses"]["edges"]
    }
    customers, holdout = f"mlflow:{s}/dataset/customers", f"mlflow:{s}/dataset/holdout"
    logged, registered = f"mlflow:{s}/logged-model/{server['logged']}", f"mlflow:{s}/model/churn-classifier"
    assert uses == {
        customers: ("dataset", ["mlflow-input"], "training"),
        holdout: ("dataset", ["mlflow-input"], "evaluation"),
        logged: ("model", ["mlflow-logged"], None),
        registered: ("model", ["mlflow-registered"], None),
        f"mlflow:{s}/model/bob-baseline": ("model", ["mlflow-registered"], None),
    }
    versions = {e["node"]["id"]: e["node"]["version"] for e in churn["uses"]["edges"]}
    assert versions[customers] == "d2"  # the newest run's digest
    members = {e["node"]["id"]: e["membership"] for e in churn["members"]["edges"]}
    bob = f"mlflow:{s}/bob"
    assert set(members) == {ALICE_ID, bob}
    assert members[ALICE_ID]["roles"] == ["contributor"]
    assert members[ALICE_ID]["since"].startswith("2025-03-03T09:00")
    assert churn["runs"] == [{"period": "2025-W10", "value": 2.0}, {"period": "2025-W11", "value": 1.0}]
    assert churn["best"] == [{"period": "2025-W10", "value": 0.85}, {"period": "2025-W11", "value": 0.83}]
    assert churn["metrics"] == {"mlflowRuns": 1, "mlflowBestMetric": 0.83}
    # The outcome model's process inputs: runs per week over the recent weeks.
    signals = project_signals(graph, "neo4j", [churn_project, "fraud"], as_of=WEEK2 + timedelta(days=6))
    row = dict(zip(FEATURE_NAMES, signals.features[0].tolist(), strict=True))
    assert (row["mlflow_present"], row["mlflow_runs_per_week"], row["git_present"]) == (1.0, 1.5, 0.0)

    model = data(client, ARTIFACT, {"id": registered})["artifact"]
    assert (model["name"], model["kind"], model["version"], model["uri"], model["description"]) == (
        "churn-classifier",
        "model",
        "1",
        "models:/churn-classifier/1",
        "Who will leave",
    )
    assert _ids(model["derivedFrom"]) == sorted([customers, holdout, logged])
    made = data(client, ARTIFACT, {"id": logged})["artifact"]
    assert _ids(made["derivedFrom"]) == [customers, holdout]
    assert _ids(made["creators"]) == [ALICE_ID]
    assert data(client, ARTIFACT, {"id": f"mlflow:{s}/model/bob-baseline"})["artifact"]["derivedFrom"]["edges"] == []

    # The tagged experiment went to the existing project, which keeps its name; the lower loss is best.
    fraud = data(client, PROJECT, {"id": "fraud"})["project"]
    assert fraud["name"] == "Fraud"
    assert _ids(fraud["uses"]) == [f"mlflow:{s}/dataset/transactions"]
    assert _ids(fraud["members"]) == sorted([bob, f"mlflow:{s}/carol"])
    assert fraud["best"] == [{"period": "2025-W10", "value": 0.3}]
    alice = data(client, 'query { person(id: "u-alice") { name } }')["person"]
    assert alice["name"] == "Alice (HR)"


def test_importing_again_reads_only_new_runs_and_changes_nothing_else(server, tracking_uri, graph, client):
    before = graph_size(graph)
    again = import_mlflow(graph, "neo4j", tracking_uri)
    assert {r.experiment: (r.mode, r.runs) for r in again.experiments} == {
        "churn": ("up-to-date", 0),
        "fraud-scoring": ("up-to-date", 0),
        "Default": ("empty", 0),
    }
    assert graph_size(graph) == before

    # A new finished run in week 2, and one still running: both read; the running one again next time.
    mlflow = server["client"]
    log_run(mlflow, server["churn"], WEEK2 + timedelta(days=1), "dave", {"auc": 0.9})
    log_run(mlflow, server["churn"], WEEK2 + timedelta(days=2), "dave", {"auc": 0.7}, finish=False)
    report = import_mlflow(graph, "neo4j", tracking_uri, ["churn"])
    assert [(r.experiment, r.mode, r.runs, r.weeks) for r in report.experiments] == [("churn", "incremental", 2, 1)]
    project = f"mlflow:{key(tracking_uri)}/{server['churn']}"
    churn = data(client, PROJECT, {"id": project})["project"]
    assert churn["runs"] == [{"period": "2025-W10", "value": 2.0}, {"period": "2025-W11", "value": 3.0}]
    assert churn["best"][-1] == {"period": "2025-W11", "value": 0.9}
    sized = graph_size(graph)
    still_running = import_mlflow(graph, "neo4j", tracking_uri, ["churn"])
    assert [(r.mode, r.runs) for r in still_running.experiments] == [("incremental", 1)]
    assert graph_size(graph) == sized


def test_the_command_prints_a_summary_and_refuses_a_bad_since(server, tracking_uri, graph, neo4j_target, monkeypatch):
    monkeypatch.setenv("NEO4J_URI", neo4j_target.uri)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_target.password)
    get_settings.cache_clear()
    try:
        done = CliRunner().invoke(cli.app, ["import-mlflow", tracking_uri, "--experiment", "fraud-scoring"])
        assert done.exit_code == 0, done.output
        # The table wraps at the runner's 80 columns: the cells' starts are what is certain.
        assert "fraud" in done.output and "up-to" in done.output
        assert f"{key(tracking_uri)}: 0 registered models" in done.output  # none from this experiment's runs
        refused = CliRunner().invoke(cli.app, ["import-mlflow", tracking_uri, "--since", "last week"])
        assert refused.exit_code == 2
        assert "is not an ISO 8601 date or time" in refused.output
    finally:
        get_settings.cache_clear()


def test_bad_input_is_refused_with_a_clear_message_and_changes_nothing(server, tracking_uri, graph):
    before = graph_size(graph)
    nobody = f"http://maestro:s3cret@127.0.0.1:{free_loopback_port()}"  # nothing listens there
    refusals = {
        (nobody, None): "Connection refused",
        ("file:///tmp/mlruns", None): "is not an http(s) URI",
        (tracking_uri, "no-such-experiment"): "there is no experiment named 'no-such-experiment'",
    }
    mlflow = server["client"]
    orphan = mlflow.create_experiment("orphan", tags={"maestro.project": "no-such-project"})
    log_run(mlflow, orphan, WEEK1, "erin", {"auc": 0.5})
    refusals[(tracking_uri, None)] = "names project 'no-such-project', which does not exist"
    for (uri, experiment), message in refusals.items():
        with pytest.raises(MlflowImportError) as refused:
            import_mlflow(graph, "neo4j", uri, [experiment] if experiment else None)
        assert message in str(refused.value) and "s3cret" not in str(refused.value)
        assert graph_size(graph) == before
    mlflow.delete_experiment(orphan)
    with pytest.raises(MlflowImportError, match="experiment 'orphan' is deleted"):
        import_mlflow(graph, "neo4j", tracking_uri, ["orphan"])
    assert graph_size(graph) == before
    # Once deleted, it is left out of a whole-server import.
    assert "orphan" not in {r.experiment for r in import_mlflow(graph, "neo4j", tracking_uri).experiments}
