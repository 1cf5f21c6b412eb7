"""From a bearer token to the request's Principal.

The token's (unverified) issuer only picks the verifier: ours or the configured external
one. Whichever verifies it, a revoked `jti` is refused; for our tokens the client must
still be registered, the token may carry no scope beyond the client's, and the Person it
acts for is read from the client, so changing either takes effect at once. An external
token acts for the Person its configured claim names, if the graph has one; what it may do
is `ExternalIssuer.granted_scopes` (read for a stranger to the graph, admin only by group).
"""

from __future__ import annotations

from maestro_graph.auth import scopes, tokens
from maestro_graph.auth.oidc import ExternalIssuer
from maestro_graph.auth.principal import Principal
from maestro_graph.auth.tokens import InvalidToken, OwnTokens
from maestro_graph.db.graph import GraphDB
from maestro_graph.repositories import token_revocations


class Authenticator:
    def __init__(self, db: GraphDB, own: OwnTokens, external: ExternalIssuer | None = None):
        self.db = db
        self.own = own
        self.external = external

    async def authenticate(self, token: str) -> Principal:
        _, unverified = tokens.peek(token)
        issuer = unverified.get("iss")
        if issuer == self.own.issuer:
            return await self._own(token)
        if self.external is not None and issuer == self.external.issuer:
            return await self._external(self.external, token)
        raise InvalidToken("token from an unknown issuer")

    async def _own(self, token: str) -> Principal:
        claims = await self.own.verify(token)
        status = await self.db.read(token_revocations.status, claims["jti"], claims["client_id"])
        if status["revoked"]:
            raise InvalidToken("token revoked")
        if not status["client_active"]:
            raise InvalidToken("client revoked")
        tokens.check_client_scopes(claims, status["client_scopes"])
        return Principal(
            subject=claims["sub"],
            scopes=scopes.effective(scopes.split(claims.get("scope"))),
            source="oauth",
            client_id=claims["client_id"],
            person_id=status["person_id"],
            token_id=claims["jti"],
        )

    async def _external(self, external: ExternalIssuer, token: str) -> Principal:
        claims = await external.verify(token)
        jti = claims.get("jti") if isinstance(claims.get("jti"), str) else None
        person = external.person_id(claims)
        status = await self.db.read(token_revocations.external_status, jti, person)
        if status["revoked"]:
            raise InvalidToken("token revoked")
        client = claims.get("client_id") or claims.get("azp")
        return Principal(
            subject=claims["sub"],
            scopes=external.granted_scopes(claims, person_known=status["person_known"]),
            source="oidc",
            client_id=client if isinstance(client, str) else None,
            person_id=person if status["person_known"] else None,
            token_id=jti,
        )
