"""Revoked access tokens, and the per-request question "is this token still good?".

Access tokens are self-contained JWTs, so revocation is a deny-list by `jti`. An entry is
only needed until the token would have expired anyway; expired entries are pruned.
"""

from __future__ import annotations

import neo4j

from maestro_graph.db.graph import fetch

REVOKE = """
MERGE (r:RevokedToken {jti: $jti})
ON CREATE SET r.client_id = $client_id, r.expires_at = datetime({epochSeconds: $expires_at}),
              r.revoked_at = datetime()
"""

PRUNE_EXPIRED = """
MATCH (r:RevokedToken) WHERE r.expires_at < datetime()
WITH r LIMIT 1000
DELETE r
"""

# One round trip per authenticated request: the jti deny-list, and for our own tokens
# whether the client is still registered, which Person it acts for and its scopes.
STATUS = """
OPTIONAL MATCH (r:RevokedToken {jti: $jti})
OPTIONAL MATCH (c:OAuthClient {client_id: $client_id})
RETURN r IS NOT NULL AS revoked,
       c IS NOT NULL AND c.revoked_at IS NULL AS client_active,
       c.person_id AS person_id, c.scopes AS client_scopes
"""

# The same for a token from an external issuer: the deny-list, and whether the Person its
# claim names is in the graph (a person it does not know only reads).
EXTERNAL_STATUS = """
OPTIONAL MATCH (r:RevokedToken {jti: $jti})
OPTIONAL MATCH (p:Person {id: $person_id})
RETURN r IS NOT NULL AS revoked, p IS NOT NULL AS person_known
"""


async def revoke(tx: neo4j.AsyncManagedTransaction, jti: str, client_id: str | None, expires_at: int) -> None:
    await fetch(tx, REVOKE, jti=jti, client_id=client_id, expires_at=expires_at)
    await fetch(tx, PRUNE_EXPIRED)


async def status(tx: neo4j.AsyncManagedTransaction, jti: str | None, client_id: str | None) -> dict:
    return (await fetch(tx, STATUS, jti=jti, client_id=client_id))[0]


async def external_status(tx: neo4j.AsyncManagedTransaction, jti: str | None, person_id: str | None) -> dict:
    return (await fetch(tx, EXTERNAL_STATUS, jti=jti, person_id=person_id))[0]
