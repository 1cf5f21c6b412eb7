"""Access-token validation, one negative test per rule: our own tokens, and an external
OpenID Connect issuer's."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from conftest import (
    AUDIENCE,
    ISSUER,
    TEST_DATA_DIR,
    access_token,
    bearer,
    claims_for,
    data,
    make_client,
    register_client,
)
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from pydantic import ValidationError

from maestro_graph.config import Settings
from maestro_graph.secret_box import SecretBox

QUERY = "{ projects { totalCount } }"


def b64(value: bytes | dict) -> str:
    raw = json.dumps(value).encode() if isinstance(value, dict) else value
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def sign(header: dict, claims: dict, key) -> str:
    return jwt.encode(header, claims, key, algorithms=[header["alg"]])


def status(client, token: str) -> tuple[int, str]:
    response = client.post("/graphql", json={"query": QUERY}, headers={"Authorization": f"Bearer {token}"})
    body = response.json()
    return response.status_code, (body.get("errors") or [{"message": ""}])[0]["message"]


@pytest.fixture(scope="module")
def reader(production, neo4j_target):
    credentials = register_client(neo4j_target, "reader", "read")
    access_token(production, credentials)  # the signing key now exists
    return credentials


@pytest.fixture(scope="module")
def server_key(reader, graph) -> RSAKey:
    """The server's real signing key, as someone holding the store and the sealing key would have it."""
    query = "MATCH (k:SigningKey {active_slot: 'active'}) RETURN k.private_jwk_sealed AS sealed"
    sealed = graph.execute_query(query).records[0]["sealed"]
    return RSAKey.import_key(json.loads(SecretBox.from_settings(Settings(data_dir=TEST_DATA_DIR)).open(sealed)))


def header_for(key: RSAKey, **changes) -> dict:
    header = {"alg": "RS256", "typ": "at+jwt", "kid": key.kid}
    header.update(changes)
    return {k: v for k, v in header.items() if v is not None}


def test_a_token_we_mint_the_same_way_is_accepted(production, reader, server_key):
    # The baseline the negative tests below depart from by one thing each.
    token = sign(header_for(server_key), claims_for(reader["client_id"]), server_key)
    assert status(production, token) == (200, "")


def test_small_clock_skew_is_tolerated(production, reader, server_key):
    now = int(time.time())
    token = sign(header_for(server_key), claims_for(reader["client_id"], exp=now - 10, iat=now - 300), server_key)
    assert status(production, token)[0] == 200


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"exp": None}, "'exp'"),
        ({"nbf": int(time.time()) + 600}, "'nbf'"),
        ({"iat": int(time.time()) + 600}, "'iat'"),
        ({"aud": "some-other-api"}, "'aud'"),
        ({"aud": ["some-other-api", "and-another"]}, "'aud'"),
        ({"iss": "https://evil.example.org"}, "unknown issuer"),
        ({"iss": ISSUER + "/"}, "unknown issuer"),
        ({"jti": None}, "'jti'"),
        ({"client_id": None}, "'client_id'"),
    ],
)
def test_bad_claims_are_refused(production, reader, server_key, changes, reason):
    token = sign(header_for(server_key), claims_for(reader["client_id"], **changes), server_key)
    code, message = status(production, token)
    assert code == 401 and reason in message, message


def test_audience_list_containing_ours_is_accepted(production, reader, server_key):
    token = sign(header_for(server_key), claims_for(reader["client_id"], aud=["other", AUDIENCE]), server_key)
    assert status(production, token)[0] == 200


def test_tampered_payload_is_refused(production, reader):
    token = access_token(production, reader)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["scope"] = "read write admin"
    assert status(production, ".".join([header, b64(claims), signature])) == (401, "invalid token: bad signature")


def test_alg_none_is_refused(production, reader, server_key):
    header = {"alg": "none", "typ": "at+jwt", "kid": server_key.kid}
    token = f"{b64(header)}.{b64(claims_for(reader['client_id'], scope='read write admin'))}."
    code, message = status(production, token)
    assert code == 401 and "'none'" in message


