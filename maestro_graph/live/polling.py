"""The one loop behind the live events' background work (numbering and fan-out, webhook
deliveries): rounds paced by a `Pacer`, a loop that outlives an outage of Neo4j and says so
once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from maestro_graph.db.availability import is_unavailable


class Pacer:
    """When a polling loop runs its next round.

    Rounds start at least `busy_s` apart. After a round that found work the next follows
    `busy_s` after it began; each idle round doubles the wait, up to `idle_s`, so an idle
    replica asks Neo4j every `idle_s` rather than several times a second. `nudge()` (a write
    committed by this process) cuts the wait short, back to `busy_s` after the last round
    began: the events of this replica's own writes wait no longer than before, those of other
    replicas' writes at most `idle_s` once everything has been quiet."""

    def __init__(self, busy_s: float, idle_s: float | None = None):
        self.busy_s = busy_s
        self.idle_s = max(idle_s or busy_s, busy_s)
        self.wait_s = busy_s
        self._nudged = asyncio.Event()
        self._started = 0.0

    def nudge(self) -> None:
        self._nudged.set()

    def round_started(self) -> None:
        self._nudged.clear()  # a nudge from now on asks for the round after this one
        self._started = asyncio.get_running_loop().time()

    def round_done(self, found_work: bool) -> None:
        self.wait_s = self.busy_s if found_work else min(self.wait_s * 2, self.idle_s)

    async def pause(self) -> None:
        """Until the next round is due."""
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(self._nudged.wait(), max(self._started + self.wait_s - loop.time(), 0.0))
        except TimeoutError:
            return
        await asyncio.sleep(max(self._started + self.busy_s - loop.time(), 0.0))


async def poll_forever(
    tick: Callable[[], Awaitable[bool]], pacer: Pacer, log: logging.Logger, what: str, round_name: str
) -> None:
    """Run `tick` (which says whether it found work) in rounds `pacer` spaces, until cancelled.
    An unavailable Neo4j is logged when it goes and when it comes back, not every round (its
    rounds count as idle, so an outage is retried every `idle_s`); any other failure is logged
    with its traceback."""
    outage = False
    while True:
        pacer.round_started()
        found_work = False
        try:
            found_work = await tick()
            if outage:
                log.info("%s: Neo4j answers again", what)
                outage = False
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if not is_unavailable(error):
                log.exception("%s: %s failed", what, round_name)
            elif not outage:
                log.warning("%s: Neo4j unavailable (%s); retrying", what, type(error).__name__)
                outage = True
        pacer.round_done(found_work)
        await pacer.pause()
