"""The authorization server: client-credentials grant, introspection, revocation,
discovery documents, client lifecycle (CLI included) and signing-key rotation."""

from __future__ import annotations

import base64
import json

import pytest
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from conftest import access_token, bearer, data, make_client, register_client
from joserfc import jwt
from joserfc.jwk import KeySet
from typer.testing import CliRunner

QUERY = "{ projects { totalCount } }"


@pytest.fixture(scope="module")
def reader(graph, neo4j_target):
    return register_client(neo4j_target, "reader", "read")


@pytest.fixture(scope="module")
def admin(graph, neo4j_target):
    return register_client(neo4j_target, "auditor", "read write admin")


def token_request(client, form: dict, auth=None):
    return client.post("/oauth/token", data=form, auth=auth)


def test_metadata_points_at_every_endpoint(production):
    meta = production.get("/.well-known/oauth-authorization-server").json()
    issuer = meta["issuer"]
    assert meta["token_endpoint"] == issuer + "/oauth/token"
    assert meta["introspection_endpoint"] == issuer + "/oauth/introspect"
    assert meta["revocation_endpoint"] == issuer + "/oauth/revoke"
    assert meta["grant_types_supported"] == ["client_credentials"]
    assert set(meta["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post"}
    checked = AuthorizationServerMetadata(meta)
    for rule in (
        "validate_issuer",
        "validate_token_endpoint",
        "validate_jwks_uri",
        "validate_scopes_supported",
        "validate_grant_types_supported",
        "validate_token_endpoint_auth_methods_supported",
    ):
        getattr(checked, rule)()


def test_jwks_publishes_public_keys_only(production):
    keys = production.get("/.well-known/jwks.json").json()["keys"]
    assert keys and all(key["kty"] == "RSA" and key["alg"] == "RS256" and key["kid"] for key in keys)
    assert not any(private in key for key in keys for private in ("d", "p", "q", "dp", "dq", "qi"))


def test_token_with_basic_auth_carries_the_rfc9068_claims(production, reader):
    response = token_request(
        production, {"grant_type": "client_credentials"}, (reader["client_id"], reader["client_secret"])
    )
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "read" and 0 < body["expires_in"] <= 600
    keys = KeySet.import_key_set(production.get("/.well-known/jwks.json").json())
    token = jwt.decode(body["access_token"], keys, algorithms=["RS256"])
    assert token.header["typ"] == "at+jwt" and token.header["kid"]
    claims = token.claims
    assert {"iss", "aud", "exp", "iat", "sub", "client_id", "jti", "scope"} <= set(claims)
    assert claims["client_id"] == claims["sub"] == reader["client_id"] and claims["aud"] == "maestro-graph"
    assert claims["exp"] - claims["iat"] == 600
    assert data(production, QUERY, **bearer(body["access_token"]))["projects"]["totalCount"] == 0


def test_token_with_post_auth_and_a_narrower_scope(production, admin):
    response = token_request(
        production,
        {
            "grant_type": "client_credentials",
            "scope": "read",
            "client_id": admin["client_id"],
            "client_secret": admin["client_secret"],
        },
    )
    assert response.status_code == 200 and response.json()["scope"] == "read"


@pytest.mark.parametrize("requested", ["write", "read admin", "superuser"])
def test_scope_escalation_at_the_token_endpoint_is_refused(production, reader, requested):
    response = token_request(
        production,
        {"grant_type": "client_credentials", "scope": requested},
        (reader["client_id"], reader["client_secret"]),
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"


def test_client_authentication_failures_all_get_one_answer(production, reader, neo4j_target):
    # RFC 6749 §5.2 invalid_client, worded alike whether the client exists or not, so the
    # endpoint does not tell which client ids are registered.
    revoked = register_client(neo4j_target, "gone", "read")
    CliRunner().invoke(_cli(), ["oauth", "revoke-client", revoked["client_id"]])
    grant = {"grant_type": "client_credentials"}
    wrong = {"client_id": reader["client_id"], "client_secret": reader["client_secret"] + "x"}
    attempts = {
        "unknown client, basic": token_request(production, grant, ("mgc_nobody", "whatever")),
        "wrong secret, basic": token_request(production, grant, (wrong["client_id"], wrong["client_secret"])),
        "revoked client, basic": token_request(production, grant, (revoked["client_id"], revoked["client_secret"])),
        "unknown client, post": token_request(production, {**grant, "client_id": "mgc_nobody", "client_secret": "w"}),
        "wrong secret, post": token_request(production, {**grant, **wrong}),
        "no credentials": token_request(production, grant),
        "basic not utf-8": production.post("/oauth/token", data=grant, headers={"Authorization": "Basic /w==:"}),
        "basic latin-1": production.post(
            "/oauth/token", data=grant, headers={"Authorization": "Basic " + base64.b64encode(b"\xff:\xfe").decode()}
        ),
        "introspection, unknown client": production.post(
            "/oauth/introspect", data={"token": "x"}, auth=("mgc_nobody", "whatever")
        ),
        "introspection, wrong secret": production.post(
            "/oauth/introspect", data={"token": "x"}, auth=(wrong["client_id"], wrong["client_secret"])
        ),
    }
    answers = {name: (r.status_code, r.text, r.headers.get("www-authenticate")) for name, r in attempts.items()}
    body = {"error": "invalid_client", "error_description": "client authentication failed"}
    challenge = 'Basic error="invalid_client", error_description="client authentication failed"'
    assert set(answers.values()) == {(401, json.dumps(body, separators=(",", ":")), challenge)}, answers


@pytest.mark.parametrize(
    "form, error",
    [
        ({"grant_type": "password", "username": "u", "password": "p"}, "unsupported_grant_type"),
        ({"grant_type": "authorization_code", "code": "x"}, "unsupported_grant_type"),
        ({}, "invalid_request"),
    ],
)
def test_only_the_client_credentials_grant_exists(production, reader, form, error):
    response = token_request(production, form, (reader["client_id"], reader["client_secret"]))
    assert response.status_code == 400 and response.json()["error"] == error


def test_malformed_token_requests(production, reader):
    auth = (reader["client_id"], reader["client_secret"])
    repeated = production.post(
        "/oauth/token",
        content=b"grant_type=client_credentials&scope=read&scope=write",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=auth,
    )
    assert repeated.status_code == 400 and repeated.json()["error"] == "invalid_request"
    as_json = production.post("/oauth/token", json={"grant_type": "client_credentials"}, auth=auth)
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
    assert production.get("/oauth/token").status_code == 405


def test_introspection_of_own_and_foreign_tokens(production, reader, admin, neo4j_target):
    token = access_token(production, reader)
    own = production.post(
        "/oauth/introspect", data={"token": token}, auth=(reader["client_id"], reader["client_secret"])
    )
    assert own.status_code == 200
    assert own.json() | {"exp": 0, "iat": 0, "jti": ""} == {
        "active": True,
        "token_type": "Bearer",
        "scope": "read",
        "client_id": reader["client_id"],
        "sub": reader["client_id"],
        "aud": "maestro-graph",
        "iss": "http://127.0.0.1:8000",
        "exp": 0,
        "iat": 0,
        "jti": "",
    }
    # Another client may not learn about this token; an admin client may.
    other = register_client(neo4j_target, "other", "read")
    foreign = production.post(
        "/oauth/introspect", data={"token": token}, auth=(other["client_id"], other["client_secret"])
    )
    assert foreign.json() == {"active": False}
    by_admin = production.post(
        "/oauth/introspect", data={"token": token}, auth=(admin["client_id"], admin["client_secret"])
    )
    assert by_admin.json()["active"] is True
    garbage = production.post(
        "/oauth/introspect", data={"token": "not-a-token"}, auth=(admin["client_id"], admin["client_secret"])
    )
    assert garbage.json() == {"active": False}
    anonymous = production.post("/oauth/introspect", data={"token": token})
    assert anonymous.status_code == 401


def test_revoked_token_is_refused_everywhere(production, reader, graph):
    token = access_token(production, reader)
    auth = (reader["client_id"], reader["client_secret"])
    assert data(production, QUERY, **bearer(token))
    assert production.post("/oauth/revoke", data={"token": token}, auth=auth).status_code == 200
    refused = production.post("/graphql", json={"query": QUERY}, **bearer(token))
    assert refused.status_code == 401 and "revoked" in refused.json()["errors"][0]["message"]
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]
    assert production.post("/oauth/introspect", data={"token": token}, auth=auth).json() == {"active": False}
    # Revoking again, or revoking garbage, is not an error (RFC 7009 §2.2).
    assert production.post("/oauth/revoke", data={"token": token}, auth=auth).status_code == 200
    assert production.post("/oauth/revoke", data={"token": "garbage"}, auth=auth).status_code == 200
    events = graph.execute_query("MATCH (e:AuditEvent {action: 'oauth.revokeToken'}) RETURN e.client_id AS c").records
    assert [r["c"] for r in events] == [reader["client_id"]]


def test_a_client_cannot_revoke_another_clients_token(production, reader, neo4j_target):
    token = access_token(production, reader)
    other = register_client(neo4j_target, "intruder", "read")
    response = production.post(
        "/oauth/revoke", data={"token": token}, auth=(other["client_id"], other["client_secret"])
    )
    assert response.status_code == 400
    assert data(production, QUERY, **bearer(token))  # still good


def test_revoked_client_gets_no_tokens_and_its_tokens_stop(production, neo4j_target):
    doomed = register_client(neo4j_target, "doomed", "read")
    token = access_token(production, doomed)
    assert data(production, QUERY, **bearer(token))
    result = CliRunner().invoke(_cli(), ["oauth", "revoke-client", doomed["client_id"]])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["revoked_at"]
    assert production.post("/graphql", json={"query": QUERY}, **bearer(token)).status_code == 401
    again = token_request(
        production, {"grant_type": "client_credentials"}, (doomed["client_id"], doomed["client_secret"])
    )
    assert again.status_code == 401 and again.json()["error"] == "invalid_client"


def _cli():
    from maestro_graph.cli import app

    return app


def test_cli_create_and_list_clients(production, graph):
    runner = CliRunner()
    graph.execute_query("MERGE (:Person {id: 'cli-person'})")
    created = runner.invoke(
        _cli(), ["oauth", "create-client", "ci sync", "--scope", "read write", "--person", "cli-person"]
    )
    assert created.exit_code == 0, created.output
    credentials = json.loads(created.stdout)
    assert set(credentials) == {"client_id", "client_secret"}
    assert data(production, "{ projects { totalCount } }", **bearer(access_token(production, credentials, "write")))
    listed = json.loads(runner.invoke(_cli(), ["oauth", "list-clients"]).stdout)
    mine = next(c for c in listed if c["client_id"] == credentials["client_id"])
    assert mine["name"] == "ci sync" and mine["scopes"] == ["read", "write"] and mine["person_id"] == "cli-person"
    assert not any("secret" in key for client in listed for key in client)
    stored = graph.execute_query(
        "MATCH (c:OAuthClient {client_id: $id}) RETURN c.secret_hash AS h", id=credentials["client_id"]
    ).records[0]["h"]
    assert credentials["client_secret"] not in stored and stored.startswith("sha256:")
    for bad in (
        ["oauth", "create-client", "x", "--scope", "root"],
        ["oauth", "create-client", "x", "--scope", ""],
        ["oauth", "create-client", "x", "--person", "nobody-here"],
    ):
        assert runner.invoke(_cli(), bad).exit_code == 2
    assert runner.invoke(_cli(), ["oauth", "revoke-client", "mgc_unknown"]).exit_code == 1


def test_key_rotation_keeps_old_tokens_valid(production, reader, neo4j_target):
    before = access_token(production, reader)
    old_kid = jwt.decode(before, KeySet.import_key_set(production.get("/.well-known/jwks.json").json())).header["kid"]
    rotated = CliRunner().invoke(_cli(), ["oauth", "rotate-key"])
    assert rotated.exit_code == 0, rotated.output
    new_kid = json.loads(rotated.stdout)["kid"]
    assert json.loads(rotated.stdout)["retired"] == old_kid
    # This replica still signs with its cached key until the cache ages out; a fresh one
    # (another replica) signs with the new key, and every replica accepts both.
    with make_client(neo4j_target, profile="production", peer="203.0.113.8") as replica:
        after = access_token(replica, reader)
        assert (
            jwt.decode(after, KeySet.import_key_set(replica.get("/.well-known/jwks.json").json())).header["kid"]
            == new_kid
        )
        assert {k["kid"] for k in replica.get("/.well-known/jwks.json").json()["keys"]} >= {old_kid, new_kid}
        assert data(replica, QUERY, **bearer(before))
    # The first replica has never seen the new kid: it rereads the keys instead of refusing.
    assert data(production, QUERY, **bearer(after))
    assert data(production, QUERY, **bearer(before))


def test_token_endpoint_is_rate_limited_per_address(graph, neo4j_target, reader):
    with make_client(neo4j_target, profile="production", peer="198.51.100.9", oauth_requests_per_minute=3) as limited:
        statuses = [
            token_request(
                limited, {"grant_type": "client_credentials"}, (reader["client_id"], reader["client_secret"])
            ).status_code
            for _ in range(5)
        ]
        assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
        assert int(token_request(limited, {}).headers["retry-after"]) >= 1


def test_graphql_without_a_token_in_production(production):
    response = production.post("/graphql", json={"query": QUERY})
    assert response.status_code == 401 and response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert response.headers["www-authenticate"].startswith("Bearer")
    basic = production.post("/graphql", json={"query": QUERY}, headers={"Authorization": "Basic YTpi"})
    assert basic.status_code == 401 and 'error="invalid_request"' in basic.headers["www-authenticate"]
