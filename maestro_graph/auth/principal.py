"""The caller of one request, as every permission check and audit event sees it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from maestro_graph.auth import scopes

Source = Literal["oauth", "oidc", "dev-anonymous"]


@dataclass(frozen=True)
class Principal:
    subject: str  # the token's `sub`
    scopes: frozenset[str]  # effective scopes (implications applied)
    source: Source
    client_id: str | None = None
    person_id: str | None = None  # the Person node this caller acts as, for project roles
    token_id: str | None = None

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def is_admin(self) -> bool:
        return scopes.ADMIN in self.scopes

    @property
    def actor(self) -> str:
        """Who the audit trail names: the person when known, else the client, else the subject."""
        if self.person_id:
            return f"person:{self.person_id}"
        if self.client_id:
            return f"client:{self.client_id}"
        return self.subject

    @property
    def budget_key(self) -> str | None:
        """Whose query-cost budget a request spends; None means the caller's address."""
        # People signed in through one frontend share its client id: each has their own budget.
        if self.source == "oidc":
            return f"sub:{self.subject}"
        if self.client_id:
            return f"client:{self.client_id}"
        return None


# The dev profile only: a loopback caller without a token may do anything.
DEV_ANONYMOUS = Principal(subject="anonymous", scopes=scopes.effective([scopes.ADMIN]), source="dev-anonymous")
