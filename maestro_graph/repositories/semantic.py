"""Vector search over node embeddings, similar projects, and fusion with full-text search."""

from __future__ import annotations

from typing import Any

import neo4j

from maestro_graph.db.graph import fetch
from maestro_graph.repositories import listing
from maestro_graph.repositories.nodes import public_properties

VECTOR_INDEXES = {"Project": "project_embedding", "Artifact": "artifact_embedding"}

# Every vector search asks the index for this many candidates per hit it answers with and keeps
# the best by the exact cosine of their stored vectors. The index ranks by quantised vectors
# over an approximate graph: its own top 10 held 0.895 of the exact top 10 on debian-bullseye's
# project texts, the best 10 of 30 candidates 0.979, for 0.6 ms more per query
# (`python bench/vector_index.py`). The scores are the exact ones, in the index's [0, 1] scale.
CANDIDATES_PER_HIT = 3


def _best_by_exact_cosine(vector: str) -> str:
    """The Cypher that orders the candidate `node`s by exact cosine to `vector` and keeps $k."""
    return f"""WITH node, vector.similarity.cosine(node.embedding, {vector}) AS score
ORDER BY score DESC, node.id
LIMIT $k"""


_VECTOR_SEARCH = f"""
CALL db.index.vector.queryNodes($index, $candidates, $vector) YIELD node
WITH node WHERE $artifact_kinds IS NULL OR NOT node:Artifact OR node.kind IN $artifact_kinds
{_best_by_exact_cosine("$vector")}
RETURN $label AS label, {public_properties("node")} AS node, score
"""

SIMILAR_PROJECTS = f"""
UNWIND $ids AS id
MATCH (p:Project {{id: id}}) WHERE p.embedding IS NOT NULL
CALL (p) {{
  CALL db.index.vector.queryNodes('project_embedding', $candidates, p.embedding) YIELD node
  WITH node WHERE node <> p
  {_best_by_exact_cosine("p.embedding")}
  RETURN collect({{node: {public_properties("node")}, score: score}}) AS similar
}}
RETURN id, similar
"""

SIMILAR_TO_VECTOR = f"""
CALL db.index.vector.queryNodes('project_embedding', $candidates, $vector) YIELD node
WITH node WHERE NOT node.id IN $exclude
{_best_by_exact_cosine("$vector")}
RETURN {public_properties("node")} AS node, score
"""


async def vector_search(
    tx: neo4j.AsyncManagedTransaction, vector: list[float], labels: list[str], artifact_kinds: list[str] | None, k: int
) -> list[dict[str, Any]]:
    hits = []
    for label in labels:
        if label in VECTOR_INDEXES:
            hits += await fetch(
                tx,
                _VECTOR_SEARCH,
                index=VECTOR_INDEXES[label],
                candidates=CANDIDATES_PER_HIT * k,
                k=k,
                vector=vector,
                label=label,
                artifact_kinds=artifact_kinds,
            )
    hits.sort(key=lambda hit: (-hit["score"], hit["node"]["id"]))
    return hits[:k]


def fuse_ranks(*rankings: list[dict[str, Any]], k: int, constant: int = 60) -> list[dict[str, Any]]:
    """Reciprocal rank fusion: each list adds 1/(constant + rank) to a node's score.

    Full-text (BM25) and cosine scores are on different scales; ranks are not, which is
    why fusion uses ranks only.
    """
    fused: dict[tuple[str, str], dict[str, Any]] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            key = (hit["label"], hit["node"]["id"])
            entry = fused.setdefault(key, {"label": hit["label"], "node": hit["node"], "score": 0.0})
            entry["score"] += 1.0 / (constant + rank)
    ordered = sorted(fused.values(), key=lambda hit: (-hit["score"], hit["node"]["id"]))
    return ordered[:k]


async def hybrid_search(
    tx: neo4j.AsyncManagedTransaction,
    text: str,
    vector: list[float],
    labels: list[str],
    artifact_kinds: list[str] | None,
    k: int,
) -> list[dict[str, Any]]:
    depth = max(k * 3, 30)  # look deeper than k in each list so fusion has material
    lexical = await listing.search(tx, text, labels, artifact_kinds, depth)
    semantic = await vector_search(tx, vector, labels, artifact_kinds, depth)
    return fuse_ranks(lexical, semantic, k=k)


async def similar_projects(tx: neo4j.AsyncManagedTransaction, ids: list[str], k: int) -> dict[str, list[dict]]:
    # The project itself is its own nearest candidate, so the index is asked for one hit more.
    rows = await fetch(tx, SIMILAR_PROJECTS, ids=ids, k=k, candidates=CANDIDATES_PER_HIT * (k + 1))
    return {row["id"]: row["similar"] for row in rows}


async def projects_near(
    tx: neo4j.AsyncManagedTransaction, vector: list[float], k: int, exclude: list[str]
) -> list[dict]:
    return await fetch(
        tx, SIMILAR_TO_VECTOR, vector=vector, k=k, candidates=CANDIDATES_PER_HIT * (k + len(exclude)), exclude=exclude
    )
