"""Settings from the environment (and an optional `.env`), never from code.

Neo4j settings use the names the Neo4j tooling already uses (NEO4J_URI, ...);
everything else is prefixed MAESTRO_.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# scheme://host[:port], as browsers send it in `Origin`.
_ORIGIN = re.compile(r"https?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?")


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "maestro-graph"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MAESTRO_", env_file=".env", extra="ignore")

    profile: Literal["dev", "production"] = "production"
    data_dir: Path = Field(default_factory=_default_data_dir)

    # An external Neo4j (cluster, Aura, Docker). When unset, the managed local server is used.
    neo4j_uri: str | None = Field(default=None, validation_alias=AliasChoices("NEO4J_URI", "MAESTRO_NEO4J_URI"))
    neo4j_user: str = Field(
        default="neo4j", validation_alias=AliasChoices("NEO4J_USER", "NEO4J_USERNAME", "MAESTRO_NEO4J_USER")
    )
    neo4j_password: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("NEO4J_PASSWORD", "MAESTRO_NEO4J_PASSWORD")
    )
    neo4j_database: str = Field(
        default="neo4j", validation_alias=AliasChoices("NEO4J_DATABASE", "MAESTRO_NEO4J_DATABASE")
    )
    neo4j_bolt_port: int = 7687
    neo4j_http_port: int = 7474

    # Every list in the API is a bounded page.
    page_size_default: int = Field(default=20, ge=1)
    page_size_max: int = Field(default=100, ge=1)
    # A node fetched by id is read with the relation pages selected under it in one query
    # (graphql/prefetch.py); off, every nesting level is its own batched query.
    graphql_prefetch: bool = True
    # A query made only of fields the reads answer directly (a node by id with its prefetched
    # pages, a listing, a search) is answered without a resolver per field
    # (graphql/compiled_reads.py); off, every such query goes through execution.
    graphql_compiled_reads: bool = True

    # A request still running after this long is cancelled and answered 504 (deadline.py).
    request_deadline_seconds: float = Field(default=30.0, gt=0, le=3600)

    # Bulk writes: rows per UNWIND transaction.
    import_batch_size: int = Field(default=5000, ge=1)

    # The OAuth 2.0 authorization server for integrations. The issuer is the public URL
    # clients reach this service on (https in production); every replica must share it.
    oauth_issuer: str = "http://127.0.0.1:8000"
    oauth_audience: str = "maestro-graph"
    access_token_seconds: int = Field(default=600, ge=30, le=86_400)
    # Clock skew tolerated on exp/nbf/iat, between us, external issuers and clients.
    token_leeway_seconds: int = Field(default=30, ge=0, le=300)
    # How long a replica trusts its in-process copy of the signing keys before rereading
    # them from Neo4j (a key rotated elsewhere is picked up within this time).
    signing_key_cache_seconds: int = Field(default=300, ge=1)

    # Tokens from an external OpenID Connect issuer, accepted beside our own when set.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    # The claim whose value is the id of the acting Person node.
    oidc_person_claim: str = "sub"
    oidc_algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256"])
    oidc_jwks_cache_seconds: int = Field(default=3600, ge=1)
    # At most one refetch per this many seconds when a token names an unknown `kid`.
    oidc_jwks_min_refresh_seconds: int = Field(default=30, ge=0)
    # People's tokens from that issuer: the claim listing the person's groups, and the group
    # whose members get the `admin` scope (when their token asks for it). Unset, no external
    # token is ever admin: a token's own `scope` claim never grants it alone.
    oidc_groups_claim: str = "groups"
    oidc_admin_group: str | None = None
    # Sign-in on the Explorer (authorization code + PKCE, in the browser): the public client
    # registered at the issuer for it, the scopes it asks for, and the resource indicator
    # (RFC 8707) that gets access tokens for this API's audience, for issuers that need one.
    oidc_client_id: str | None = None
    oidc_scopes: str = "openid profile read write"
    oidc_resource: str | None = None

    # Frontends served from other origins that may call /graphql from a browser (CORS):
    # exact origins, e.g. ["https://explorer.example.org"]. Credentials (cookies) are never
    # allowed: callers send a bearer token. Preflight answers are cached this long.
    cors_allowed_origins: list[str] = Field(default_factory=list)
    cors_max_age_seconds: int = Field(default=600, ge=0, le=86_400)

    # Request hardening: body size, query cost (the objects an answer can hold, pages taken
    # as full), and a per-client cost budget refilled continuously (in-process: per replica).
    max_body_bytes: int = Field(default=262_144, ge=1024)
    # GitHub sends webhook payloads of up to 25 MB (a large push); nothing else needs that much.
    max_webhook_body_bytes: int = Field(default=26_214_400, ge=1024)
    max_query_cost: int = Field(default=25_000, ge=1)
    cost_budget_per_minute: int = Field(default=250_000, ge=1)
    # Token-endpoint requests, per caller address and per client id (each has its own bucket).
    oauth_requests_per_minute: int = Field(default=120, ge=1)
    # Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: addresses or
    # networks (e.g. ["172.30.99.10"], ["10.0.0.0/8"]). Empty (the default), the peer is the
    # caller whatever the headers say, so a made-up header cannot dodge a per-address limit.
    trusted_proxies: list[str] = Field(default_factory=list)

    # Webhook secrets and the private signing keys are stored in the graph encrypted under
    # this Fernet key (every replica must share it; unset, one is generated into data_dir for
    # a single host).
    integration_secrets_key: SecretStr | None = None

    # CI/CD integrations. Delivery ids are kept this long to recognise redeliveries.
    webhook_delivery_retention_days: int = Field(default=30, ge=1, le=3650)
    # Environments whose deployments count for DORA when the sender does not say.
    production_environments: list[str] = Field(default_factory=lambda: ["production", "prod", "live"])

    # Live events (subscriptions, outgoing webhooks). Each replica numbers committed events
    # and reads new ones from Neo4j this often while there are any: the delay between a commit
    # and its event. With none, the rounds back off to the idle period, which bounds the delay
    # of another replica's first write after a quiet spell (this replica's own writes wake it).
    events_poll_seconds: float = Field(default=0.25, gt=0, le=60)
    events_idle_poll_seconds: float = Field(default=2.0, gt=0, le=300)
    # Live subscriptions one client (OAuth client, or address without one) may hold at once.
    subscriptions_per_client: int = Field(default=10, ge=1, le=1000)
    # A WebSocket without a subscription for this long is closed (4408), and every open one
    # is pinged this often (a graphql-transport-ws `ping`); SSE streams get a comment line.
    subscription_idle_seconds: float = Field(default=300.0, gt=0)
    subscription_heartbeat_seconds: float = Field(default=15.0, gt=0)
    # Outgoing webhooks: targets in private, loopback or link-local ranges are refused unless
    # this is on (a receiver on the same network as the service, or a test's receiver).
    webhooks_allow_private_targets: bool = False
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # Attempts per event before it is given up (recorded as failed); waits double from this.
    webhook_max_attempts: int = Field(default=5, ge=1, le=20)
    webhook_backoff_seconds: float = Field(default=2.0, gt=0)
    # A webhook whose events failed this many times in a row is disabled until re-enabled.
    webhook_disable_after_failures: int = Field(default=10, ge=1)
    # How long a replica holds a webhook's delivery before another may take it over; renewed
    # on each delivery, so it must exceed one delivery's timeout.
    webhook_lease_seconds: float = Field(default=30.0, gt=0)

    # Operations. While Neo4j is down a request should fail within a couple of seconds with
    # a 503, not hang: these bound connecting, waiting for a pooled connection, and retrying
    # a unit of work on transient errors (deadlocks, a cluster electing a new leader).
    neo4j_pool_size: int = Field(default=50, ge=1)
    neo4j_connection_timeout_seconds: float = Field(default=2.0, gt=0)
    neo4j_acquisition_timeout_seconds: float = Field(default=3.0, gt=0)
    neo4j_retry_seconds: float = Field(default=1.5, ge=0)
    # Reads as auto-commit transactions (one Bolt exchange per query instead of three; a
    # transient failure falls back to a retried managed transaction): `db/graph.py`.
    neo4j_autocommit_reads: bool = True
    # One JSON object per log line (for log shippers), or plain text for a terminal.
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # OpenTelemetry spans for requests and Neo4j transactions: `otlp` exports to the
    # collector named by the standard OTEL_EXPORTER_OTLP_* variables, `console` prints them.
    tracing: Literal["off", "otlp", "console"] = "off"
    # How long `serve` lets in-flight requests finish after SIGTERM before closing them.
    shutdown_grace_seconds: float = Field(default=20.0, gt=0)
    # Idle keep-alive connections are kept this long: longer than a proxy or load balancer in
    # front keeps its own (nginx 60 s, most cloud balancers 60 s), so the server never closes a
    # connection just as the proxy sends a request on it (which the proxy answers with a 502).
    keep_alive_seconds: int = Field(default=75, ge=1)
    # Batch commands (import, train) do not live long enough to be scraped: they push their
    # counters to a Prometheus Pushgateway and/or write them for node_exporter's textfile collector.
    metrics_pushgateway: str | None = None
    metrics_textfile: Path | None = None
    # An active model version older than this is stale: /metrics shows the figure
    # (maestro_model_max_age_seconds) and the MaestroModelStale alert compares against it.
    model_max_age_hours: float = Field(default=168.0, gt=0)

    @field_validator("oidc_algorithms")
    @classmethod
    def _asymmetric_only(cls, algorithms: list[str]) -> list[str]:
        # A shared-secret or unsigned algorithm would let anyone holding the public key
        # (or nothing at all) mint tokens.
        refused = [alg for alg in algorithms if alg.lower() == "none" or alg.upper().startswith("HS")]
        if refused or not algorithms:
            raise ValueError(f"oidc_algorithms must be asymmetric signature algorithms (refused: {refused})")
        return algorithms

    @field_validator("cors_allowed_origins")
    @classmethod
    def _exact_origins(cls, origins: list[str]) -> list[str]:
        # An allow-list of origins, each exactly as a browser sends it: no wildcard, no path.
        for origin in origins:
            if not _ORIGIN.fullmatch(origin):
                raise ValueError(f"cors_allowed_origins: {origin!r} is not an origin like https://app.example.org")
        return origins

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses_or_networks(cls, proxies: list[str]) -> list[str]:
        # Names or "*" would trust whoever resolves or connects: only explicit addresses.
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(f"trusted_proxies: {proxy!r} is not an IP address or network") from None
        return proxies

    @property
    def is_dev(self) -> bool:
        return self.profile == "dev"


@lru_cache
def get_settings() -> Settings:
    return Settings()
