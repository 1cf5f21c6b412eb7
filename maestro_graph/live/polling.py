"""The one loop behind the live events' background work (numbering and fan-out, webhook
deliveries): a round every `seconds`, that outlives an outage of Neo4j and says so once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from maestro_graph.db.availability import is_unavailable


async def poll_forever(
    tick: Callable[[], Awaitable[None]], seconds: float, log: logging.Logger, what: str, round_name: str
) -> None:
    """Run `tick` every `seconds` until cancelled. An unavailable Neo4j is logged when it goes
    and when it comes back, not every round; any other failure is logged with its traceback."""
    outage = False
    while True:
        try:
            await tick()
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
        await asyncio.sleep(seconds)
