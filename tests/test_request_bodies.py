"""A body /graphql cannot take is the caller's mistake: HTTP 400 with a GraphQL error body and
a code, in every profile, never a 500."""

from __future__ import annotations

import json

import pytest
from conftest import access_token, bearer, data, register_client

JSON = {"Content-Type": "application/json"}

BAD_BODIES = {
    "a JSON string": b'"x"',
    "a JSON number": b"42",
    "JSON true": b"true",
    "JSON null": b"null",
    "bytes that are not UTF-8": b'{"query": "{ __typename \xff\xfe }"}',
    "UTF-16": '{"query": "{ __typename }"}'.encode("utf-16"),
    "not JSON": b'{"query": ',
    "nested too deeply": b"[" * 50_000 + b"]" * 50_000,
    "an empty array": b"[]",
    "a batch": json.dumps([{"query": "{ __typename }"}] * 2).encode(),
    "a query that is not a string": json.dumps({"query": 1}).encode(),
    "no query": json.dumps({"variables": {}}).encode(),
    "variables that are not an object": json.dumps({"query": "{ __typename }", "variables": [1]}).encode(),
    "variables that are a string": json.dumps({"query": "{ __typename }", "variables": "x"}).encode(),
    "an operation name that is not a string": json.dumps({"query": "{ __typename }", "operationName": 5}).encode(),
    "an operation name that is an object": json.dumps({"query": "{ __typename }", "operationName": {}}).encode(),
    "extensions that are not an object": json.dumps({"query": "{ __typename }", "extensions": 1}).encode(),
}


def assert_bad_request(response) -> None:
    assert response.status_code == 400, response.text
    errors = response.json()["errors"]
    assert len(errors) == 1 and errors[0]["message"]
    assert errors[0]["extensions"]["code"] == "BAD_REQUEST"
    assert "Traceback" not in response.text


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_a_body_that_is_not_a_graphql_request_gets_400(client, body):
    assert_bad_request(client.post("/graphql", content=body, headers=JSON))


@pytest.mark.parametrize("body", [b'"x"', b"\xff", b"null"], ids=["a JSON string", "not UTF-8", "JSON null"])
def test_the_same_in_production(production, neo4j_target, body):
    token = access_token(production, register_client(neo4j_target, "bodies", "read"))
    assert_bad_request(production.post("/graphql", content=body, headers={**JSON, **bearer(token)["headers"]}))


def test_the_messages_say_what_is_wrong(client):
    def message(body: bytes) -> str:
        return client.post("/graphql", content=body, headers=JSON).json()["errors"][0]["message"]

    assert "UTF-8" in message(b"\xff")
    assert "JSON object" in message(b'"x"')
    assert "operationName" in message(json.dumps({"query": "{ __typename }", "operationName": 5}).encode())
    assert "nested too deeply" in message(b"[" * 50_000)


def test_a_good_request_is_served_as_before(client):
    body = {"query": "query Named { __typename }", "variables": None, "operationName": "Named"}
    response = client.post("/graphql", content=json.dumps(body).encode(), headers=JSON)
    assert response.status_code == 200 and response.json()["data"] == {"__typename": "Query"}
    assert data(client, "{ __typename }") == {"__typename": "Query"}
