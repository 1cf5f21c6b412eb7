"""Which failures mean "Neo4j cannot serve right now" (answer 503, retry later) as opposed
to a bug or a bad query (answer 500 / a GraphQL error)."""

from __future__ import annotations

from neo4j import exceptions

# ServiceUnavailable covers refused connections, a server gone mid-query and a commit
# whose outcome is unknown (IncompleteCommit); SessionExpired a cluster member lost;
# ConnectionAcquisitionTimeoutError a pool with no free connection in time; TransientError
# a database still starting (DatabaseUnavailable) or a deadlock that outlived its retries.
UNAVAILABLE: tuple[type[BaseException], ...] = (
    exceptions.ServiceUnavailable,
    exceptions.SessionExpired,
    exceptions.ConnectionAcquisitionTimeoutError,
    exceptions.TransientError,
)

RETRY_AFTER_SECONDS = 5


def is_unavailable(error: BaseException | None) -> bool:
    """True when `error`, or an error it was raised from, says Neo4j is out of reach."""
    seen = 0
    while error is not None and seen < 8:
        if isinstance(error, UNAVAILABLE):
            return True
        error = error.__cause__
        seen += 1
    return False
