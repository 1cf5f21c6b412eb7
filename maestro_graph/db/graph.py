"""The API's access to Neo4j: managed transactions, reads routed to readers, and a
per-request count of Cypher round trips (so a test, a log line or a metric can say
how many queries a GraphQL request cost)."""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import neo4j

T = TypeVar("T")

_round_trips: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("cypher_round_trips", default=None)


def start_counting() -> list[int]:
    """Begin counting round trips for the current request; returns the live counter."""
    counter = [0]
    _round_trips.set(counter)
    return counter


def _count() -> None:
    counter = _round_trips.get()
    if counter is not None:
        counter[0] += 1


async def fetch(tx: neo4j.AsyncManagedTransaction, query: str, **params: Any) -> list[dict[str, Any]]:
    """Run one parameterised query in `tx` and return its rows as dicts."""
    _count()
    result = await tx.run(query, params)
    return [record.data() async for record in result]


async def fetch_one(tx: neo4j.AsyncManagedTransaction, query: str, **params: Any) -> dict[str, Any] | None:
    rows = await fetch(tx, query, **params)
    return rows[0] if rows else None


class GraphDB:
    """An async driver bound to one database."""

    def __init__(self, driver: neo4j.AsyncDriver, database: str):
        self.driver = driver
        self.database = database

    async def read(self, work: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        async with self.driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as session:
            return await session.execute_read(work, *args, **kwargs)

    async def write(self, work: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run `work` in one write transaction, retried on transient errors; all or nothing."""
        async with self.driver.session(database=self.database) as session:
            return await session.execute_write(work, *args, **kwargs)

    async def query(self, query: str, **params: Any) -> list[dict[str, Any]]:
        """A single read query outside any unit of work."""

        async def work(tx: neo4j.AsyncManagedTransaction) -> list[dict[str, Any]]:
            return await fetch(tx, query, **params)

        return await self.read(work)

    async def close(self) -> None:
        await self.driver.close()
