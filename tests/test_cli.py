"""The command line as assembled from the packages' commands, the preamble they share
(connect-and-migrate, one way to fail), and the commands no other test drives."""

from __future__ import annotations

import json

import pytest
import typer
from conftest import wipe
from typer.testing import CliRunner, Result

from maestro_graph import cli, serving
from maestro_graph.config import get_settings
from maestro_graph.repositories.graph_summary import GraphSummary, graph_summary


def run(neo4j_target, monkeypatch, tmp_path, *args: str) -> Result:
    monkeypatch.setenv("NEO4J_URI", neo4j_target.uri)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_target.password)
    monkeypatch.setenv("MAESTRO_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli.app, list(args))
    finally:
        get_settings.cache_clear()


def _names(group) -> list[str]:
    return list(group.list_commands(typer.Context(group)))


def test_the_command_line_keeps_its_commands_and_their_order():
    root = typer.main.get_command(cli.app)
    assert _names(root) == [
        "migrate",
        "backup",
        "restore",
        "seed",
        "import",
        "export",
        "import-git",
        "import-mlflow",
        "import-feast",
        "embed",
        "train",
        "evaluate",
        "predict",
        "models",
        "export-schema",
        "serve",
        "neo4j",
        "oauth",
        "webhooks",
    ]
    assert _names(root.commands["neo4j"]) == ["start", "stop", "status"]
    assert _names(root.commands["models"]) == ["export", "import"]
    assert _names(root.commands["oauth"]) == ["create-client", "list-clients", "revoke-client", "rotate-key"]
    assert _names(root.commands["webhooks"]) == ["add-github", "list", "remove"]


def test_migrate_on_a_current_schema_applies_nothing(graph, neo4j_target, monkeypatch, tmp_path):
    result = run(neo4j_target, monkeypatch, tmp_path, "migrate")
    assert result.exit_code == 0, result.output
    assert "schema is up to date" in result.output


def test_webhook_commands_register_list_and_remove_a_repository(graph, neo4j_target, monkeypatch, tmp_path):
    graph.execute_query("MERGE (:Project {id: 'cli-hooks', name: 'CLI hooks'})")
    added = run(
        neo4j_target,
        monkeypatch,
        tmp_path,
        "webhooks",
        "add-github",
        "Octo/CLI",
        "--project-id",
        "cli-hooks",
        "--deploy-workflow",
        "Deploy",
    )
    assert added.exit_code == 0, added.output
    created = json.loads(added.stdout)
    assert created["id"] == "github:octo/cli" and created["secret"]
    assert "Store the secret now" in added.stderr

    listed = json.loads(run(neo4j_target, monkeypatch, tmp_path, "webhooks", "list").stdout)
    mine = [integration for integration in listed if integration["id"] == created["id"]]
    assert mine and mine[0]["deploy_workflows"] == ["deploy"]
    assert not any("secret" in key for integration in listed for key in integration)

    again = run(neo4j_target, monkeypatch, tmp_path, "webhooks", "add-github", "octo/cli", "--project-id", "cli-hooks")
    assert again.exit_code == 2 and "already registered" in again.stderr
    assert run(neo4j_target, monkeypatch, tmp_path, "webhooks", "remove", created["id"]).exit_code == 0
    gone = run(neo4j_target, monkeypatch, tmp_path, "webhooks", "remove", created["id"])
    assert gone.exit_code == 1 and f"no integration {created['id']!r}" in gone.stderr


@pytest.mark.parametrize(
    "args, code",
    [
        (["oauth", "revoke-client", "[bold]ghost[/bold]"], 1),
        (["webhooks", "remove", "github:[red]a[/red]/b"], 1),
        (["webhooks", "add-github", "[x]/y", "--project-id", "p"], 2),
    ],
)
def test_a_refusal_prints_what_was_given_as_text_not_as_markup(graph, neo4j_target, monkeypatch, tmp_path, args, code):
    result = run(neo4j_target, monkeypatch, tmp_path, *args)
    assert result.exit_code == code, result.output
    given = next(arg for arg in args if "[" in arg)
    assert repr(given) in result.stderr
    assert result.stdout == ""


def test_no_reachable_neo4j_ends_a_command_with_exit_1_and_the_reason(graph, monkeypatch, tmp_path):
    monkeypatch.delenv("NEO4J_URI", raising=False)
    monkeypatch.setenv("MAESTRO_DATA_DIR", str(tmp_path / "shared"))
    (tmp_path / "shared").mkdir(mode=0o777)
    (tmp_path / "shared").chmod(0o1777)  # sticky and shared, like /tmp: never the managed Neo4j's home
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["migrate"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "shared with other users" in result.stderr and "Traceback" not in result.output


def test_serve_demo_reads_how_many_projects_there_are_and_whether_a_model_is_active(graph):
    wipe(graph)
    assert graph_summary(graph, "neo4j") == GraphSummary(projects=0, trained=False)
    graph.execute_query("CREATE (:Project {id: 'p1'}), (:Project {id: 'p2'}), (:Model {version: 'v1', active: false})")
    assert graph_summary(graph, "neo4j") == GraphSummary(projects=2, trained=False)
    graph.execute_query("MATCH (m:Model {version: 'v1'}) SET m.active = true")
    assert graph_summary(graph, "neo4j") == GraphSummary(projects=2, trained=True)


def test_serve_demo_leaves_a_graph_with_projects_and_an_active_model_as_it_is(graph):
    wipe(graph)
    graph.execute_query("CREATE (:Project {id: 'mine'}), (:Model {version: 'v1', active: true})")
    serving.prepare_demo(graph, "neo4j")
    assert graph_summary(graph, "neo4j") == GraphSummary(projects=1, trained=True)
