"""Private signing keys at rest: sealed in the graph, nowhere in Neo4j's files in clear, keys
stored in clear before sealing retired; the data folder private to its owner."""

from __future__ import annotations

import json
import mmap
import os
import stat
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import (
    TEST_DATA_DIR,
    access_token,
    bearer,
    claims_for,
    data,
    make_client,
    register_client,
)
from cryptography.fernet import Fernet
from joserfc import jws, jwt
from joserfc.jwk import RSAKey

from maestro_graph.config import Settings
from maestro_graph.data_dir import DataDirError, ensure_private
from maestro_graph.secret_box import KEY_FILE, SecretBox, SecretUnreadable

QUERY = "{ projects { totalCount } }"
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


def kid_of(token: str) -> str:
    return jws.extract_compact(token.encode()).headers()["kid"]


def signing_nodes(graph) -> list[dict]:
    return [record["k"] for record in graph.execute_query("MATCH (k:SigningKey) RETURN properties(k) AS k").records]


def active_private_key(graph) -> RSAKey:
    (node,) = [node for node in signing_nodes(graph) if node.get("active_slot")]
    box = SecretBox.from_settings(Settings(data_dir=TEST_DATA_DIR))
    return RSAKey.import_key(json.loads(box.open(node["private_jwk_sealed"])))


@pytest.fixture(scope="module")
def issued(production, graph, neo4j_target) -> dict:
    """A token issued by the server, and the private key it was signed with."""
    reader = register_client(neo4j_target, "key-storage", "read")
    return {"token": access_token(production, reader), "key": active_private_key(graph), "reader": reader}


def test_the_graph_holds_the_private_key_only_sealed(issued, graph):
    key = issued["key"]
    jwt.decode(issued["token"], key, algorithms=["RS256"])  # the sealed key is the one that signs
    nodes = signing_nodes(graph)
    stored = json.dumps(nodes, default=str)
    for member in PRIVATE_MEMBERS:
        assert key.as_dict(private=True)[member] not in stored
    for node in nodes:
        assert not PRIVATE_MEMBERS & set(json.loads(node["public_jwk"])) and "jwk" not in node
    (active,) = [node for node in nodes if node.get("active_slot")]
    with pytest.raises(SecretUnreadable):
        SecretBox(Fernet.generate_key()).open(active["private_jwk_sealed"])


def _managed_store(neo4j_target) -> Path:
    home = TEST_DATA_DIR / "neo4j"
    try:
        state = json.loads((home / "state.json").read_text())
    except OSError:
        pytest.skip("the tests' Neo4j is not the managed one under the test data dir")
    if urlparse(neo4j_target.uri).port != state["bolt_port"]:
        pytest.skip("the tests' Neo4j is not the managed one under the test data dir")
    return home / "data"


def _found_in_files(folder: Path, text: str) -> list[str]:
    """Files of the `neo4j` database (store and transaction logs) holding any 40-character
    piece of `text` (aligned at multiples of 40). Neo4j splits a long string into records of
    120 bytes, so a value of 240 characters or more leaves at least one whole piece in one
    record."""
    pieces = [text[i : i + 40].encode() for i in range(0, len(text) - 39, 40)]
    found = []
    for path in (path for part in ("databases/neo4j", "transactions/neo4j") for path in (folder / part).rglob("*")):
        if not path.is_file() or path.stat().st_size == 0 or path.name.endswith("lock"):
            continue
        with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as content:
            if any(content.find(piece) >= 0 for piece in pieces):
                found.append(str(path.relative_to(folder)))
    return found


