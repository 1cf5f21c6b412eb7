"""Reads run as auto-commit transactions (one Bolt exchange a query) unless
MAESTRO_NEO4J_AUTOCOMMIT_READS is off: the answers are those of managed read transactions,
query for query, and a transient failure is retried in a managed transaction."""

from __future__ import annotations

import asyncio

import neo4j
import pytest
from conftest import gql, make_client
from test_graphql_prefetch import QUERIES, SEED

from maestro_graph.db.connection import open_async_driver
from maestro_graph.db.graph import GraphDB, fetch


@pytest.fixture(scope="module")
def clients(graph, neo4j_target):
    graph.execute_query(SEED, database_=neo4j_target.database)
    with (
        make_client(neo4j_target) as auto,
        make_client(neo4j_target, neo4j_autocommit_reads=False) as managed,
    ):
        yield auto, managed


@pytest.mark.parametrize("name", list(QUERIES))
def test_auto_commit_reads_answer_as_managed_transactions_do(clients, name):
    auto, managed = clients
    query, variables, _ = QUERIES[name]
    first, second = gql(auto, query, variables), gql(managed, query, variables)
    assert "errors" not in first, first
    assert first["data"] == second["data"]
    assert first["extensions"]["cypher"] == second["extensions"]["cypher"]


def test_a_page_and_its_count_in_separate_auto_commit_queries_agree(clients):
    auto, managed = clients
    query = '{ projects(first: 2, filter: {section: "even"}) { totalCount edges { node { id } } } }'
    assert gql(auto, query) == gql(managed, query)


def test_a_transient_failure_is_retried_in_a_managed_transaction(graph, neo4j_target):
    seen: list[str] = []

    async def work(tx) -> int:
        seen.append(type(tx).__name__)
        if len(seen) == 1:
            raise neo4j.exceptions.SessionExpired("the reader went away")
        return (await fetch(tx, "RETURN 41 + 1 AS n"))[0]["n"]

    async def read() -> int:
        db = GraphDB(open_async_driver(neo4j_target, max_pool_size=2), neo4j_target.database, autocommit_reads=True)
        try:
            return await db.read(work)
        finally:
            await db.close()

    assert asyncio.run(read()) == 42
    assert seen == ["_AutoCommit", "AsyncManagedTransaction"]


def test_a_failure_that_is_not_transient_is_not_retried(graph, neo4j_target):
    calls = []

    async def work(tx) -> None:
        calls.append(1)
        await fetch(tx, "RETURN 1 +")  # a syntax error: retrying cannot help

    async def read() -> None:
        db = GraphDB(open_async_driver(neo4j_target, max_pool_size=2), neo4j_target.database, autocommit_reads=True)
        try:
            await db.read(work)
        finally:
            await db.close()

    with pytest.raises(neo4j.exceptions.CypherSyntaxError):
        asyncio.run(read())
    assert calls == [1]
