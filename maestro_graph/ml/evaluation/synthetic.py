"""Small synthetic usage graphs with planted structure, for tests and quick checks.

Projects, artifacts and people belong to communities; projects mostly use
artifacts and recruit people of their own community. Every artifact has a
hidden quality; a project's chance of removal falls with the mean quality of
the artifacts it uses. A model that learns anything real should recover the
communities (link tasks) and the qualities (outcome, impact).
"""

from __future__ import annotations

import numpy as np

from maestro_graph.ml.usage_graph import UsageGraph


def planted_graph(
    seed: int = 0, n_projects: int = 600, n_artifacts: int = 240, n_people: int = 90, communities: int = 4
) -> tuple[UsageGraph, np.ndarray]:
    """The graph and the planted artifact quality (higher = projects survive more)."""
    rng = np.random.default_rng(seed)
    art_comm = rng.integers(0, communities, n_artifacts)
    quality = rng.normal(0.0, 1.0, n_artifacts)
    proj_comm = rng.integers(0, communities, n_projects)
    person_comm = rng.integers(0, communities, n_people)
    is_team = np.zeros(n_people, dtype=bool)
    is_team[:communities] = True
    person_comm[:communities] = np.arange(communities)

    uses, members = set(), set()
    for p in range(n_projects):
        own = np.flatnonzero(art_comm == proj_comm[p])
        for _ in range(rng.integers(4, 9)):
            pool = own if rng.random() < 0.85 else np.arange(n_artifacts)
            uses.add((p, int(rng.choice(pool))))
        people = np.flatnonzero((person_comm == proj_comm[p]) & ~is_team)
        for h in rng.choice(people, size=min(len(people), int(rng.integers(2, 4))), replace=False):
            members.add((int(h), p))
        if rng.random() < 0.3:
            members.add((int(proj_comm[p]), p))
    uses_arr = np.array(sorted(uses), dtype=np.int64)
    mean_quality = np.zeros(n_projects)
    np.add.at(mean_quality, uses_arr[:, 0], quality[uses_arr[:, 1]])
    mean_quality /= np.bincount(uses_arr[:, 0], minlength=n_projects)
    removal = 1.0 / (1.0 + np.exp(-(-1.5 - 4.0 * mean_quality)))
    success = (rng.random(n_projects) >= removal).astype(float)
    success[rng.random(n_projects) < 0.05] = np.nan  # some outcomes unknown

    words = ["alpha", "beta", "gamma", "delta", "omega", "sigma"]
    graph = UsageGraph(
        project_ids=[f"p{i}" for i in range(n_projects)],
        artifact_ids=[f"a{i}" for i in range(n_artifacts)],
        person_ids=[f"h{i}" for i in range(n_people)],
        project_text=[f"project {i}: tool for {words[c % len(words)]}" for i, c in enumerate(proj_comm)],
        artifact_text=[f"artifact {i}: library for {words[c % len(words)]}" for i, c in enumerate(art_comm)],
        project_section=[f"s{c}" for c in proj_comm],
        project_tags=[f"topic::{words[c % len(words)]}" for c in proj_comm],
        artifact_section=[f"s{c}" for c in art_comm],
        artifact_kind=["library"] * n_artifacts,
        person_is_team=is_team,
        uses=uses_arr,
        members=np.array(sorted(members), dtype=np.int64),
        success=success,
    )
    return graph, quality
