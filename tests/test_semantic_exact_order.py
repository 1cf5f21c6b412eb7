"""Vector searches answer with the index's candidates ordered by the exact cosine of their stored
vectors: scores are exact, order follows them, filters apply before the cut to k."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from maestro_graph.db.connection import open_async_driver
from maestro_graph.db.graph import GraphDB
from maestro_graph.repositories import semantic

WIDTH = 384  # the vector indexes' dimensions (cypher/migrations/0003_vector_indexes.cypher)


def unit(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector)


def index_score(a: np.ndarray, b: np.ndarray) -> float:
    """Neo4j's cosine similarity as the index and `vector.similarity.cosine` scale it: (1 + cos) / 2."""
    return float((1.0 + unit(a) @ unit(b)) / 2.0)


@pytest.fixture(scope="module")
def vectors(graph):
    rng = np.random.default_rng(7)
    query = unit(rng.standard_normal(WIDTH))
    # Projects at graded distances from the query, so the exact order is known; artifacts of two kinds.
    projects = {f"p{i}": unit(query + (0.2 + 0.15 * i) * unit(rng.standard_normal(WIDTH))) for i in range(12)}
    artifacts = {
        f"a{i}": (unit(query + (0.2 + 0.15 * i) * unit(rng.standard_normal(WIDTH))), "model" if i % 2 else "dataset")
        for i in range(8)
    }
    rows = [{"id": key, "vector": vector.astype(np.float32).tolist()} for key, vector in projects.items()]
    graph.execute_query(
        "UNWIND $rows AS row CREATE (n:Project {id: row.id, name: row.id}) "
        "WITH n, row CALL db.create.setNodeVectorProperty(n, 'embedding', row.vector)",
        rows=rows,
    )
    rows = [
        {"id": key, "kind": kind, "vector": vector.astype(np.float32).tolist()}
        for key, (vector, kind) in artifacts.items()
    ]
    graph.execute_query(
        "UNWIND $rows AS row CREATE (n:Artifact {id: row.id, name: row.id, kind: row.kind}) "
        "WITH n, row CALL db.create.setNodeVectorProperty(n, 'embedding', row.vector)",
        rows=rows,
    )
    graph.execute_query("CALL db.awaitIndexes(120)")
    return query, projects, {key: vector for key, (vector, _) in artifacts.items()}, dict(artifacts)


def run(neo4j_target, work):
    async def go():
        db = GraphDB(open_async_driver(neo4j_target, max_pool_size=2), neo4j_target.database)
        try:
            return await db.read(work)
        finally:
            await db.close()

    return asyncio.run(go())


def stored(vector: np.ndarray) -> np.ndarray:
    return vector.astype(np.float32).astype(np.float64)


def test_search_scores_are_exact_and_ordered(vectors, neo4j_target):
    query, projects, _, _ = vectors
    hits = run(neo4j_target, lambda tx: semantic.vector_search(tx, query.tolist(), ["Project"], None, 5))
    expected = sorted(projects, key=lambda key: -index_score(query, stored(projects[key])))[:5]
    assert [hit["node"]["id"] for hit in hits] == expected
    for hit in hits:
        assert hit["score"] == pytest.approx(index_score(query, stored(projects[hit["node"]["id"]])), abs=1e-5)


def test_kind_filter_applies_before_the_cut(vectors, neo4j_target):
    query, _, artifact_vectors, artifacts = vectors
    hits = run(neo4j_target, lambda tx: semantic.vector_search(tx, query.tolist(), ["Artifact"], ["model"], 3))
    models = [key for key, (_, kind) in artifacts.items() if kind == "model"]
    expected = sorted(models, key=lambda key: -index_score(query, stored(artifact_vectors[key])))[:3]
    assert [hit["node"]["id"] for hit in hits] == expected


def test_similar_projects_leave_the_project_out_and_follow_exact_scores(vectors, neo4j_target):
    _, projects, _, _ = vectors
    similar = run(neo4j_target, lambda tx: semantic.similar_projects(tx, ["p0"], 4))["p0"]
    others = [key for key in projects if key != "p0"]
    source = stored(projects["p0"])
    expected = sorted(others, key=lambda key: -index_score(source, stored(projects[key])))[:4]
    assert [entry["node"]["id"] for entry in similar] == expected
    assert [entry["score"] for entry in similar] == sorted((entry["score"] for entry in similar), reverse=True)


def test_projects_near_excludes_and_answers_k(vectors, neo4j_target):
    query, projects, _, _ = vectors
    nearest = sorted(projects, key=lambda key: -index_score(query, stored(projects[key])))
    rows = run(neo4j_target, lambda tx: semantic.projects_near(tx, query.tolist(), 3, [nearest[0]]))
    assert [row["node"]["id"] for row in rows] == nearest[1:4]
