"""One process's view of the event outbox: it numbers committed events and hands new ones to
the subscriptions it serves.

Every replica runs one pump. It reads events from Neo4j by number after its cursor, so a
replica serves the writes of every other replica as well as its own, and a subscription sees
only what was committed. A subscription starts at the newest number in Neo4j when it begins
(not where this replica's pump has read to, which lags while the pump backs off): it receives
the events numbered after it began.

A subscriber's queue is bounded: one that does not keep up is ended (with an error it is
told) rather than let the process hold an unbounded backlog for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from maestro_graph.db.graph import GraphDB
from maestro_graph.live.polling import Pacer, poll_forever
from maestro_graph.observability import prometheus
from maestro_graph.repositories import event_outbox

log = logging.getLogger("maestro_graph.live")

BATCH = 500
QUEUE_SIZE = 1000

Event = dict[str, Any]


class TooManySubscriptions(Exception):
    def __init__(self, limit: int):
        super().__init__(f"at most {limit} live subscriptions per client; end one first")
        self.limit = limit


class SubscriberTooSlow(Exception):
    """The subscriber fell more than QUEUE_SIZE events behind and was ended."""


@dataclass(eq=False)
class _Subscriber:
    wants: Callable[[Event], bool]
    # The newest number when it subscribed: the pump may not have read that far yet (it backs
    # off while idle), and what was numbered before the subscription is not for it.
    after: int = 0
    queue: asyncio.Queue[Event | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    overflowed: bool = False

    def offer(self, event: Event) -> None:
        if self.overflowed or event["seq"] <= self.after or not self.wants(event):
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            # Room for the end marker: the consumer is woken even if it waits on a full queue.
            self.queue.get_nowait()
            self.queue.put_nowait(None)


class EventHub:
    """`poll_seconds` apart while there is work, backing off to `idle_poll_seconds` when there
    is none (see `Pacer`); `nudge()` after a commit of this process. `on_numbered` is told
    whenever a round numbered events (the webhook worker then has something to deliver)."""

    def __init__(
        self,
        db: GraphDB,
        poll_seconds: float,
        per_client: int,
        idle_poll_seconds: float | None = None,
        on_numbered: Callable[[], None] | None = None,
    ):
        self.db = db
        self.pacer = Pacer(poll_seconds, idle_poll_seconds)
        self.on_numbered = on_numbered
        self.per_client = per_client
        self.cursor: int | None = None
        self._subscribers: set[_Subscriber] = set()
        self._per_client: Counter[str] = Counter()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(
            poll_forever(self.tick, self.pacer, log, "live events", "a round"), name="event-pump"
        )

    @property
    def subscriptions(self) -> int:
        """How many subscriptions this process serves now."""
        return len(self._subscribers)

    def nudge(self) -> None:
        """A write committed in this process: its event is numbered in the next round."""
        self.pacer.nudge()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for subscriber in self._subscribers:  # each ends its stream
            with contextlib.suppress(asyncio.QueueFull):
                subscriber.queue.put_nowait(None)

    @contextlib.asynccontextmanager
    async def subscribe(self, client: str, wants: Callable[[Event], bool]) -> AsyncIterator[AsyncIterator[Event]]:
        """Events `wants` accepts, from now until the caller leaves the block; at most
        `per_client` at once for one `client`."""
        newest = await self.db.read(event_outbox.last_number)
        if self._per_client[client] >= self.per_client:
            raise TooManySubscriptions(self.per_client)
        subscriber = _Subscriber(wants, after=newest)
        self._per_client[client] += 1
        self._subscribers.add(subscriber)
        prometheus.LIVE_SUBSCRIPTIONS.inc()
        try:
            yield self._drain(subscriber)
        finally:
            prometheus.LIVE_SUBSCRIPTIONS.dec()
            self._subscribers.discard(subscriber)
            self._per_client[client] -= 1
            if self._per_client[client] <= 0:
                del self._per_client[client]

    async def _drain(self, subscriber: _Subscriber) -> AsyncIterator[Event]:
        while True:
            event = await subscriber.queue.get()
            if event is None:
                if subscriber.overflowed:
                    raise SubscriberTooSlow(f"the subscriber fell more than {QUEUE_SIZE} events behind")
                return
            yield event

    async def tick(self) -> bool:
        """Number what is pending, then hand new events to the subscribers; whether there was
        anything to number or hand on."""
        numbered = False
        if await self.db.read(event_outbox.any_pending):
            await self.db.write(event_outbox.sequence, BATCH)
            numbered = True
            if self.on_numbered is not None:
                self.on_numbered()
        last = await self.db.read(event_outbox.last_number)
        if self.cursor is None or not self._subscribers:
            moved = self.cursor is not None and last != self.cursor
            self.cursor = last
            return numbered or moved
        if self.cursor > last:
            self.cursor = last  # the numbering started again (the graph was emptied): follow it
        handed = False
        while True:
            events = await self.db.read(event_outbox.after, self.cursor, BATCH)
            for event in events:
                for subscriber in list(self._subscribers):
                    subscriber.offer(event)
                self.cursor = event["seq"]
                handed = True
            if len(events) < BATCH:
                return numbered or handed
