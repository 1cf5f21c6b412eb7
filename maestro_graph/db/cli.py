"""`maestro-graph migrate`, `backup`, `restore` and `maestro-graph neo4j start|stop|status`: the
schema, copies of the graph, and the managed local Neo4j."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from maestro_graph.cli_support import console, fail, migrated_graph, neo4j_target
from maestro_graph.config import Settings, get_settings
from maestro_graph.db import managed_neo4j
from maestro_graph.db.connection import open_driver

commands = typer.Typer()
neo4j_commands = typer.Typer(help="The managed local Neo4j (ignored when NEO4J_URI is set).", no_args_is_help=True)


@commands.command()
def migrate() -> None:
    """Apply pending schema migrations (cypher/migrations)."""
    with migrated_graph() as graph:
        applied = graph.applied
    console.print(f"applied: {', '.join(applied)}" if applied else "schema is up to date")


def _managed_only(settings: Settings, what: str) -> None:
    if settings.neo4j_uri:
        fail(
            f"NEO4J_URI is set ({settings.neo4j_uri}): {what} works on the managed Neo4j only. "
            "Use that server's own backups (Aura snapshots, `neo4j-admin database backup` on Enterprise).",
            2,
        )


@commands.command()
def backup(file: Annotated[Path, typer.Argument(help="The archive to write (a new file).")]) -> None:
    """Copy the managed Neo4j's database into FILE with Neo4j's own dump. Neo4j Community
    cannot take one database offline, so a running server stops for the copy and starts again."""
    from maestro_graph.db.backup import BackupError
    from maestro_graph.db.backup import backup as dump

    settings = get_settings()
    _managed_only(settings, "backup")
    try:
        with console.status("stopping Neo4j, dumping the database, starting Neo4j again"):
            report = dump(settings.data_dir, settings.neo4j_database, file)
    except (BackupError, managed_neo4j.Neo4jServerError) as error:
        fail(f"backup failed: {error}")
    console.print(f"backed up {settings.neo4j_database!r} to {report.path} ({report.bytes:,} bytes)")


@commands.command()
def restore(
    file: Annotated[Path, typer.Argument(help="An archive written by `backup` (or `neo4j-admin database dump`).")],
    force: Annotated[bool, typer.Option("--force", help="Replace a graph that holds data.")] = False,
) -> None:
    """Replace the managed Neo4j's database with the archive in FILE. The archive is checked whole
    before anything changes; a graph that holds data is replaced only with --force."""
    from maestro_graph.db.backup import BackupError
    from maestro_graph.db.backup import restore as load
    from maestro_graph.repositories.graph_summary import data_nodes

    settings = get_settings()
    _managed_only(settings, "restore")
    try:
        if managed_neo4j.store_exists(settings.data_dir, settings.neo4j_database) and not force:
            with open_driver(neo4j_target(settings)) as driver:
                held = data_nodes(driver, settings.neo4j_database)
            if held:
                fail(
                    f"the graph is not empty ({held:,} nodes); restoring would replace them. Pass --force to do so.", 2
                )
        with console.status("checking the archive; then stopping Neo4j, loading it, starting Neo4j again"):
            load(settings.data_dir, settings.neo4j_database, file)
    except (BackupError, managed_neo4j.Neo4jServerError) as error:
        fail(f"restore refused: {error}", 2)
    console.print(f"restored {settings.neo4j_database!r} from {file}")


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