@pytest.mark.parametrize("secret_of", ["pem", "jwk-json", "modulus"])
def test_hs256_signed_with_our_public_key_is_refused(production, reader, server_key, secret_of):
    public = RSAKey.import_key(server_key.as_dict(private=False))
    secret = {
        "pem": public.as_pem(),
        "jwk-json": json.dumps(public.as_dict()).encode(),
        "modulus": public.as_dict()["n"].encode(),
    }[secret_of]
    header = b64({"alg": "HS256", "typ": "at+jwt", "kid": server_key.kid})
    payload = b64(claims_for(reader["client_id"], scope="read write admin"))
    signature = b64(hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    code, message = status(production, f"{header}.{payload}.{signature}")
    assert code == 401 and "'HS256'" in message


def test_other_algorithms_with_our_key_are_refused(production, reader, server_key):
    unbound = RSAKey.import_key({k: v for k, v in server_key.as_dict(private=True).items() if k != "alg"})
    for alg in ("RS512", "PS256"):
        token = sign(header_for(server_key, alg=alg), claims_for(reader["client_id"]), unbound)
        assert status(production, token) == (401, f"invalid token: algorithm {alg!r} is not accepted")


def test_a_key_named_by_the_token_itself_is_never_used(production, reader, server_key):
    attacker = RSAKey.generate_key(2048, parameters={"alg": "RS256"}, auto_kid=True)
    claims = claims_for(reader["client_id"], scope="read write admin")
    assert (
        status(production, sign(header_for(attacker, jwk=attacker.as_dict(private=False)), claims, attacker))[0] == 401
    )
    embedded = {"jku": "https://evil.example.org/jwks.json", "x5u": "https://evil.example.org/cert.pem"}
    # The attacker's own kid: unknown to us, whatever the headers say.
    assert status(production, sign(header_for(attacker, **embedded), claims, attacker))[0] == 401
    # Our kid, the attacker's signature: the kid picks our key, and the signature fails.
    assert status(production, sign(header_for(server_key, **embedded), claims, attacker)) == (
        401,
        "invalid token: bad signature",
    )
    # No kid at all: we do not guess.
    assert status(production, sign(header_for(attacker, kid=None), claims, attacker))[0] == 401


def test_access_token_type_is_required(production, reader, server_key):
    for typ in (None, "JWT", "id_token+jwt"):
        token = sign(header_for(server_key, typ=typ), claims_for(reader["client_id"]), server_key)
        assert status(production, token) == (401, "invalid token: not an access token"), typ


def test_malformed_and_oversized_tokens_are_refused_fast(production):
    for token in ("abc", "a.b.c", "....", "eyJhbGciOiJSUzI1NiJ9." * 3, "x" * 20_000):
        started = time.perf_counter()
        assert status(production, token)[0] == 401
        assert time.perf_counter() - started < 0.5


def test_a_token_living_as_long_as_we_issue_them_is_accepted(production, reader, server_key):
    now = int(time.time())
    token = sign(header_for(server_key), claims_for(reader["client_id"], iat=now, exp=now + 600), server_key)
    assert status(production, token) == (200, "")


@pytest.mark.parametrize("lifetime", [600 + 31, 7 * 86_400])
def test_a_token_living_longer_than_we_issue_them_is_refused(production, reader, server_key, lifetime):
    # Only a stolen key makes such a token: we issue 600 s (MAESTRO_ACCESS_TOKEN_SECONDS), 30 s leeway.
    now = int(time.time())
    token = sign(header_for(server_key), claims_for(reader["client_id"], iat=now, exp=now + lifetime), server_key)
    assert status(production, token) == (401, "invalid token: token lifetime longer than this server issues")


@pytest.mark.parametrize("scope", ["read write", "admin", "read write admin"])
def test_a_token_with_scopes_beyond_its_clients_is_refused(production, reader, server_key, neo4j_target, scope):
    token = sign(header_for(server_key), claims_for(reader["client_id"], scope=scope), server_key)
    assert status(production, token) == (401, "invalid token: token scope beyond its client's")
    # Introspection does not vouch for it either, even asked by an admin client.
    admin = register_client(neo4j_target, "introspector", "read write admin")
    answer = production.post(
        "/oauth/introspect", data={"token": token}, auth=(admin["client_id"], admin["client_secret"])
    )
    assert answer.json() == {"active": False}


@pytest.mark.parametrize("scope", [["read"], 7])
def test_a_token_with_a_scope_that_is_no_string_is_refused(production, reader, server_key, scope):
    token = sign(header_for(server_key), claims_for(reader["client_id"], scope=scope), server_key)
    assert status(production, token) == (401, "invalid token: invalid claim 'scope'")


def test_token_of_a_client_that_no_longer_exists_is_refused(production, server_key):
    token = sign(header_for(server_key), claims_for("mgc_never_registered"), server_key)
    assert status(production, token) == (401, "invalid token: client revoked")


# --- an external OpenID Connect issuer -------------------------------------------------

IDP = "https://idp.example.org"
IDP_JWKS = IDP + "/.well-known/jwks.json"
IDP_AUDIENCE = "maestro-graph-api"


class FakeIdP:
    """The issuer's JWKS endpoint: records every fetch, serves whatever keys it holds."""

    def __init__(self):
        self.keys = [RSAKey.generate_key(2048, parameters={"alg": "RS256", "use": "sig"}, auto_kid=True)]
        self.extra: list[dict] = []
        self.fetched: list[str] = []

    async def fetch(self, url: str) -> dict:
        self.fetched.append(url)
        return {"keys": [key.as_dict(private=False) for key in self.keys] + self.extra}

    def token(self, key: RSAKey | None = None, header: dict | None = None, **changes) -> str:
        key = key or self.keys[0]
        now = int(time.time())
        claims = {
            "iss": IDP,
            "aud": IDP_AUDIENCE,
            "iat": now,
            "exp": now + 300,
            "sub": "idp-user-1",
            "employee_id": "u-oidc",
            "scope": "read write",
            "azp": "idp-client",
        }
        claims.update(changes)
        claims = {k: v for k, v in claims.items() if v is not None}
        return sign({"alg": "RS256", "kid": key.kid, **(header or {})}, claims, key)


@pytest.fixture(scope="module")
def idp():
    return FakeIdP()


@pytest.fixture(scope="module")
def oidc(graph, neo4j_target, idp):
    graph.execute_query("MERGE (:Person {id: 'u-oidc'})")
    with make_client(
        neo4j_target,
        profile="production",
        peer="203.0.113.20",
        oidc_issuer=IDP,
        oidc_audience=IDP_AUDIENCE,
        oidc_jwks_url=IDP_JWKS,
        oidc_person_claim="employee_id",
        oidc_jwks_min_refresh_seconds=0,
    ) as client:
        client.app.state.auth.authenticator.external.keys.fetch = idp.fetch
        yield client


def test_external_token_is_accepted_and_maps_the_person(oidc, idp, graph):
    assert data(oidc, QUERY, **bearer(idp.token()))
    graph.execute_query(
        "MERGE (:Project {id: 'oidc-p'}) WITH * MATCH (pe:Person {id: 'u-oidc'}), (p:Project {id: 'oidc-p'}) "
        "MERGE (pe)-[:MEMBER_OF {roles: ['owner']}]->(p)"
    )
    data(oidc, 'mutation { upsertProject(input: {id: "oidc-p", name: "Via IdP"}) { id } }', **bearer(idp.token()))
    event = graph.execute_query(
        "MATCH (e:AuditEvent {action: 'upsertProject'}) WHERE 'oidc-p' IN e.targets "
        "RETURN e.actor AS actor, e.client_id AS client"
    ).records[0]
    assert event["actor"] == "person:u-oidc" and event["client"] == "idp-client"
    assert set(idp.fetched) == {IDP_JWKS}


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"aud": "someone-else"}, "'aud'"),
        ({"exp": int(time.time()) - 300}, "expired"),
        ({"sub": None}, "'sub'"),
        ({"iss": IDP + "/other"}, "unknown issuer"),
    ],
)
def test_external_token_claims_are_checked(oidc, idp, changes, reason):
    code, message = status(oidc, idp.token(**changes))
    assert code == 401 and reason in message, message


