"""The keys that sign our access tokens, kept in Neo4j so every replica signs and
verifies with the same ones.

Exactly one key is active (it carries `active_slot`, unique by constraint); rotation
retires it (`retired_at`) and creates the next. A retired key stays published until
every token it signed has expired, then it is pruned.
"""

from __future__ import annotations

import neo4j

from maestro_graph.db.graph import fetch, fetch_one

# Keys that sign or may still verify: the active one and those retired within `retention` seconds.
PUBLISHED = """
MATCH (k:SigningKey)
WHERE k.active_slot IS NOT NULL OR k.retired_at > datetime() - duration({seconds: $retention})
RETURN k.kid AS kid, k.jwk AS jwk, k.active_slot IS NOT NULL AS active
ORDER BY k.created_at DESC
"""

# MERGE on the unique slot: when several replicas start on an empty graph at once,
# one creates the key and the others find it.
ENSURE_ACTIVE = """
MERGE (k:SigningKey {active_slot: 'active'})
ON CREATE SET k.kid = $kid, k.jwk = $jwk, k.created_at = datetime()
RETURN k.kid AS kid
"""

RETIRE_ACTIVE = """
MATCH (k:SigningKey {active_slot: 'active'})
REMOVE k.active_slot
SET k.retired_at = datetime()
RETURN k.kid AS kid
"""

CREATE_ACTIVE = """
CREATE (k:SigningKey {kid: $kid, jwk: $jwk, created_at: datetime(), active_slot: 'active'})
RETURN k.kid AS kid
"""

PRUNE = """
MATCH (k:SigningKey)
WHERE k.active_slot IS NULL AND k.retired_at <= datetime() - duration({seconds: $retention})
DELETE k
RETURN count(*) AS pruned
"""


async def published(tx: neo4j.AsyncManagedTransaction, retention: int) -> list[dict]:
    return await fetch(tx, PUBLISHED, retention=retention)


async def ensure_active(tx: neo4j.AsyncManagedTransaction, kid: str, jwk: str) -> str:
    return (await fetch_one(tx, ENSURE_ACTIVE, kid=kid, jwk=jwk))["kid"]


async def rotate(tx: neo4j.AsyncManagedTransaction, kid: str, jwk: str, retention: int) -> tuple[str | None, int]:
    """Retire the active key, make (kid, jwk) active, prune expired keys: (retired kid, pruned count)."""
    retired = await fetch_one(tx, RETIRE_ACTIVE)
    await fetch(tx, CREATE_ACTIVE, kid=kid, jwk=jwk)
    pruned = (await fetch_one(tx, PRUNE, retention=retention))["pruned"]
    return (retired["kid"] if retired else None), pruned
