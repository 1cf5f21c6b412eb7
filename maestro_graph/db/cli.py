"""`maestro-graph migrate` and `maestro-graph neo4j start|stop|status`: the schema, and the
managed local Neo4j."""

from __future__ import annotations

import json

import typer

from maestro_graph.cli_support import console, migrated_graph, neo4j_target
from maestro_graph.config import get_settings
from maestro_graph.db import managed_neo4j

commands = typer.Typer()
neo4j_commands = typer.Typer(help="The managed local Neo4j (ignored when NEO4J_URI is set).", no_args_is_help=True)


@commands.command()
def migrate() -> None:
    """Apply pending schema migrations (cypher/migrations)."""
    with migrated_graph() as graph:
        applied = graph.applied
    console.print(f"applied: {', '.join(applied)}" if applied else "schema is up to date")


@neo4j_commands.command("start")
def neo4j_start() -> None:
    """Install (first time) and start the managed Neo4j; waits until Bolt answers."""
    settings = get_settings()
    if settings.neo4j_uri:
        console.print(f"NEO4J_URI is set ({settings.neo4j_uri}): nothing to start.")
        return
    target = neo4j_target(settings)
    connection = {
        "uri": target.uri,
        "user": target.user,
        "browser": target.browser_url,
        "passwordFile": str(managed_neo4j.password_file(settings.data_dir)),
    }
    typer.echo(json.dumps(connection))


@neo4j_commands.command("stop")
def neo4j_stop() -> None:
    """Stop the managed Neo4j (no-op when it is not running)."""
    stopped = managed_neo4j.stop(get_settings().data_dir)
    console.print("stopped" if stopped else "not running")


@neo4j_commands.command("status")
def neo4j_status() -> None:
    """Say whether the managed Neo4j is running; exit 1 when it is not."""
    connection = managed_neo4j.status(get_settings().data_dir)
    if connection is None:
        console.print("not running")
        raise typer.Exit(1)
    typer.echo(json.dumps({"uri": connection.uri, "user": connection.user, "browser": connection.browser_url}))