def test_external_token_signed_by_a_stranger_is_refused(oidc, idp):
    stranger = RSAKey.generate_key(2048, parameters={"alg": "RS256"}, auto_kid=True)
    assert status(oidc, idp.token(key=stranger, header={"jku": "https://evil.example.org/jwks"}))[0] == 401
    impostor = idp.token(key=stranger, header={"kid": idp.keys[0].kid})
    assert status(oidc, impostor) == (401, "invalid token: bad signature")
    assert set(idp.fetched) == {IDP_JWKS}  # the jku was never followed


def test_symmetric_keys_in_the_issuers_jwks_are_ignored(oidc, idp):
    secret = OctKey.generate_key(256, parameters={"kid": "shared"}, auto_kid=False)
    idp.extra = [secret.as_dict(private=True)]
    try:
        claims = {
            "iss": IDP,
            "aud": IDP_AUDIENCE,
            "exp": int(time.time()) + 300,
            "sub": "x",
            "scope": "read write admin",
        }
        token = jwt.encode({"alg": "HS256", "kid": "shared"}, claims, secret, algorithms=["HS256"])
        assert status(oidc, token)[0] == 401
    finally:
        idp.extra = []


def test_issuer_key_rotation_is_picked_up_on_unknown_kid(oidc, idp):
    assert data(oidc, QUERY, **bearer(idp.token()))
    fetches = len(idp.fetched)
    idp.keys.insert(0, RSAKey.generate_key(2048, parameters={"alg": "RS256", "use": "sig"}, auto_kid=True))
    assert data(oidc, QUERY, **bearer(idp.token()))
    assert len(idp.fetched) == fetches + 1
    assert data(oidc, QUERY, **bearer(idp.token()))  # cached now
    assert len(idp.fetched) == fetches + 1


