"""Secrets the graph must hold but never show: webhook secrets and the private parts of the
keys that sign our access tokens.

Neither can be stored as a hash: an HMAC signature is checked with the secret itself, and a
token is signed with the private key. So each is stored encrypted (Fernet: AES-128-CBC with
an HMAC-SHA256 tag) under a key that is not in the graph, because the graph is read by more
than this service: anyone with Neo4j Browser access, every backup, every copy of the store
or its transaction logs would otherwise hold what it takes to forge deployment events or
mint admin tokens.

The key is MAESTRO_INTEGRATION_SECRETS_KEY (a Fernet key; every replica must share it).
Without it, a key is generated once into the data folder (mode 0600, in a folder only its
owner can enter), which is enough for one host.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from maestro_graph.config import Settings
from maestro_graph.data_dir import ensure_private

KEY_FILE = "integration-secrets.key"


class SecretUnreadable(RuntimeError):
    """A stored secret does not decrypt with our key (wrong or rotated key)."""


def _key_from_file(data_dir: Path) -> bytes:
    path = ensure_private(data_dir) / KEY_FILE
    if not path.exists():
        # O_EXCL: two processes starting together cannot both write a different key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key())
    return path.read_bytes().strip()


class SecretBox:
    def __init__(self, key: bytes):
        self._fernet = Fernet(key)

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        configured = settings.integration_secrets_key
        key = configured.get_secret_value().encode() if configured else _key_from_file(settings.data_dir)
        return cls(key)

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable(
                "a sealed secret does not decrypt with this MAESTRO_INTEGRATION_SECRETS_KEY "
                "(every replica must share the key that sealed it)"
            ) from None
