"""The keys that sign our access tokens: made on first need, kept in Neo4j, cached here.

Why Neo4j and not the data dir: replicas share nothing but Neo4j, and every one of them
must verify what any other signed. The private part is stored sealed under
MAESTRO_INTEGRATION_SECRETS_KEY (see maestro_graph.secret_box), which is not in the graph:
Neo4j's store, its transaction logs and its backups are read by more than this service, and
a signing key read from any of them would mint admin tokens. Only the public part, all that
verification needs, is stored in clear.

A key stored before sealing had its private JWK in clear, so old transaction logs and
backups may still hold it: it never signs again. The first replica that loads such keys
keeps only their public part, so the tokens they signed verify until they expire, and
signs with a new, sealed key from then on.

Verification keys are held in process, so validating a token costs no round trip for the
key; a `kid` we do not know makes us reread the keys (at most every few seconds), which is
how a key rotated by another process is picked up before the cache expires.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import anyio
from joserfc.jwk import KeySet, RSAKey

from maestro_graph.db.graph import GraphDB
from maestro_graph.repositories import signing_keys
from maestro_graph.secret_box import SecretBox, SecretUnreadable

log = logging.getLogger("maestro_graph.auth")

ALGORITHM = "RS256"
_KEY_BITS = 2048
# However many unknown `kid`s arrive, Neo4j is asked again at most this often.
_UNKNOWN_KID_REREAD_SECONDS = 5.0


class SigningKeyUnreadable(RuntimeError):
    """The active signing key does not open with this process's sealing key: tokens cannot be issued."""


def generate_key() -> RSAKey:
    return RSAKey.generate_key(_KEY_BITS, parameters={"alg": ALGORITHM, "use": "sig"}, auto_kid=True)


@dataclass(frozen=True)
class SealedKey:
    """A key as it is stored: its public JWK in clear, its private JWK sealed."""

    kid: str
    public_jwk: str
    private_jwk_sealed: str

    def as_params(self) -> tuple[str, str, str]:
        return self.kid, self.public_jwk, self.private_jwk_sealed


def seal(key: RSAKey, box: SecretBox) -> SealedKey:
    if not key.kid:
        raise ValueError("a signing key needs a kid: tokens name their key by it")
    private = json.dumps(key.as_dict(private=True), sort_keys=True)
    return SealedKey(key.kid, _public_json(key), box.seal(private))


def _public_json(key: RSAKey) -> str:
    return json.dumps(key.as_dict(private=False), sort_keys=True)


@dataclass(frozen=True)
class _Loaded:
    signing: RSAKey | None  # None when the active key does not open here (SigningKeyUnreadable)
    by_kid: dict[str, RSAKey]  # public keys only
    at: float


class Keyring:
    def __init__(self, db: GraphDB, box: SecretBox, retention_seconds: int, cache_seconds: int):
        self.db = db
        self.box = box
        self.retention_seconds = retention_seconds
        self.cache_seconds = cache_seconds
        self._loaded: _Loaded | None = None
        self._unknown_kid_reread_at: float | None = None
        self._lock = asyncio.Lock()

    async def signing_key(self) -> RSAKey:
        signing = (await self._current()).signing
        if signing is None:
            raise SigningKeyUnreadable(
                "the active signing key does not open with this MAESTRO_INTEGRATION_SECRETS_KEY; "
                "every replica must share the key"
            )
        return signing

    async def verification_key(self, kid: str) -> RSAKey | None:
        loaded = await self._current()
        key = loaded.by_kid.get(kid)
        last = self._unknown_kid_reread_at
        if key is None and (last is None or time.monotonic() - last >= _UNKNOWN_KID_REREAD_SECONDS):
            self._unknown_kid_reread_at = time.monotonic()
            key = (await self._load(reason_at=loaded.at)).by_kid.get(kid)
        return key

    async def public_jwks(self) -> dict[str, Any]:
        loaded = await self._current()
        return dict(KeySet(list(loaded.by_kid.values())).as_dict(private=False))

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
            if _needs_renewal(rows):
                await self._renew(rows)
                rows = await self.db.read(signing_keys.published, self.retention_seconds)
            self._loaded = _parse(rows, self.box)
            return self._loaded

    async def _renew(self, rows: list[dict]) -> None:
        """Make an active, sealed key where there is none (or only a legacy one), and strip
        every legacy key to its public part."""
        legacy = {
            row["kid"]: _public_json(RSAKey.import_key(json.loads(row["legacy_jwk"])))
            for row in rows
            if row["legacy_jwk"]
        }
        active = [row for row in rows if row["active"]]
        replacement = None
        if not active or active[0]["legacy_jwk"]:
            # Key generation takes a while on the CPU: off the event loop.
            replacement = seal(await anyio.to_thread.run_sync(generate_key), self.box)
        if legacy:
            log.warning(
                "signing keys stored in clear (%s): kept for verification only; signing with a new sealed key",
                ", ".join(sorted(legacy)),
            )
            await self.db.write(
                signing_keys.retire_legacy,
                legacy,
                replacement.as_params() if replacement else None,
                self.retention_seconds,
            )
        elif replacement is not None:
            await self.db.write(signing_keys.ensure_active, *replacement.as_params())


def _needs_renewal(rows: list[dict]) -> bool:
    return not any(row["active"] for row in rows) or any(row["legacy_jwk"] for row in rows)


def _parse(rows: list[dict], box: SecretBox) -> _Loaded:
    by_kid = {row["kid"]: RSAKey.import_key(json.loads(row["public_jwk"])) for row in rows}
    active = next((row for row in rows if row["active"]), None)
    if active is None:
        raise RuntimeError("no active signing key in Neo4j")
    try:
        signing = RSAKey.import_key(json.loads(box.open(active["private_jwk_sealed"])))
    except SecretUnreadable:
        # Verifying needs only the public keys, so this replica keeps serving tokens; it
        # cannot issue any until its sealing key is the one every replica shares.
        log.error(
            "the active signing key %s does not open with this MAESTRO_INTEGRATION_SECRETS_KEY: "
            "no tokens can be issued here until every replica shares one key",
            active["kid"],
        )
        signing = None
    return _Loaded(signing, by_kid, time.monotonic())


async def rotate(db: GraphDB, box: SecretBox, retention_seconds: int) -> dict:
    """Make a new active key; the old one keeps verifying until its tokens have expired."""
    key = seal(generate_key(), box)
    retired, pruned = await db.write(signing_keys.rotate, *key.as_params(), retention_seconds)
    return {"kid": key.kid, "retired": retired, "pruned": pruned}