def test_made_up_kids_do_not_flood_the_issuer(oidc, idp):
    keys = oidc.app.state.auth.authenticator.external.keys
    keys.min_refresh_seconds = 3600
    try:
        assert data(oidc, QUERY, **bearer(idp.token()))
        fetches = len(idp.fetched)
        stranger = RSAKey.generate_key(2048, parameters={"alg": "RS256"}, auto_kid=True)
        for i in range(20):
            assert status(oidc, idp.token(key=stranger, header={"kid": f"made-up-{i}"}))[0] == 401
        assert len(idp.fetched) <= fetches + 1
    finally:
        keys.min_refresh_seconds = 0


def test_external_token_without_our_scopes_cannot_read(oidc, idp):
    body = oidc.post("/graphql", json={"query": QUERY}, **bearer(idp.token(scope="openid profile"))).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN" and body.get("data") is None


def test_external_tokens_are_refused_when_no_issuer_is_configured(production, idp):
    assert status(production, idp.token()) == (401, "invalid token: token from an unknown issuer")


@pytest.mark.parametrize("algorithms", [["HS256"], ["RS256", "none"], []])
def test_symmetric_or_no_algorithms_cannot_be_configured(algorithms):
    with pytest.raises(ValidationError):
        Settings(oidc_algorithms=algorithms)


def test_token_checks_fail_closed_when_neo4j_is_down(reader, server_key, neo4j_target):
    from dataclasses import replace

    # The serving driver gives up on an unreachable server within seconds (MAESTRO_NEO4J_RETRY_SECONDS).
    token = sign(header_for(server_key), claims_for(reader["client_id"]), server_key)
    dead = replace(neo4j_target, uri="bolt://127.0.0.1:9")  # nothing listens there
    with make_client(dead, profile="production", peer="203.0.113.40") as client:
        response = client.post("/graphql", json={"query": QUERY}, **bearer(token))
        assert (
            response.status_code == 503 and response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        )
        grant = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(reader["client_id"], reader["client_secret"]),
        )
        assert grant.status_code == 503 and grant.json()["error"] == "temporarily_unavailable"
