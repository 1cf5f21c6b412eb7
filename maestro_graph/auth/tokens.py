"""Validating access tokens: the rules both our own tokens and an external issuer's obey.

- The algorithm comes from an allow-list of asymmetric algorithms fixed by us, never from
  what the token says it is (so `none` and HS256-signed-with-our-public-key are refused).
- The key is chosen from keys we trust, by `kid` only: a key the token embeds or points
  to (`jwk`, `jku`, `x5u`, `x5c`) is never used.
- `iss` and `aud` must match exactly; `exp` is required; `exp`, `nbf` and `iat` are
  checked with a small leeway.
- Our own tokens must also look like what we issue: no longer-lived than our token lifetime,
  and no scope beyond what their client is registered with. Neither can happen to a token we
  signed, so a token that breaks either rule was minted with a stolen key; refusing it
  bounds what a stolen key buys (no week-long tokens, no admin for a read-only client).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import Key
from joserfc.jwt import JWTClaimsRegistry

from maestro_graph.auth import keys, scopes

# Longer than any honest token; refused before any parsing or crypto.
MAX_TOKEN_LENGTH = 8192
ACCESS_TOKEN_TYPE = "at+jwt"


class InvalidToken(Exception):
    """The token is not acceptable; the message is safe to show the caller."""


def peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims, *unverified*: only to decide which verifier gets the token."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("token too long")
    try:
        parsed = jws.extract_compact(token.encode("ascii"))
        claims = json.loads(parsed.payload)
    except (JoseError, ValueError, UnicodeError):
        raise InvalidToken("token is not a signed JWT") from None
    if not isinstance(claims, dict):
        raise InvalidToken("token is not a signed JWT")
    return parsed.headers(), claims


KeyLookup = Callable[[str | None], Awaitable[Key | None]]


async def verify(
    token: str,
    *,
    find_key: KeyLookup,
    algorithms: Collection[str],
    issuer: str,
    audience: str,
    leeway: int,
    required: Collection[str] = (),
) -> dict[str, Any]:
    """The verified claims of `token`, or InvalidToken saying (briefly) why not."""
    header, _ = peek(token)
    if header.get("alg") not in algorithms:
        raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted")
    key = await find_key(header.get("kid"))
    if key is None:
        raise InvalidToken("token signed with an unknown key")
    try:
        decoded = jwt.decode(token, key, algorithms=list(algorithms))
    except JoseError:
        raise InvalidToken("bad signature") from None
    options: dict[str, Any] = {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": audience},
        "exp": {"essential": True},
    }
    for claim in required:
        options.setdefault(claim, {"essential": True})
    try:
        JWTClaimsRegistry(leeway=leeway, **options).validate(decoded.claims)
    except JoseError as error:
        raise InvalidToken(_describe(error)) from None
    return decoded.claims


def _describe(error: JoseError) -> str:
    if isinstance(error, ExpiredTokenError):
        return "token expired"
    claim = getattr(error, "claim", None)
    return f"invalid claim {claim!r}" if claim else "invalid claims"


class OwnTokens:
    """Verification of the access tokens this service issues (see `server` for issuing)."""

    # RFC 9068 claims every token of ours carries.
    REQUIRED = ("iat", "sub", "client_id", "jti")

    def __init__(self, keyring: keys.Keyring, issuer: str, audience: str, leeway: int, lifetime: int):
        self.keyring = keyring
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.lifetime = lifetime  # seconds from `iat` to `exp` of the tokens we issue

    async def _find_key(self, kid: str | None) -> Key | None:
        return None if not kid else await self.keyring.verification_key(kid)

    async def verify(self, token: str) -> dict[str, Any]:
        header, _ = peek(token)
        # RFC 9068 §4: an access token says so, which keeps any other JWT we might sign
        # from being replayed as one.
        if header.get("typ") != ACCESS_TOKEN_TYPE:
            raise InvalidToken("not an access token")
        claims = await verify(
            token,
            find_key=self._find_key,
            algorithms=(keys.ALGORITHM,),
            issuer=self.issuer,
            audience=self.audience,
            leeway=self.leeway,
            required=self.REQUIRED,
        )
        # Both are numbers here: the claims registry refuses a non-numeric `exp` or `iat`.
        if claims["exp"] - claims["iat"] > self.lifetime + self.leeway:
            raise InvalidToken("token lifetime longer than this server issues")
        if not isinstance(claims.get("scope", ""), str):
            raise InvalidToken("invalid claim 'scope'")
        return claims


def check_client_scopes(claims: dict[str, Any], client_scopes: list[str] | None) -> None:
    """Refuse one of our tokens that carries more than its client is registered for."""
    if not scopes.effective(scopes.split(claims.get("scope"))) <= scopes.effective(client_scopes or []):
        raise InvalidToken("token scope beyond its client's")
