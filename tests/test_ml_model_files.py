"""The served outcome model moves between graphs: `models export` writes its file, `models
import` stores it in another graph, `predict` publishes its scores there exactly as `train`
did; a file from another format version, or a changed or cut one, is refused and writes nothing."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from conftest import count, wipe
from test_cli import run

from maestro_graph.ingest.demo_seed import DemoSize, seed_demo
from maestro_graph.ml.model_file import ARRAYS, MANIFEST, read_model_file
from maestro_graph.ml.serving.outcome_versions import export_model, fit_outcome_version, process_columns
from maestro_graph.ml.serving.publish import publish
from maestro_graph.ml.training.graph_export import export_usage_graph

# Enough labelled projects for the trees to split (their leaves hold at least 40).
SIZE = DemoSize(projects=160, people=40)


def _seed(graph) -> None:
    wipe(graph)
    seed_demo(graph, "neo4j", size=SIZE)


def _active_outcomes(graph) -> tuple[str, dict[str, float]]:
    records = graph.execute_query(
        "MATCH (m:Model {task: 'outcome', active: true})-[:MADE]->(x:Prediction)-[:ABOUT]->(p:Project) "
        "RETURN m.version AS version, p.id AS project, x.score AS score"
    ).records
    return records[0]["version"], {r["project"]: r["score"] for r in records}


@pytest.fixture(scope="module")
def trained(graph):
    """An outcome version published the way `train` publishes it, and its predictions."""
    _seed(graph)
    usage = export_usage_graph(graph, "neo4j")
    result, _ = fit_outcome_version(usage, process_columns(graph, "neo4j", usage), 0, {"seed": 0}, {})
    version = publish(graph, "neo4j", result)
    return version, _active_outcomes(graph)[1], export_model(graph, "neo4j", version)


@pytest.fixture
def exported(trained, tmp_path):
    path = tmp_path / "outcome.mgmodel"
    path.write_bytes(trained[2])
    return path


def test_export_writes_the_stored_file_and_never_overwrites(trained, graph, neo4j_target, monkeypatch, tmp_path):
    path = tmp_path / "out.mgmodel"
    result = run(neo4j_target, monkeypatch, tmp_path, "models", "export", trained[0], str(path))
    assert result.exit_code == 0, result.output
    assert path.read_bytes() == trained[2]
    again = run(neo4j_target, monkeypatch, tmp_path, "models", "export", trained[0], str(path))
    assert again.exit_code == 1 and "cannot write" in again.output


def test_the_file_carries_task_features_fingerprint_metrics_and_seed(trained, exported):
    manifest = read_model_file(exported.read_bytes()).manifest
    assert manifest["task"] == "outcome" and manifest["version"] == trained[0] and manifest["seed"] == 0
    assert manifest["format_version"] == 1 and len(manifest["training_fingerprint"]) == 64
    assert "uses_degree" in manifest["features"] and "words_logit" in manifest["features"]
    assert manifest["metrics"]["training_projects"] == SIZE.projects


def test_export_import_predict_in_a_fresh_graph_gives_the_same_predictions(
    trained, exported, graph, neo4j_target, monkeypatch, tmp_path
):
    version, before, _ = trained
    assert len(set(before.values())) > 5  # the trees split: the comparison below is not of constants
    _seed(graph)  # a fresh graph: the same projects, no model
    assert count(graph, "MATCH (m:Model) RETURN count(m)") == 0
    imported = run(neo4j_target, monkeypatch, tmp_path, "models", "import", str(exported))
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout.strip().splitlines()[-1]) == {"version": version}
    predicted = run(neo4j_target, monkeypatch, tmp_path, "predict", "--model", version)
    assert predicted.exit_code == 0, predicted.output
    new_version, after = _active_outcomes(graph)
    assert new_version == json.loads(predicted.stdout.strip().splitlines()[-1])["version"] != version
    assert after == before
    # The new version keeps the file, so `predict` without --model scores with it again.
    again = run(neo4j_target, monkeypatch, tmp_path, "predict")
    assert again.exit_code == 0, again.output
    assert _active_outcomes(graph)[1] == before
    assert count(graph, "MATCH (x:Prediction {task: 'outcome'}) RETURN count(x)") == SIZE.projects


def _rewritten(data: bytes, replace: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            target.writestr(name, replace.get(name, source.read(name)))
    return out.getvalue()


def _manifest_with(**changes):
    def change(data: bytes) -> bytes:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            manifest = json.loads(archive.read(MANIFEST))
        return _rewritten(data, {MANIFEST: json.dumps({**manifest, **changes}).encode()})

    return change


def _edited_weights(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        arrays = bytearray(archive.read(ARRAYS))
    arrays[-20] ^= 0xFF
    return _rewritten(data, {ARRAYS: bytes(arrays)})


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_manifest_with(format_version=2), "incompatible model file: format version 2"),
        (_manifest_with(task="artifacts"), "incompatible model file: task 'artifacts'"),
        (_manifest_with(seed="x"), "its seed is not a number"),
        (_edited_weights, "arrays.npz does not match its checksum"),
        (lambda data: data[: len(data) // 2], "not a readable zip archive"),
        (lambda data: b"\x80\x04K\x01." + data, "not a readable zip archive"),  # a pickle in front
    ],
)
def test_an_incompatible_changed_or_cut_file_is_refused_and_nothing_is_written(
    damage, message, exported, graph, neo4j_target, monkeypatch, tmp_path
):
    bad = tmp_path / "bad.mgmodel"
    bad.write_bytes(damage(exported.read_bytes()))
    models_before = count(graph, "MATCH (m:Model) RETURN count(m)")
    result = run(neo4j_target, monkeypatch, tmp_path, "models", "import", str(bad))
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert count(graph, "MATCH (m:Model) RETURN count(m)") == models_before


def test_importing_a_version_the_graph_has_is_refused(trained, exported, neo4j_target, monkeypatch, tmp_path, graph):
    if count(graph, "MATCH (m:Model {version: $v}) RETURN count(m)", v=trained[0]) == 0:
        assert run(neo4j_target, monkeypatch, tmp_path, "models", "import", str(exported)).exit_code == 0
    result = run(neo4j_target, monkeypatch, tmp_path, "models", "import", str(exported))
    assert result.exit_code == 2 and "already in this graph" in result.output


def test_predict_with_an_unknown_version_or_a_task_without_files_fails_clearly(
    trained, neo4j_target, monkeypatch, tmp_path
):
    result = run(neo4j_target, monkeypatch, tmp_path, "predict", "--model", "outcome-nope")
    assert result.exit_code == 1 and "no model version 'outcome-nope'" in result.output
    exported = run(neo4j_target, monkeypatch, tmp_path, "models", "export", "outcome-nope", str(tmp_path / "x"))
    assert exported.exit_code == 1 and not (tmp_path / "x").exists()
