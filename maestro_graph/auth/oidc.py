"""Access tokens from an external OpenID Connect issuer (when one is configured), and what
the person behind one may do here.

Its public keys come from the configured JWKS URL only, are cached in process, and are
fetched again when they age out or when a token names a `kid` we have not seen (the
issuer rotated), but never more often than the configured floor: a stream of made-up
`kid`s cannot turn into a stream of requests to the issuer.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet

from maestro_graph.auth import scopes, tokens
from maestro_graph.config import Settings

# Only public signature keys: a symmetric (`oct`) key in a JWKS would make the issuer's
# published secret a signing key for anyone.
_SIGNATURE_KEY_TYPES = {"RSA", "EC", "OKP"}

Fetch = Callable[[str], Awaitable[dict[str, Any]]]


async def fetch_json(url: str, timeout: float = 5.0) -> dict[str, Any]:
    def get() -> dict[str, Any]:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # a configured URL, never a caller's
            return json.loads(response.read(1_000_000))

    return await anyio.to_thread.run_sync(get)


class RemoteKeySet:
    def __init__(self, url: str, cache_seconds: int, min_refresh_seconds: int, fetch: Fetch = fetch_json):
        self.url = url
        self.cache_seconds = cache_seconds
        self.min_refresh_seconds = min_refresh_seconds
        self.fetch = fetch
        self._keys: dict[str, Key] = {}
        self._fetched_at: float | None = None  # last successful fetch
        self._tried_at: float | None = None  # last attempt, successful or not
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str | None) -> Key | None:
        if not kid:
            return None
        if self._wants_fetch(kid):
            await self._refresh()
        return self._keys.get(kid)

    def _wants_fetch(self, kid: str) -> bool:
        now = time.monotonic()
        if self._tried_at is not None and now - self._tried_at < self.min_refresh_seconds:
            return False
        stale = self._fetched_at is None or now - self._fetched_at >= self.cache_seconds
        return stale or kid not in self._keys

    async def _refresh(self) -> None:
        async with self._lock:
            tried = self._tried_at
            if tried is not None and time.monotonic() - tried < self.min_refresh_seconds:
                return  # another request refreshed while this one waited
            self._tried_at = time.monotonic()
            try:
                keys = _signature_keys(await self.fetch(self.url))
            except (OSError, ValueError, JoseError):
                return  # keep the keys we have; the floor above keeps a dead issuer from being hammered
            self._keys = keys
            self._fetched_at = time.monotonic()


def _signature_keys(document: dict[str, Any]) -> dict[str, Key]:
    entries = [
        entry
        for entry in document.get("keys", [])
        if isinstance(entry, dict)
        and entry.get("kty") in _SIGNATURE_KEY_TYPES
        and entry.get("use", "sig") == "sig"
        and entry.get("kid")
        and "d" not in entry
    ]
    key_set = KeySet.import_key_set({"keys": entries})
    return {key.kid: key for key in key_set.keys if key.kid}


class ExternalIssuer:
    def __init__(self, settings: Settings, keys: RemoteKeySet):
        if not (settings.oidc_issuer and settings.oidc_audience):
            raise ValueError("an external issuer needs MAESTRO_OIDC_ISSUER and MAESTRO_OIDC_AUDIENCE")
        self.issuer = settings.oidc_issuer
        self.audience = settings.oidc_audience
        self.algorithms = tuple(settings.oidc_algorithms)
        self.person_claim = settings.oidc_person_claim
        self.groups_claim = settings.oidc_groups_claim
        self.admin_group = settings.oidc_admin_group
        self.leeway = settings.token_leeway_seconds
        self.keys = keys

    @classmethod
    def from_settings(cls, settings: Settings) -> ExternalIssuer | None:
        if not settings.oidc_issuer:
            return None
        if not (settings.oidc_audience and settings.oidc_jwks_url):
            raise ValueError("MAESTRO_OIDC_ISSUER needs MAESTRO_OIDC_AUDIENCE and MAESTRO_OIDC_JWKS_URL as well")
        keys = RemoteKeySet(
            settings.oidc_jwks_url, settings.oidc_jwks_cache_seconds, settings.oidc_jwks_min_refresh_seconds
        )
        return cls(settings, keys)

    async def verify(self, token: str) -> dict[str, Any]:
        return await tokens.verify(
            token,
            find_key=self.keys.key_for,
            algorithms=self.algorithms,
            issuer=self.issuer,
            audience=self.audience,
            leeway=self.leeway,
            required=("sub",),
        )

    def person_id(self, claims: dict[str, Any]) -> str | None:
        """The id of the Person node the token names, by the configured claim."""
        value = claims.get(self.person_claim)
        return value if isinstance(value, str) and value else None

    def groups(self, claims: dict[str, Any]) -> set[str]:
        value = claims.get(self.groups_claim)
        if isinstance(value, str):
            return set(value.split())
        if isinstance(value, list):
            return {item for item in value if isinstance(item, str)}
        return set()

    def granted_scopes(self, claims: dict[str, Any], person_known: bool) -> frozenset[str]:
        """The token's scopes as this API grants them. The issuer decides what the token was
        issued for, the graph and the organisation's groups decide how far it reaches:

        - a person the graph does not know (no Person node) only reads, whatever else the
          token asks for or the groups say;
        - `admin` only when the token asks for it AND the configured admin group is among the
          person's groups (a scope claim alone is the client's request, not a grant).
        """
        asked = set(scopes.split(claims.get("scope") or claims.get("scp")))
        if not asked & set(scopes.SUPPORTED):
            return frozenset()  # not issued for this API at all
        if not person_known:
            return scopes.effective([scopes.READ])
        granted = asked & {scopes.READ, scopes.WRITE}
        if scopes.ADMIN in asked:
            granted.add(scopes.WRITE)  # admin's request includes write's
            if self.admin_group is not None and self.admin_group in self.groups(claims):
                granted.add(scopes.ADMIN)
        return scopes.effective(granted)
