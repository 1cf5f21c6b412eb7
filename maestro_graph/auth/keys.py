"""The keys that sign our access tokens: made on first need, kept in Neo4j, cached here.

Why Neo4j and not the data dir: replicas share nothing but Neo4j, and every one of them
must verify what any other signed. The private part is stored as a JWK in the graph; whoever
can read the graph can already rewrite clients and data, so encrypting it there with a key
kept beside it would add ceremony, not safety. Protect Neo4j's credentials accordingly.

Verification keys are held in process, so validating a token costs no round trip for the
key; a `kid` we do not know makes us reread the keys (at most every few seconds), which is
how a key rotated by another process is picked up before the cache expires.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

import anyio
from joserfc.jwk import KeySet, RSAKey

from maestro_graph.db.graph import GraphDB
from maestro_graph.repositories import signing_keys

ALGORITHM = "RS256"
_KEY_BITS = 2048
# However many unknown `kid`s arrive, Neo4j is asked again at most this often.
_UNKNOWN_KID_REREAD_SECONDS = 5.0


def generate_key() -> RSAKey:
    return RSAKey.generate_key(_KEY_BITS, parameters={"alg": ALGORITHM, "use": "sig"}, auto_kid=True)


def serialise(key: RSAKey) -> tuple[str, str]:
    """(kid, private JWK as JSON) for storage."""
    return key.kid, json.dumps(key.as_dict(private=True), sort_keys=True)


@dataclass(frozen=True)
class _Loaded:
    signing: RSAKey
    by_kid: dict[str, RSAKey]  # public keys only
    at: float


class Keyring:
    def __init__(self, db: GraphDB, retention_seconds: int, cache_seconds: int):
        self.db = db
        self.retention_seconds = retention_seconds
        self.cache_seconds = cache_seconds
        self._loaded: _Loaded | None = None
        self._unknown_kid_reread_at: float | None = None
        self._lock = asyncio.Lock()

    async def signing_key(self) -> RSAKey:
        return (await self._current()).signing

    async def verification_key(self, kid: str) -> RSAKey | None:
        loaded = await self._current()
        key = loaded.by_kid.get(kid)
        last = self._unknown_kid_reread_at
        if key is None and (last is None or time.monotonic() - last >= _UNKNOWN_KID_REREAD_SECONDS):
            self._unknown_kid_reread_at = time.monotonic()
            key = (await self._load(reason_at=loaded.at)).by_kid.get(kid)
        return key

    async def public_jwks(self) -> dict:
        loaded = await self._current()
        return KeySet(list(loaded.by_kid.values())).as_dict(private=False)

    async def _current(self) -> _Loaded:
        loaded = self._loaded
        if loaded is None or time.monotonic() - loaded.at >= self.cache_seconds:
            loaded = await self._load(reason_at=loaded.at if loaded else None)
        return loaded

    async def _load(self, reason_at: float | None) -> _Loaded:
        async with self._lock:
            # Another request may have reloaded while this one waited for the lock.
            if self._loaded is not None and self._loaded.at != reason_at:
                return self._loaded
            rows = await self.db.read(signing_keys.published, self.retention_seconds)
            if not any(row["active"] for row in rows):
                # Key generation takes a while on the CPU: off the event loop.
                kid, jwk = serialise(await anyio.to_thread.run_sync(generate_key))
                await self.db.write(signing_keys.ensure_active, kid, jwk)
                rows = await self.db.read(signing_keys.published, self.retention_seconds)
            self._loaded = _parse(rows)
            return self._loaded


def _parse(rows: list[dict]) -> _Loaded:
    signing = None
    by_kid: dict[str, RSAKey] = {}
    for row in rows:
        private = RSAKey.import_key(json.loads(row["jwk"]))
        by_kid[row["kid"]] = RSAKey.import_key(private.as_dict(private=False))
        if row["active"]:
            signing = private
    if signing is None:
        raise RuntimeError("no active signing key in Neo4j")
    return _Loaded(signing, by_kid, time.monotonic())


async def rotate(db: GraphDB, retention_seconds: int) -> dict:
    """Make a new active key; the old one keeps verifying until its tokens have expired."""
    kid, jwk = serialise(generate_key())
    retired, pruned = await db.write(signing_keys.rotate, kid, jwk, retention_seconds)
    return {"kid": kid, "retired": retired, "pruned": pruned}