def test_neo4j_files_hold_no_private_key_in_clear(issued, graph, neo4j_target):
    store = _managed_store(neo4j_target)
    # A value written in clear the same way, as a check that the scan finds what is there. A
    # commit is in the transaction log at once; the store files get it at the next checkpoint
    # (Community has no procedure to force one), so they are scanned for whatever they hold.
    marker = uuid.uuid4().hex * 10
    graph.execute_query("CREATE (:KeyStorageMarker {value: $value})", value=marker)
    try:
        assert _found_in_files(store, marker), "the scan does not see values written to this Neo4j"
        key = issued["key"].as_dict(private=True)
        assert len(key["d"]) >= 240
        assert _found_in_files(store, key["d"]) == []
    finally:
        graph.execute_query("MATCH (m:KeyStorageMarker) DELETE m")


def test_a_replica_with_another_sealing_key_verifies_but_cannot_sign(issued, neo4j_target):
    with make_client(
        neo4j_target, profile="production", peer="203.0.113.61", integration_secrets_key=Fernet.generate_key().decode()
    ) as replica:
        assert data(replica, QUERY, **bearer(issued["token"]))
        refused = replica.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(issued["reader"]["client_id"], issued["reader"]["client_secret"]),
        )
        assert refused.status_code == 500
        assert refused.json() == {
            "error": "server_error",
            "error_description": "this server cannot sign tokens at present",
        }


def _legacy_key(graph, active: bool) -> RSAKey:
    """A key as it was stored before sealing: the private JWK in clear in `jwk`."""
    key = RSAKey.generate_key(2048, parameters={"alg": "RS256", "use": "sig"}, auto_kid=True)
    graph.execute_query(
        "CREATE (k:SigningKey {kid: $kid, jwk: $jwk, created_at: datetime()}) "
        "SET k.active_slot = CASE WHEN $active THEN 'active' END, "
        "    k.retired_at = CASE WHEN $active THEN null ELSE datetime() END",
        kid=key.kid,
        jwk=json.dumps(key.as_dict(private=True)),
        active=active,
    )
    return key


def test_keys_stored_in_clear_are_retired_and_their_tokens_still_verify(graph, neo4j_target):
    graph.execute_query("MATCH (k:SigningKey) DELETE k")
    retired, active = _legacy_key(graph, active=False), _legacy_key(graph, active=True)
    reader = register_client(neo4j_target, "legacy-reader", "read")
    claims = claims_for(reader["client_id"])
    old_tokens = [
        jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": key.kid}, claims, key) for key in (retired, active)
    ]
    with make_client(neo4j_target, profile="production", peer="203.0.113.60") as replica:
        for token in old_tokens:
            assert data(replica, QUERY, **bearer(token))
        new_token = access_token(replica, reader)
    assert kid_of(new_token) not in (retired.kid, active.kid)
    nodes = {node["kid"]: node for node in signing_nodes(graph)}
    for key in (retired, active):
        node = nodes[key.kid]
        assert "jwk" not in node and "private_jwk_sealed" not in node and "active_slot" not in node
        assert node["retired_at"] and json.loads(node["public_jwk"]) == key.as_dict(private=False)
    assert key.as_dict(private=True)["d"] not in json.dumps(list(nodes.values()), default=str)
    assert active_private_key(graph).kid == kid_of(new_token)


# --- the data folder --------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_folder_is_made_private(tmp_path):
    fresh = tmp_path / "a" / "data"
    assert ensure_private(fresh) == fresh and mode(fresh) == 0o700
    loose = tmp_path / "loose"
    loose.mkdir()
    os.chmod(loose, 0o755)
    ensure_private(loose)
    assert mode(loose) == 0o700


def test_a_shared_folder_is_refused_not_tightened(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    with pytest.raises(DataDirError, match="shared"):
        ensure_private(shared)
    assert mode(shared) == 0o1777


def test_the_generated_sealing_key_is_private(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    os.chmod(data_dir, 0o755)
    box = SecretBox.from_settings(Settings(data_dir=data_dir, integration_secrets_key=None))
    assert mode(data_dir) == 0o700 and mode(data_dir / KEY_FILE) == 0o600
    assert SecretBox.from_settings(Settings(data_dir=data_dir, integration_secrets_key=None)).open(box.seal("x")) == "x"
