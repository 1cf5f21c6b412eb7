"""Client ids and secrets for the client-credentials grant.

Secrets are 256 random bits made here, never chosen by people, so guessing one is out of
reach even against a fast hash; SHA-256 is therefore enough, and a deliberately slow hash
would only give anyone who can reach the token endpoint a lever on our CPU.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_PREFIX = "sha256:"


def new_client_id() -> str:
    return "mgc_" + secrets.token_urlsafe(12)


def new_client_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return _PREFIX + hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str | None) -> bool:
    if not stored_hash or not stored_hash.startswith(_PREFIX):
        return False
    return hmac.compare_digest(hash_secret(secret), stored_hash)
