"""OAuth clients of the authorization server: registered, looked up, listed, revoked.

Only a hash of each secret is stored; the secret itself is shown once, at creation.
A revoked client is kept (its id stays taken and the audit trail can name it) but no
longer authenticates, and tokens issued to it stop working.
"""

from __future__ import annotations

from typing import Any

import neo4j

from maestro_graph.db.graph import fetch, fetch_one

# What may leave this module: everything but the secret hash.
_PUBLIC = "c {.client_id, .name, .scopes, .person_id, .created_at, .revoked_at}"

CREATE = f"""
CREATE (c:OAuthClient {{client_id: $client_id, name: $name, secret_hash: $secret_hash,
                        scopes: $scopes, person_id: $person_id, created_at: datetime()}})
RETURN {_PUBLIC} AS client
"""

# The one read that returns the secret hash: client authentication needs it.
GET_ACTIVE = """
MATCH (c:OAuthClient {client_id: $client_id}) WHERE c.revoked_at IS NULL
RETURN c {.client_id, .name, .scopes, .person_id, .secret_hash} AS client
"""

LIST = f"MATCH (c:OAuthClient) RETURN {_PUBLIC} AS client ORDER BY c.created_at, c.client_id"

REVOKE = f"""
MATCH (c:OAuthClient {{client_id: $client_id}})
SET c.revoked_at = coalesce(c.revoked_at, datetime())
RETURN {_PUBLIC} AS client
"""


async def create(
    tx: neo4j.AsyncManagedTransaction,
    client_id: str,
    name: str,
    secret_hash: str,
    scopes: list[str],
    person_id: str | None,
) -> dict[str, Any]:
    rows = await fetch(
        tx, CREATE, client_id=client_id, name=name, secret_hash=secret_hash, scopes=scopes, person_id=person_id
    )
    return rows[0]["client"]


async def get_active(tx: neo4j.AsyncManagedTransaction, client_id: str) -> dict[str, Any] | None:
    row = await fetch_one(tx, GET_ACTIVE, client_id=client_id)
    return row["client"] if row else None


async def list_all(tx: neo4j.AsyncManagedTransaction) -> list[dict[str, Any]]:
    return [row["client"] for row in await fetch(tx, LIST)]


async def revoke(tx: neo4j.AsyncManagedTransaction, client_id: str) -> dict[str, Any] | None:
    row = await fetch_one(tx, REVOKE, client_id=client_id)
    return row["client"] if row else None
