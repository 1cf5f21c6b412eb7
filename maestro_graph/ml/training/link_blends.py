"""The rankers of the two link tasks (artifacts for a project, people for a project): linear
blends of classic signals, their weights fit on validation queries carved from the graph.

`train` serves `ClassicLinkModel`: the held-out protocol finds the network's score adds no
measurable lift to either blend (`evaluate` prints the blends with and without it, over
seeds), so the served rankers leave the network out and `train` fits no encoder.
`MaestroModel` fits the same blends with the network's score as one more signal, for that
comparison.

The artifact blend ranks a catalogue of the most used artifacts (`signals.ARTIFACT_CATALOGUE`),
the team blend the people in the most projects (`PERSON_CATALOGUE`), fixed numbers: scoring
every project then costs in proportion to the projects, where ranking every artifact and every
person cost projects x artifacts and projects x people.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Self

import numpy as np
import scipy.sparse as sp

from maestro_graph.ml.evaluation import protocol
from maestro_graph.ml.training.blend import LinearBlend, Signal, fit_blend
from maestro_graph.ml.training.signals import (
    ARTIFACT_CATALOGUE,
    PERSON_CATALOGUE,
    artifact_catalogue,
    artifact_signals,
    person_catalogue,
    team_signals,
)
from maestro_graph.ml.training.validation_split import Validation, carve_validation
from maestro_graph.ml.usage_graph import UsageGraph, known_matrix

ARTIFACTS, TEAM = "artifacts", "team"


@dataclass(frozen=True)
class LinkSignals:
    """The ranking signals of each link task, by name, computed from one graph. The artifact
    signals score the artifacts of `catalogue` (its columns, in its order), the team signals
    the people of `people`."""

    artifacts: dict[str, Signal]
    team: dict[str, Signal]
    catalogue: np.ndarray
    people: np.ndarray

    def with_extra(self, artifacts: dict[str, Signal], team: dict[str, Signal]) -> LinkSignals:
        """These signals with others put first (the network's score, say), which must score
        the same catalogue."""
        return LinkSignals({**artifacts, **self.artifacts}, {**team, **self.team}, self.catalogue, self.people)


def classic_signals(
    graph: UsageGraph,
    project_text: np.ndarray,
    artifact_text: np.ndarray,
    without: frozenset[str] = frozenset(),
    catalogue_size: int = ARTIFACT_CATALOGUE,
    people_size: int = PERSON_CATALOGUE,
) -> LinkSignals:
    """Every classic signal of both tasks, but those named in `without` (an ablation's)."""
    catalogue = artifact_catalogue(graph, catalogue_size)
    people = person_catalogue(graph, people_size)
    artifacts = artifact_signals(graph, project_text, artifact_text, catalogue)
    team = team_signals(graph, project_text, people)
    return LinkSignals(
        {name: signal for name, signal in artifacts.items() if name not in without},
        {name: signal for name, signal in team.items() if name not in without},
        catalogue,
        people,
    )


def catalogue_uses(graph: UsageGraph, catalogue: np.ndarray) -> sp.csr_matrix:
    """Projects x catalogue artifacts, 1 where the project uses the artifact."""
    uses = known_matrix(graph.uses, graph.num_projects, graph.num_artifacts)
    return sp.csr_matrix(sp.csc_matrix(uses)[:, catalogue])


def catalogue_members(graph: UsageGraph, people: np.ndarray) -> sp.csr_matrix:
    """Projects x catalogue people, 1 where the person is a member of the project."""
    members = known_matrix(graph.members[:, ::-1], graph.num_projects, graph.num_people)
    return sp.csr_matrix(sp.csc_matrix(members)[:, people])


def widened(scorer: Signal, catalogue: np.ndarray, num_items: int) -> Signal:
    """`scorer` of a catalogue's columns as a scorer of every item (artifact or person): those
    outside the catalogue score -inf, below every ranked one."""

    def score(rows: np.ndarray) -> np.ndarray:
        inner = scorer(rows)
        scores = np.full((inner.shape[0], num_items), -np.inf)
        scores[:, catalogue] = inner
        return scores

    return score


def _catalogue_columns(items: list[np.ndarray], catalogue: np.ndarray, num_items: int) -> list[np.ndarray]:
    """Each array of item indices as the catalogue's columns, items outside it left out."""
    column = np.full(num_items, -1, dtype=np.int64)
    column[catalogue] = np.arange(len(catalogue))
    return [column[group][column[group] >= 0] for group in items]


def fit_link_blends(val: Validation, signals: LinkSignals, seed: int) -> dict[str, LinearBlend]:
    """Both tasks' blend weights, fit on the validation queries of `val`; `signals` must come
    from `val.fit_graph`, the graph with those queries' edges hidden. A hidden item outside its
    catalogue is no positive: it cannot be ranked."""
    graph = val.fit_graph
    hidden_artifacts = _catalogue_columns(val.artifacts.hidden, signals.catalogue, graph.num_artifacts)
    hidden_people = _catalogue_columns([np.array([h]) for h in val.team.hidden], signals.people, graph.num_people)
    return {
        ARTIFACTS: fit_blend(
            signals.artifacts,
            val.artifacts.projects,
            hidden_artifacts,
            catalogue_uses(graph, signals.catalogue),
            seed=seed,
        ),
        TEAM: fit_blend(
            signals.team, val.team.projects, hidden_people, catalogue_members(graph, signals.people), seed=seed
        ),
    }


def link_scorers(blends: dict[str, LinearBlend], signals: LinkSignals, graph: UsageGraph) -> tuple[Signal, Signal]:
    """(artifact scorer, person scorer) of the blends over `signals` of `graph`, scoring the
    columns of their catalogues. Known links score exactly 0.0, so callers that rank must mask
    them."""
    return (
        blends[ARTIFACTS].scorer(signals.artifacts, catalogue_uses(graph, signals.catalogue)),
        blends[TEAM].scorer(signals.team, catalogue_members(graph, signals.people)),
    )


class ClassicLinkModel:
    """The served link rankers. Build, then fit:

        model = ClassicLinkModel(seed=0).fit(graph, project_text, artifact_text)

    and ask it `catalogue_scores(projects)` (or `artifact_scores`) and `person_scores(projects)`.
    """

    blends: dict[str, LinearBlend]
    catalogue: np.ndarray  # the artifacts ranked, as the columns of `catalogue_scores`
    people: np.ndarray  # the people ranked, as the columns of `people_catalogue_scores`
    _num_artifacts: int
    _num_people: int
    _artifact_scorer: Signal
    _person_scorer: Signal

    def __init__(
        self,
        seed: int = 0,
        validation_queries: int = 1000,
        without: frozenset[str] = frozenset(),
        catalogue_size: int = ARTIFACT_CATALOGUE,
        people_size: int = PERSON_CATALOGUE,
    ):
        """`without`: signals left out of the blends, for an ablation (`bench/link_signals.py`);
        `catalogue_size`, `people_size`: how many of the most used artifacts, and of the people
        in the most projects, are ranked."""
        self.seed = seed
        self.validation_queries = validation_queries
        self.without = frozenset(without)
        self.catalogue_size = catalogue_size
        self.people_size = people_size
        self.timings: dict[str, float] = {}
        self._validation: dict[str, float] = {}
        self._is_fitted = False

    def fit(self, graph: UsageGraph, project_text: np.ndarray, artifact_text: np.ndarray) -> Self:
        """Fit both blends on queries carved from `graph`, then score from the whole graph's signals.

        `project_text`, `artifact_text`: one text vector per node (zero columns for none).
        """
        self._is_fitted = False
        started = time.perf_counter()
        val = carve_validation(graph, self.seed, self.validation_queries)
        fit_signals = classic_signals(
            val.fit_graph, project_text, artifact_text, self.without, self.catalogue_size, self.people_size
        )
        self.blends = fit_link_blends(val, fit_signals, self.seed)
        self.timings["blend_s"] = time.perf_counter() - started

        t = time.perf_counter()
        fit_artifacts, fit_people = link_scorers(self.blends, fit_signals, val.fit_graph)
        fit_artifacts = widened(fit_artifacts, fit_signals.catalogue, val.fit_graph.num_artifacts)
        fit_people = widened(fit_people, fit_signals.people, val.fit_graph.num_people)
        self._validation = {
            **protocol.measure_artifacts(val.artifacts, fit_artifacts),
            **protocol.measure_team(val.team, fit_people),
            "artifact_queries": len(val.artifacts.projects),
            "team_queries": len(val.team.projects),
        }
        self.timings["validation_s"] = time.perf_counter() - t

        t = time.perf_counter()
        signals = classic_signals(
            graph, project_text, artifact_text, self.without, self.catalogue_size, self.people_size
        )
        self.catalogue, self.people = signals.catalogue, signals.people
        self._num_artifacts, self._num_people = graph.num_artifacts, graph.num_people
        self._artifact_scorer, self._person_scorer = link_scorers(self.blends, signals, graph)
        self.timings["signals_s"] = time.perf_counter() - t
        self.timings["total_s"] = time.perf_counter() - started
        self._is_fitted = True
        return self

    def validation_figures(self) -> dict[str, float]:
        """The blends' figures on the validation queries their weights were fit on: a few
        weights fit on a thousand queries, so a check that the fit found signal, not a held-out
        measure (that is `evaluate`'s)."""
        self._require_fitted()
        return dict(self._validation)

    def blend_weights(self) -> dict[str, dict[str, float]]:
        self._require_fitted()
        return {task: blend.as_dict() for task, blend in self.blends.items()}

    def _require_fitted(self) -> None:
        if not self._is_fitted:
            raise RuntimeError("the model is not fitted yet: call fit() first")

    def catalogue_scores(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), len(catalogue)) scores of the catalogue's artifacts for the projects
        `rows`; higher ranks first. Artifacts a row already uses score exactly 0.0 (the neutral
        value of a standardised signal), so callers that rank must mask them."""
        self._require_fitted()
        return self._artifact_scorer(np.asarray(rows))

    def artifact_scores(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), n_artifacts): `catalogue_scores` widened to every artifact, those outside
        the catalogue at -inf (never ranked); for the protocol's measures."""
        self._require_fitted()
        return widened(self._artifact_scorer, self.catalogue, self._num_artifacts)(np.asarray(rows))

    def people_catalogue_scores(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), len(people)) scores of the catalogue's people; existing members score 0.0."""
        self._require_fitted()
        return self._person_scorer(np.asarray(rows))

    def person_scores(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), n_people): `people_catalogue_scores` widened to every person, those outside
        the catalogue (people of kind team among them) at -inf."""
        self._require_fitted()
        return widened(self._person_scorer, self.people, self._num_people)(np.asarray(rows))
