"""One process's view of the event outbox: it numbers committed events and hands new ones to
the subscriptions it serves.

Every replica runs one pump. It reads events from Neo4j by number after its cursor, so a
replica serves the writes of every other replica as well as its own, and a subscription sees
only what was committed. A subscription starts at the newest number the pump has read: it
receives the events committed after it began.

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
from maestro_graph.live.polling import poll_forever
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
    queue: asyncio.Queue[Event | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    overflowed: bool = False

    def offer(self, event: Event) -> None:
        if self.overflowed or not self.wants(event):
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            # Room for the end marker: the consumer is woken even if it waits on a full queue.
            self.queue.get_nowait()
            self.queue.put_nowait(None)


class EventHub:
    def __init__(self, db: GraphDB, poll_seconds: float, per_client: int):
        self.db = db
        self.poll_seconds = poll_seconds
        self.per_client = per_client
        self.cursor: int | None = None
        self._subscribers: set[_Subscriber] = set()
        self._per_client: Counter[str] = Counter()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(
            poll_forever(self.tick, self.poll_seconds, log, "live events", "a round"), name="event-pump"
        )

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
        if self._per_client[client] >= self.per_client:
            raise TooManySubscriptions(self.per_client)
        subscriber = _Subscriber(wants)
        self._per_client[client] += 1
        self._subscribers.add(subscriber)
        try:
            yield self._drain(subscriber)
        finally:
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

    async def tick(self) -> None:
        """Number what is pending, then hand new events to the subscribers."""
        if await self.db.read(event_outbox.any_pending):
            await self.db.write(event_outbox.sequence, BATCH)
        if self.cursor is None:
            self.cursor = await self.db.read(event_outbox.last_number)
            return
        if not self._subscribers:
            self.cursor = await self.db.read(event_outbox.last_number)
            return
        if self.cursor > (last := await self.db.read(event_outbox.last_number)):
            self.cursor = last  # the numbering started again (the graph was emptied): follow it
        while True:
            events = await self.db.read(event_outbox.after, self.cursor, BATCH)
            for event in events:
                for subscriber in list(self._subscribers):
                    subscriber.offer(event)
                self.cursor = event["seq"]
            if len(events) < BATCH:
                return
