"""Everything authentication needs for one app, built once Neo4j is reachable."""

from __future__ import annotations

from dataclasses import dataclass

from maestro_graph.auth.authenticator import Authenticator
from maestro_graph.auth.keys import Keyring
from maestro_graph.auth.oidc import ExternalIssuer
from maestro_graph.auth.server import OAuthServer
from maestro_graph.auth.tokens import OwnTokens
from maestro_graph.config import Settings
from maestro_graph.db.graph import GraphDB
from maestro_graph.ratelimit import TokenBuckets
from maestro_graph.secret_box import SecretBox


def key_retention_seconds(settings: Settings) -> int:
    """How long a retired key must keep verifying: the longest a token it signed can live,
    plus the time a replica may keep signing with it before rereading the keys."""
    return settings.access_token_seconds + settings.signing_key_cache_seconds + settings.token_leeway_seconds


@dataclass
class AuthServices:
    settings: Settings
    keyring: Keyring
    authenticator: Authenticator
    server: OAuthServer
    oauth_requests: TokenBuckets

    @classmethod
    def build(cls, settings: Settings, db: GraphDB) -> AuthServices:
        keyring = Keyring(
            db, SecretBox.from_settings(settings), key_retention_seconds(settings), settings.signing_key_cache_seconds
        )
        own = OwnTokens(
            keyring,
            settings.oauth_issuer,
            settings.oauth_audience,
            settings.token_leeway_seconds,
            settings.access_token_seconds,
        )
        return cls(
            settings=settings,
            keyring=keyring,
            authenticator=Authenticator(db, own, ExternalIssuer.from_settings(settings)),
            server=OAuthServer(db, keyring, own, settings.access_token_seconds),
            oauth_requests=TokenBuckets(settings.oauth_requests_per_minute),
        )
