"""The keys that sign our access tokens, kept in Neo4j so every replica signs and
verifies with the same ones.

    (:SigningKey {kid, public_jwk, private_jwk_sealed, created_at, active_slot?, retired_at?})

`public_jwk` is what verification needs (and what the JWKS publishes); the private JWK is
stored only sealed (see maestro_graph.secret_box), so the store, its transaction logs and
its backups hold no usable signing key. Exactly one key is active (it carries
`active_slot`, unique by constraint); rotation retires it (`retired_at`, its private part
removed: it never signs again) and creates the next. A retired key stays published until
every token it signed has expired, then it is pruned.

Keys written before sealing carry their private JWK in clear in `jwk`: `retire_legacy`
keeps only their public part and replaces an active one.
"""

from __future__ import annotations

import neo4j

from maestro_graph.db.graph import fetch, fetch_one

# Keys that sign or may still verify: the active one and those retired within `retention` seconds.
PUBLISHED = """
MATCH (k:SigningKey)
WHERE k.active_slot IS NOT NULL OR k.retired_at > datetime() - duration({seconds: $retention})
RETURN k.kid AS kid, k.public_jwk AS public_jwk, k.private_jwk_sealed AS private_jwk_sealed,
       k.jwk AS legacy_jwk, k.active_slot IS NOT NULL AS active
ORDER BY k.created_at DESC
"""

# MERGE on the unique slot: when several replicas start on an empty graph (or replace a
# legacy key) at once, one creates the key and the others find it.
ENSURE_ACTIVE = """
MERGE (k:SigningKey {active_slot: 'active'})
ON CREATE SET k.kid = $kid, k.public_jwk = $public_jwk, k.private_jwk_sealed = $private_jwk_sealed,
              k.created_at = datetime()
RETURN k.kid AS kid
"""

# `$kids` null retires whichever key is active; a list retires the active key only if it is
# one of those (another replica may have replaced it already).
RETIRE_ACTIVE = """
MATCH (k:SigningKey {active_slot: 'active'})
WHERE $kids IS NULL OR k.kid IN $kids
REMOVE k.active_slot, k.private_jwk_sealed
SET k.retired_at = datetime()
RETURN k.kid AS kid
"""

CREATE_ACTIVE = """
CREATE (k:SigningKey {kid: $kid, public_jwk: $public_jwk, private_jwk_sealed: $private_jwk_sealed,
                      created_at: datetime(), active_slot: 'active'})
RETURN k.kid AS kid
"""

# A legacy key keeps verifying with its public part; the clear private part goes.
STRIP_LEGACY = """
UNWIND $keys AS key
MATCH (k:SigningKey {kid: key.kid})
WHERE k.jwk IS NOT NULL
SET k.public_jwk = key.public_jwk
REMOVE k.jwk
"""

PRUNE = """
MATCH (k:SigningKey)
WHERE k.active_slot IS NULL AND k.retired_at <= datetime() - duration({seconds: $retention})
DELETE k
RETURN count(*) AS pruned
"""


async def published(tx: neo4j.AsyncManagedTransaction, retention: int) -> list[dict]:
    return await fetch(tx, PUBLISHED, retention=retention)


async def ensure_active(tx: neo4j.AsyncManagedTransaction, kid: str, public_jwk: str, private_jwk_sealed: str) -> str:
    rows = await fetch(tx, ENSURE_ACTIVE, kid=kid, public_jwk=public_jwk, private_jwk_sealed=private_jwk_sealed)
    return rows[0]["kid"]


async def rotate(
    tx: neo4j.AsyncManagedTransaction, kid: str, public_jwk: str, private_jwk_sealed: str, retention: int
) -> tuple[str | None, int]:
    """Retire the active key, make the given one active, prune expired keys: (retired kid, pruned count)."""
    retired = await fetch_one(tx, RETIRE_ACTIVE, kids=None)
    await fetch(tx, CREATE_ACTIVE, kid=kid, public_jwk=public_jwk, private_jwk_sealed=private_jwk_sealed)
    pruned = (await fetch(tx, PRUNE, retention=retention))[0]["pruned"]
    return (retired["kid"] if retired else None), pruned


async def retire_legacy(
    tx: neo4j.AsyncManagedTransaction,
    public_jwks: dict[str, str],
    replacement: tuple[str, str, str] | None,
    retention: int,
) -> None:
    """Keep only the public part of the legacy keys (kid -> public JWK). With a
    `replacement` (kid, public JWK, sealed private JWK), the active key is a legacy one: it
    is retired while it still is active, and the replacement becomes the active key unless
    another replica made one first. Legacy keys past retention (no longer published) are
    pruned with their clear private part."""
    keys = [{"kid": kid, "public_jwk": public} for kid, public in public_jwks.items()]
    await fetch(tx, STRIP_LEGACY, keys=keys)
    if replacement is not None:
        await fetch(tx, RETIRE_ACTIVE, kids=list(public_jwks))
        kid, public_jwk, private_jwk_sealed = replacement
        await fetch(tx, ENSURE_ACTIVE, kid=kid, public_jwk=public_jwk, private_jwk_sealed=private_jwk_sealed)
    await fetch(tx, PRUNE, retention=retention)
