"""Schema migrations: `cypher/migrations/NNNN_name.cypher`, applied in order, each once.

Each applied file is recorded as a `(:Migration {id, name, checksum, applied_at})` node,
so the graph itself says which schema it has. A recorded file whose text has since
changed is an error: migrations are append-only.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import neo4j

from maestro_graph.db.graph import GraphDB

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "cypher" / "migrations"
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.cypher$")

_APPLIED = "MATCH (m:Migration) RETURN m.id AS id, m.checksum AS checksum"
_APPLIED_IDS = "MATCH (m:Migration) RETURN collect(m.id) AS ids"
_RECORD = """
MERGE (m:Migration {id: $id})
SET m.name = $name, m.checksum = $checksum, m.applied_at = datetime()
"""


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    id: str
    name: str
    statements: tuple[str, ...]
    checksum: str


def split_statements(text: str) -> tuple[str, ...]:
    """Statements of a migration file: `//` comment lines dropped, split on `;` at line end."""
    lines = [line for line in text.splitlines() if not line.strip().startswith("//")]
    parts = re.split(r";\s*(?:\n|$)", "\n".join(lines))
    return tuple(part.strip() for part in parts if part.strip())


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.cypher")):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_snake_name.cypher")
        text = path.read_text(encoding="utf-8")
        checksum = hashlib.sha256(text.encode()).hexdigest()
        migrations.append(Migration(match.group(1), match.group(2), split_statements(text), checksum))
    ids = [m.id for m in migrations]
    if len(ids) != len(set(ids)):
        raise MigrationError(f"duplicate migration numbers in {directory}")
    return migrations


def applied(driver: neo4j.Driver, database: str) -> dict[str, str]:
    """Applied migration ids with the checksum recorded when each ran."""
    records, _, _ = driver.execute_query(_APPLIED, database_=database, routing_=neo4j.RoutingControl.READ)
    return {r["id"]: r["checksum"] for r in records}


async def unapplied_ids(db: GraphDB, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Ids of the migrations in `directory` the graph has not recorded, for the readiness probe:
    one attempt, never retried (`GraphDB.query_once`), since a probe answers within its own
    timeout. Neo4j out of reach raises, as the driver does."""
    rows = await db.query_once(_APPLIED_IDS)
    return sorted({migration.id for migration in load_migrations(directory)} - set(rows[0]["ids"]))


def pending(driver: neo4j.Driver, database: str, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    done = applied(driver, database)
    todo = []
    for migration in load_migrations(directory):
        recorded = done.get(migration.id)
        if recorded is None:
            todo.append(migration)
        elif recorded != migration.checksum:
            raise MigrationError(
                f"migration {migration.id}_{migration.name} changed after it was applied; add a new migration instead"
            )
    return todo


def migrate(driver: neo4j.Driver, database: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations in order; returns the ids applied.

    Schema statements cannot share a transaction with data writes in Neo4j, so each
    statement runs on its own and the record is written after the file's last one.
    Statements use IF NOT EXISTS, so a file interrupted half way is safe to re-run.
    """
    done = []
    for migration in pending(driver, database, directory):
        for statement in migration.statements:
            driver.execute_query(statement, database_=database)
        driver.execute_query(
            _RECORD, id=migration.id, name=migration.name, checksum=migration.checksum, database_=database
        )
        done.append(migration.id)
    if done:
        # New indexes populate in the background; queries right after a migration expect them online.
        driver.execute_query("CALL db.awaitIndexes(300)", database_=database)
    return done
