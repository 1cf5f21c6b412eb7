"""What every `maestro-graph` command shares: the console it reports on, one way to fail, and
the preamble of each command that works on the graph — settings read, the Neo4j they name
resolved (the managed one started when NEO4J_URI is unset), the schema migrated, a driver open.

Commands live beside what they drive (`ingest/cli.py`, `ml/cli.py`, `auth/cli.py`, ...);
`cli.py` only assembles them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NoReturn, TypeVar

import neo4j
import typer
from rich.console import Console

from maestro_graph.config import Settings, get_settings
from maestro_graph.db import migrations
from maestro_graph.db.connection import Neo4jTarget, Neo4jUnavailable, open_async_driver, open_driver, resolve_target
from maestro_graph.db.graph import GraphDB
from maestro_graph.db.managed_neo4j import Neo4jServerError

T = TypeVar("T")

# Reports and progress go to stderr, so stdout carries only what a script reads (JSON, Markdown).
console = Console(stderr=True)

# An administrative command runs one request at a time; the API's pool size is for serving.
_ADMIN_POOL_SIZE = 2


def fail(message: object, code: int = 1) -> NoReturn:
    """Print `message` in red and end the command with exit status `code`.

    Printed as plain text, never read as rich markup: messages quote paths, row values and
    names given on the command line, any of which may hold brackets."""
    console.print(str(message), style="red", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def command_settings(dev: bool = False) -> Settings:
    """The settings, with the dev profile forced when a command's `--dev` asks for it."""
    settings = get_settings()
    return settings.model_copy(update={"profile": "dev"}) if dev else settings


def neo4j_target(settings: Settings, start: bool = True) -> Neo4jTarget:
    """The Neo4j the settings name; the managed one is started unless `start` is false.
    A Neo4j that cannot be reached or started ends the command (exit 1)."""
    try:
        return resolve_target(settings, start_managed=start)
    except (Neo4jUnavailable, Neo4jServerError) as error:
        fail(error)


@dataclass(frozen=True)
class MigratedGraph:
    """A sync driver open on a database whose schema is current (what batch jobs take)."""

    driver: neo4j.Driver
    target: Neo4jTarget
    # Migrations this connection applied, oldest first; empty when the schema was current.
    applied: list[str] = field(default_factory=list)

    @property
    def database(self) -> str:
        return self.target.database


@contextmanager
def migrated_graph(settings: Settings | None = None) -> Iterator[MigratedGraph]:
    """Connect-and-migrate: every command that reads or writes the graph starts here, so none
    runs against a schema older than its code."""
    target = neo4j_target(settings or get_settings())
    with open_driver(target) as driver:
        applied = migrations.migrate(driver, target.database)
        yield MigratedGraph(driver, target, applied)


def run_with_graph_db(work: Callable[[GraphDB], Awaitable[T]]) -> T:
    """Run `work(db)` on the async `GraphDB` the API's own functions take (client and
    integration registries), against the migrated graph, and return its result."""
    with migrated_graph() as graph:
        target = graph.target

    async def run() -> T:
        db = GraphDB(open_async_driver(target, max_pool_size=_ADMIN_POOL_SIZE), target.database)
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(run())
