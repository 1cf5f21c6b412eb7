"""The OAuth 2.0 authorization server for integrations, on authlib: the client-credentials
grant (RFC 6749 §4.4) issuing RFC 9068 JWT access tokens, introspection (RFC 7662) and
revocation (RFC 7009).

authlib's server is synchronous; `routes` runs it in a worker thread, and the few places
it needs Neo4j or the keyring hop back to the event loop with `anyio.from_thread.run`.
"""

from __future__ import annotations

import time
from typing import Any

from anyio import from_thread
from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientCredentialsGrant,
    ClientMixin,
    InvalidClientError,
    InvalidScopeError,
    OAuth2Request,
    TokenMixin,
)
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from joserfc.jwk import KeySet

from maestro_graph.auth import client_secrets, keys, scopes
from maestro_graph.auth.tokens import InvalidToken, OwnTokens, check_client_scopes
from maestro_graph.db.graph import GraphDB
from maestro_graph.repositories import audit, oauth_clients, token_revocations

GRANT_TYPE = "client_credentials"
AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
MAX_CLIENT_ID_LENGTH = 200


class FormRequest(OAuth2Request):
    """A token-endpoint request whose form body the route has already parsed."""

    def __init__(self, uri: str, headers: Any, form: dict[str, str], query: dict[str, str]):
        super().__init__("POST", uri, headers=headers)
        self.payload = BasicOAuth2Payload(form)
        self._form = form
        self._query = query

    @property
    def form(self) -> dict[str, str]:
        return self._form

    @property
    def args(self) -> dict[str, str]:
        return self._query


class RegisteredClient(ClientMixin):
    def __init__(self, row: dict):
        self.client_id: str = row["client_id"]
        self.scopes: list[str] = list(row.get("scopes") or [])
        self.person_id: str | None = row.get("person_id")
        self._secret_hash: str | None = row.get("secret_hash")

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        # The grant has already refused anything beyond the registered scopes.
        return " ".join(scopes.split(scope) or self.scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return client_secrets.secret_matches(client_secret, self._secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == GRANT_TYPE

    @property
    def is_admin(self) -> bool:
        return scopes.ADMIN in self.scopes


class IssuedToken(TokenMixin):
    """One of our access tokens, verified, as introspection and revocation see it."""

    def __init__(self, claims: dict, revoked: bool):
        self.claims = claims
        self.revoked = revoked

    def check_client(self, client: RegisteredClient) -> bool:
        # A client may act on its own tokens; an admin client on any.
        return self.claims["client_id"] == client.client_id or client.is_admin

    def get_scope(self) -> str:
        return self.claims.get("scope", "")

    def get_expires_in(self) -> int:
        return max(0, int(self.claims["exp"] - time.time()))

    def is_expired(self) -> bool:
        return self.claims["exp"] <= time.time()

    def is_revoked(self) -> bool:
        return self.revoked


class ClientCredentials(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def validate_requested_scope(self) -> None:
        # Asking for more than the client was registered with is an error, not a silent
        # downgrade: the integration learns at once that it is misconfigured.
        requested = scopes.split(self.request.payload.scope)
        beyond = [name for name in requested if name not in self.client.scopes]
        if beyond:
            raise InvalidScopeError(f"scope not granted to this client: {' '.join(beyond)}")


class AccessTokenGenerator(JWTBearerTokenGenerator):
    def __init__(self, server: OAuthServer, issuer: str, audience: str, lifetime: int):
        super().__init__(issuer, alg=keys.ALGORITHM, expires_generator=lifetime)
        self.server = server
        self.audience = audience

    def get_jwks(self) -> KeySet:
        # A key set (of one) rather than the key, so joserfc writes its `kid` into the header.
        return KeySet([from_thread.run(self.server.keyring.signing_key)])

    def get_audiences(self, client, user, scope) -> str:
        return self.audience


class _TokenLookup:
    """Shared by introspection and revocation: our token, verified, with its revocation state."""

    CLIENT_AUTH_METHODS = AUTH_METHODS
    SUPPORTED_TOKEN_TYPES = ("access_token",)
    server: OAuthServer  # set by authlib's endpoint class, which this is mixed into

    def query_token(self, token_string: str, token_type_hint: str | None) -> IssuedToken | None:
        server = self.server
        try:
            claims = from_thread.run(server.own_tokens.verify, token_string)
            status = from_thread.run(server.db.read, token_revocations.status, claims["jti"], claims["client_id"])
            check_client_scopes(claims, status["client_scopes"])
        except InvalidToken:
            return None  # expired, foreign or forged: nothing to report or revoke
        return IssuedToken(claims, revoked=status["revoked"] or not status["client_active"])


class Introspection(_TokenLookup, IntrospectionEndpoint):
    def check_permission(self, token: IssuedToken, client: RegisteredClient, request) -> bool:
        return token.check_client(client)

    def introspect_token(self, token: IssuedToken) -> dict:
        claims = token.claims
        fields = ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti")
        return {"active": True, "token_type": "Bearer", **{name: claims[name] for name in fields if name in claims}}


class Revocation(_TokenLookup, RevocationEndpoint):
    def revoke_token(self, token: IssuedToken, request: FormRequest) -> None:
        if token.revoked:
            return  # already refused everywhere; revoking again records nothing new
        server = self.server
        claims, caller = token.claims, request.client.client_id

        async def work(tx):
            await token_revocations.revoke(tx, claims["jti"], claims["client_id"], int(claims["exp"]))
            await audit.record(
                tx,
                action="oauth.revokeToken",
                actor=f"client:{caller}",
                client_id=caller,
                person_id=None,
                targets=[claims["jti"]],
                changed=["revoked"],
            )

        from_thread.run(server.db.write, work)


class OAuthServer(AuthorizationServer):
    def __init__(self, db: GraphDB, keyring: keys.Keyring, own_tokens: OwnTokens, lifetime: int):
        super().__init__(scopes_supported=list(scopes.SUPPORTED))
        self.db = db
        self.keyring = keyring
        self.own_tokens = own_tokens
        self.register_grant(ClientCredentials)
        self.register_token_generator(
            "default", AccessTokenGenerator(self, own_tokens.issuer, own_tokens.audience, lifetime)
        )
        self.register_endpoint(Introspection(server=self))
        self.register_endpoint(Revocation(server=self))

    def authenticate_client(self, request: OAuth2Request, methods: list[str], endpoint: str = "token") -> ClientMixin:
        # One answer whether the client is unknown, revoked, or its secret wrong (authlib
        # words each differently), so the endpoints do not tell which client ids exist.
        # A Basic header that is not UTF-8 fails inside authlib's decoding: the same answer.
        try:
            return super().authenticate_client(request, methods, endpoint)
        except (InvalidClientError, UnicodeDecodeError):
            raise InvalidClientError(status_code=401, description="client authentication failed") from None

    def query_client(self, client_id: str) -> RegisteredClient | None:
        if not isinstance(client_id, str) or len(client_id) > MAX_CLIENT_ID_LENGTH:
            return None
        row = from_thread.run(self.db.read, oauth_clients.get_active, client_id)
        return RegisteredClient(row) if row else None

    def save_token(self, token: dict, request: OAuth2Request) -> None:
        """Access tokens are self-contained JWTs: nothing to store until one is revoked."""

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No listeners."""

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> tuple[int, Any, list]:
        return status, body, headers
