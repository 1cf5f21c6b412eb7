"""Answering recommendation requests from what training stored in the graph.

No model runs here: warm projects read their precomputed RECOMMENDED / SUGGESTED
edges of the active model version. A project that training never saw (cold start)
is placed by its text embedding among similar projects, and their artifacts and
people are ranked by that similarity; the answer says it was a cold start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anyio

from maestro_graph.db.graph import GraphDB
from maestro_graph.ml.text_embedding import node_text, query_embedder
from maestro_graph.repositories import cold_start, predictions, semantic

COLD_START_NEIGHBOURS = 10


@dataclass
class Recommendation:
    node: dict[str, Any]
    score: float
    model_version: str | None
    cold_start: bool = False
    because: list[tuple[str, dict]] = field(default_factory=list)  # (label, node)


class ProjectNotFound(LookupError):
    pass


async def embed_text(text: str) -> list[float]:
    """The query vector of `text`, computed off the event loop (the encoder is CPU work)."""
    embedder = query_embedder()
    vectors = await anyio.to_thread.run_sync(embedder, [text])
    return [float(x) for x in vectors[0]]


async def _state(db: GraphDB, project_id: str) -> dict:
    async def work(tx):
        return await cold_start.project_state(tx, project_id)

    state = await db.read(work)
    if state is None or (state["name"] is None and state["description"] is None and not state["uses"]):
        raise ProjectNotFound(project_id)
    return state


async def _neighbours(db: GraphDB, project_id: str, state: dict) -> list[dict]:
    """Projects most similar in text to this one: [{id, score}], itself excluded."""
    vector = state["embedding"] or await embed_text(node_text(state["name"], state["description"]))

    async def work(tx):
        return await semantic.projects_near(tx, list(vector), COLD_START_NEIGHBOURS, [project_id])

    rows = await db.read(work)
    return [{"id": row["node"]["id"], "score": row["score"]} for row in rows[:COLD_START_NEIGHBOURS]]


async def recommend_artifacts(db: GraphDB, project_id: str, k: int) -> list[Recommendation]:
    async def warm(tx):
        return await predictions.recommended_artifacts(tx, project_id, k)

    rows = await db.read(warm)
    if rows:
        return [
            Recommendation(r["node"], r["score"], r["version"], False, [("Artifact", b) for b in r["because"]])
            for r in rows
        ]
    state = await _state(db, project_id)
    neighbours = await _neighbours(db, project_id, state)

    async def cold(tx):
        return await cold_start.neighbour_artifacts(tx, neighbours, k + len(state["uses"]))

    used = set(state["uses"])
    by_id = {n["id"]: n for n in neighbours}
    answers = []
    for row in await db.read(cold):
        if row["node"]["id"] in used:
            continue
        answers.append(
            Recommendation(
                row["node"], row["score"], None, True, [("Project", {"id": pid, **by_id[pid]}) for pid in row["via"]]
            )
        )
    return answers[:k]


async def recommend_team(db: GraphDB, project_id: str, k: int) -> list[Recommendation]:
    async def warm(tx):
        return await predictions.suggested_people(tx, project_id, k)

    rows = await db.read(warm)
    if rows:
        return [Recommendation(r["node"], r["score"], r["version"]) for r in rows]
    state = await _state(db, project_id)
    neighbours = await _neighbours(db, project_id, state)

    async def cold(tx):
        return await cold_start.neighbour_people(tx, neighbours, k + len(state["members"]))

    members = set(state["members"])
    answers = [
        Recommendation(r["node"], r["score"], None, True) for r in await db.read(cold) if r["node"]["id"] not in members
    ]
    return answers[:k]


@dataclass
class TeamChoice:
    members: list[Recommendation]
    marginal_gains: list[float]
    coverage: float
    covered: list[str]
    needed: list[str]
    pairs_worked_together: int
    objective: float


# Weights of the composition objective (documented in the README).
COVERAGE_WEIGHT = 1.0
COHESION_WEIGHT = 0.5
CANDIDATES = 30


def choose_team(
    scores: dict[str, float], knows: dict[str, set[str]], worked_with: dict[str, set[str]], needed: set[str], size: int
) -> tuple[list[str], list[float]]:
    """Greedy maximisation of  sum(score) + COVERAGE_WEIGHT * coverage + COHESION_WEIGHT * cohesion.

    score: link score scaled to [0, 1] by the best candidate; coverage: share of the
    needed artifacts some chosen member has worked with; cohesion: share of chosen pairs
    who have shared a project. Each step adds the candidate with the largest gain.
    """
    top = max(scores.values(), default=1.0) or 1.0
    chosen: list[str] = []
    gains: list[float] = []
    covered: set[str] = set()
    while len(chosen) < size:
        best, best_gain = None, float("-inf")
        for person in sorted(scores):
            if person in chosen:
                continue
            new = knows.get(person, set()) - covered
            coverage_gain = len(new) / len(needed) if needed else 0.0
            cohesion_gain = len(worked_with.get(person, set()) & set(chosen)) / max(1, len(chosen))
            gain = scores[person] / top + COVERAGE_WEIGHT * coverage_gain + COHESION_WEIGHT * cohesion_gain
            if gain > best_gain:
                best, best_gain = person, gain
        if best is None:
            break
        chosen.append(best)
        gains.append(best_gain)
        covered |= knows.get(best, set())
    return chosen, gains


async def compose_team(db: GraphDB, project_id: str, size: int) -> TeamChoice:
    candidates = await recommend_team(db, project_id, CANDIDATES)
    recommended = await recommend_artifacts(db, project_id, 10)

    async def work(tx):
        needed = set(await predictions.project_needs(tx, project_id)) | {r.node["id"] for r in recommended}
        profiles = await predictions.candidate_profiles(tx, [c.node["id"] for c in candidates], sorted(needed))
        return needed, profiles

    needed, profiles = await db.read(work)
    by_id = {c.node["id"]: c for c in candidates}
    knows = {pid: set(p["knows"]) for pid, p in profiles.items()}
    worked = {pid: set(p["worked_with"]) for pid, p in profiles.items()}
    chosen, gains = choose_team({pid: max(c.score, 0.0) for pid, c in by_id.items()}, knows, worked, needed, size)
    covered = set().union(*(knows.get(pid, set()) for pid in chosen)) if chosen else set()
    pairs = sum(1 for i, a in enumerate(chosen) for b in chosen[i + 1 :] if b in worked.get(a, set()))
    total_pairs = len(chosen) * (len(chosen) - 1) // 2
    coverage = len(covered) / len(needed) if needed else 0.0
    objective = (
        sum(max(by_id[p].score, 0.0) for p in chosen) / (max((c.score for c in candidates), default=1.0) or 1.0)
        + COVERAGE_WEIGHT * coverage
        + COHESION_WEIGHT * (pairs / total_pairs if total_pairs else 0.0)
    )
    return TeamChoice([by_id[p] for p in chosen], gains, coverage, sorted(covered), sorted(needed), pairs, objective)
