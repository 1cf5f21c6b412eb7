"""The outbox of live events: AuditEvents numbered in the order they became visible.

A write records its AuditEvent in its own transaction (`audit.record`), labelled
`PendingEvent` and without a number. Numbering at write time would need one counter node
that every write locks until it commits, which serialises all writes of the graph. And the
event's `at` cannot order delivery: it is taken when the transaction starts, so a slow
write commits after a quick one that started later, and a reader that had moved its cursor
past the quick one would never see the slow one.

So numbers are given after commit, by `sequence`: it locks the one `EventSequence` node,
then reads the events pending at that moment (all committed, since only committed data is
read), numbers them after the last number given and removes their label, in one
transaction. Whoever calls it (every API replica does, a few times a second) waits only for
another sequencer, never for a write. Numbers are gapless and each batch commits after the
one before, so a reader that has seen number n has seen every number below it: a cursor
(`seq`) is all a subscriber or a webhook needs to resume without losing or repeating.

Functions take the API's `neo4j.AsyncManagedTransaction`.
"""

from __future__ import annotations

from typing import Any

import neo4j

from maestro_graph.db.graph import fetch, fetch_maps, fetch_one

# Writing a property takes the node's write lock until commit: the statements after this one
# in the same transaction run once any other sequencer has committed, and see its work.
_LOCK = """
MERGE (c:EventSequence {id: 'events'}) ON CREATE SET c.last = 0
SET c.locked_at = datetime()
RETURN c.last AS last
"""

_ANY_PENDING = "MATCH (e:PendingEvent) RETURN e.id AS id LIMIT 1"

_NUMBER = """
MATCH (e:PendingEvent)
WITH e ORDER BY e.at, e.id LIMIT $limit
WITH collect(e) AS events
UNWIND range(0, size(events) - 1) AS i
WITH events[i] AS e, $last + i + 1 AS seq
SET e.seq = seq
REMOVE e:PendingEvent
RETURN max(seq) AS last
"""

_ADVANCE = "MATCH (c:EventSequence {id: 'events'}) SET c.last = $last"

_LAST = "MATCH (c:EventSequence {id: 'events'}) RETURN c.last AS last"

_AFTER = """
MATCH (e:AuditEvent) WHERE e.seq > $cursor
WITH e ORDER BY e.seq LIMIT $limit
RETURN e {.*} AS event
"""


async def any_pending(tx: neo4j.AsyncManagedTransaction) -> bool:
    return await fetch_one(tx, _ANY_PENDING) is not None


async def sequence(tx: neo4j.AsyncManagedTransaction, limit: int) -> int:
    """Number up to `limit` committed, unnumbered events; returns the last number given."""
    last = (await fetch(tx, _LOCK))[0]["last"]
    numbered = await fetch_one(tx, _NUMBER, last=last, limit=limit)
    if numbered is None or numbered["last"] is None:
        return int(last)
    await fetch(tx, _ADVANCE, last=numbered["last"])
    return int(numbered["last"])


async def last_number(tx: neo4j.AsyncManagedTransaction) -> int:
    """The highest number given so far (0 before the first)."""
    row = await fetch_one(tx, _LAST)
    return int(row["last"]) if row else 0


async def after(tx: neo4j.AsyncManagedTransaction, cursor: int, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` numbered events after `cursor`, in order."""
    return [row["event"] for row in await fetch_maps(tx, _AFTER, cursor=cursor, limit=limit)]
