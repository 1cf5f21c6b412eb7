"""The API's access to Neo4j: managed transactions, reads routed to readers, and a
per-request count of Cypher round trips (so a test, a log line or a metric can say
how many queries a GraphQL request cost).

Every unit of work carries the request id in its transaction metadata (visible in
`SHOW TRANSACTIONS` and Neo4j's query log), and is timed for /metrics."""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import neo4j

from maestro_graph.db.availability import is_unavailable
from maestro_graph.domain import InvalidInput, NotFound
from maestro_graph.middleware import deadline
from maestro_graph.observability import prometheus, request_id, tracing

T = TypeVar("T")
_SERVER_GRACE_SECONDS = 1.0

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


async def _rows(
    tx: neo4j.AsyncManagedTransaction, query: str, params: dict[str, Any], row: Callable[[neo4j.Record], dict[str, Any]]
) -> list[dict[str, Any]]:
    _count()
    started = time.perf_counter()
    result = await tx.run(query, params)
    rows = [row(record) async for record in result]
    prometheus.CYPHER_DURATION.observe(time.perf_counter() - started)
    return rows


async def fetch(tx: neo4j.AsyncManagedTransaction, query: str, **params: Any) -> list[dict[str, Any]]:
    """Run one parameterised query in `tx` and return its rows as dicts."""
    return await _rows(tx, query, params, neo4j.Record.data)


def _as_decoded(record: neo4j.Record) -> dict[str, Any]:
    return dict(zip(record.keys(), record.values(), strict=True))


async def fetch_maps(tx: neo4j.AsyncManagedTransaction, query: str, **params: Any) -> list[dict[str, Any]]:
    """`fetch` for queries that return only maps, lists and plain values (map projections such as
    `n {.*}`, never nodes or relationships): their rows are used as decoded, skipping the
    driver's recursive conversion of graph types, the largest cost of a deep page in Python."""
    return await _rows(tx, query, params, _as_decoded)


async def fetch_one(tx: neo4j.AsyncManagedTransaction, query: str, **params: Any) -> dict[str, Any] | None:
    rows = await fetch(tx, query, **params)
    return rows[0] if rows else None


class GraphDB:
    """An async driver bound to one database."""

    def __init__(self, driver: neo4j.AsyncDriver, database: str, autocommit_reads: bool = False, observed: bool = True):
        """`observed=False` for the service's own background loops (live events): their units
        of work stay out of the metrics and traces that describe the API's requests."""
        self.driver = driver
        self.database = database
        self.autocommit_reads = autocommit_reads
        self.observed = observed
        # Told after every committed write (the live events' pump, so it numbers the write's
        # event without waiting out its idle back-off).
        self.after_write: list[Callable[[], None]] = []

    async def read(self, work: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run `work` against a reader. With `autocommit_reads`, each of its queries is an
        auto-commit transaction: one Bolt exchange (RUN and PULL sent together) instead of three
        (BEGIN, RUN and PULL, COMMIT), which a one-query read (most of the API's, thanks to the
        prefetch) pays on every request. Neo4j reads at read-committed isolation either way, so a
        unit of several queries sees no less consistency than in one transaction. A transient
        failure falls back to a managed transaction, which the driver retries."""
        if self.autocommit_reads:
            try:
                async with (
                    self._observed("read"),
                    self.driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as session,
                ):
                    tagged = _tagged(work)
                    auto = _AutoCommit(session, getattr(tagged, "metadata", None), getattr(tagged, "timeout", None))
                    return await work(auto, *args, **kwargs)
            except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as error:
                if not error.is_retryable():
                    raise
        async with (
            self._observed("read"),
            self.driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as session,
        ):
            return await session.execute_read(_tagged(work), *args, **kwargs)

    async def write(self, work: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run `work` in one write transaction, retried on transient errors; all or nothing."""
        async with self._observed("write"), self.driver.session(database=self.database) as session:
            result = await session.execute_write(_tagged(work), *args, **kwargs)
        for listener in self.after_write:
            listener()
        return result

    async def query_once(self, query: str, **params: Any) -> list[dict[str, Any]]:
        """One read query in an auto-commit transaction, never retried: for health checks and
        scrapes, which must answer within their own timeout rather than the retry window."""
        async with (
            self._observed("read"),
            self.driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as session,
        ):
            query_obj = neo4j.Query(query, metadata=_metadata())
            result = await session.run(query_obj, params)
            return [record.data() async for record in result]

    @contextlib.asynccontextmanager
    async def _observed(self, mode: str) -> AsyncIterator[None]:
        if not self.observed:
            yield
            return
        started = time.perf_counter()
        outcome = "ok"
        prometheus.SESSIONS_IN_USE.inc()
        try:
            with tracing.span(f"neo4j {mode}", {"db.system": "neo4j", "db.name": self.database}):
                yield
        except BaseException as error:
            # A write the domain refused (bad input, a missing node) rolls back as it should:
            # counted apart, so `error` stays a sign of a fault, not of a caller's mistake.
            outcome = (
                "unavailable"
                if is_unavailable(error)
                else "rejected"
                if isinstance(error, (InvalidInput, NotFound))
                else "error"
            )
            raise
        finally:
            prometheus.SESSIONS_IN_USE.dec()
            prometheus.TRANSACTION_DURATION.labels(mode, outcome).observe(time.perf_counter() - started)

    async def query(self, query: str, **params: Any) -> list[dict[str, Any]]:
        """A single read query outside any unit of work."""

        async def work(tx: neo4j.AsyncManagedTransaction) -> list[dict[str, Any]]:
            return await fetch(tx, query, **params)

        return await self.read(work)

    async def close(self) -> None:
        await self.driver.close()


class _AutoCommit:
    """Stands in for a read transaction: every `run` is its own auto-commit transaction in
    `session`, with the request's metadata and timeout, as `_tagged` gives a managed one."""

    def __init__(self, session: neo4j.AsyncSession, metadata: dict[str, str] | None, timeout: float | None):
        self._session, self._metadata, self._timeout = session, metadata, timeout

    async def run(self, query: str, parameters: dict[str, Any] | None = None, **kwargs: Any) -> neo4j.AsyncResult:
        statement = neo4j.Query(query, metadata=self._metadata, timeout=self._timeout)
        return await self._session.run(statement, parameters, **kwargs)


def _metadata() -> dict[str, str] | None:
    rid = request_id.current()
    return {"app": "maestro-graph", "request_id": rid} if rid else None


def _tagged(work: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """`work` with the current request id as transaction metadata and the time left before the
    request's deadline as its timeout (the driver reads both from the function's attributes, as
    `neo4j.unit_of_work` sets them). A wrapper per call, since one function serves many
    requests at once."""
    metadata = _metadata()
    left = deadline.seconds_left()
    if metadata is None and left is None:
        return work

    async def tagged(tx: neo4j.AsyncManagedTransaction, *args: Any, **kwargs: Any) -> T:
        return await work(tx, *args, **kwargs)

    tagged.metadata = {**(getattr(work, "metadata", None) or {}), **(metadata or {})}  # type: ignore[attr-defined]
    # The request is cancelled at its deadline; Neo4j's own timeout, a moment later, is the
    # backstop that stops the query on the server should the cancellation not reach it.
    tagged.timeout = getattr(work, "timeout", None) if left is None else max(left, 0.0) + _SERVER_GRACE_SECONDS  # type: ignore[attr-defined]
    return tagged
