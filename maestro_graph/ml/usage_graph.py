"""The in-memory usage graph that every ML step works on.

Nodes are projects, artifacts and people, each addressed by a dense integer
index (their position in the id lists). Edges are (E, 2) int64 arrays of
indices. The same object can be built from a CSV bundle (`from_bundle`) or,
through the plain constructor, from any other source such as Neo4j queries.

Two edge sets may carry one string attribute per edge, aligned with the edge
array: `uses_kind` (e.g. depends / recommends) and `members_role` (e.g.
maintainer / uploader). Both default to empty, meaning "not known"; a source
that has no such attribute simply leaves them out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from maestro_graph.ingest.bundle_files import iter_rows


def edge_array(pairs) -> np.ndarray:
    """Pairs of indices as an (E, 2) int64 array; an empty input gives shape (0, 2)."""
    array = np.asarray(pairs, dtype=np.int64)
    if array.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    return array.reshape(-1, 2)


def known_matrix(edges: np.ndarray, n_rows: int, n_cols: int) -> sp.csr_matrix:
    """Binary CSR matrix of the (row, col) pairs."""
    data = np.ones(len(edges), dtype=np.float32)
    matrix = sp.csr_matrix((data, (edges[:, 0], edges[:, 1])), shape=(n_rows, n_cols))
    matrix.data[:] = 1.0
    return matrix


# The default of `UsageGraph.success`, meaning "no outcome given": replaced by one nan per project.
_NO_OUTCOMES = np.full(0, np.nan)


@dataclass
class UsageGraph:
    project_ids: list[str]
    artifact_ids: list[str]
    person_ids: list[str]
    project_text: list[str]
    artifact_text: list[str]
    project_section: list[str]
    project_tags: list[str]
    artifact_section: list[str]
    artifact_kind: list[str]
    person_is_team: np.ndarray
    uses: np.ndarray  # (project_idx, artifact_idx)
    members: np.ndarray  # (person_idx, project_idx)
    created: np.ndarray = field(default_factory=lambda: edge_array([]))  # (person_idx, artifact_idx)
    derived: np.ndarray = field(default_factory=lambda: edge_array([]))  # (artifact_idx, source_artifact_idx)
    success: np.ndarray = field(default_factory=lambda: _NO_OUTCOMES)  # per project: 1 survived, 0 removed, nan unknown
    uses_kind: list[str] = field(default_factory=list)  # per USES edge, or empty when unknown
    members_role: list[str] = field(default_factory=list)  # per MEMBER_OF edge, or empty when unknown

    def __post_init__(self) -> None:
        self.person_is_team = np.asarray(self.person_is_team, dtype=bool).reshape(-1)
        self.uses = edge_array(self.uses)
        self.members = edge_array(self.members)
        self.created = edge_array(self.created)
        self.derived = edge_array(self.derived)
        if self.success is None or self.success is _NO_OUTCOMES:
            self.success = np.full(self.num_projects, np.nan)
        self.success = np.asarray(self.success, dtype=np.float64).reshape(-1)
        self.uses_kind = list(self.uses_kind)
        self.members_role = list(self.members_role)
        self._check()

    @property
    def num_projects(self) -> int:
        return len(self.project_ids)

    @property
    def num_artifacts(self) -> int:
        return len(self.artifact_ids)

    @property
    def num_people(self) -> int:
        return len(self.person_ids)

    def _check(self) -> None:
        n_p, n_a, n_h = self.num_projects, self.num_artifacts, self.num_people
        for name, length, expected in (
            ("project_text", len(self.project_text), n_p),
            ("project_section", len(self.project_section), n_p),
            ("project_tags", len(self.project_tags), n_p),
            ("artifact_text", len(self.artifact_text), n_a),
            ("artifact_section", len(self.artifact_section), n_a),
            ("artifact_kind", len(self.artifact_kind), n_a),
            ("person_is_team", len(self.person_is_team), n_h),
            ("success", len(self.success), n_p),
        ):
            if length != expected:
                raise ValueError(f"{name} has {length} entries, expected {expected}")
        for name, edges, bounds in (
            ("uses", self.uses, (n_p, n_a)),
            ("members", self.members, (n_h, n_p)),
            ("created", self.created, (n_h, n_a)),
            ("derived", self.derived, (n_a, n_a)),
        ):
            if len(edges) == 0:
                continue
            if (edges.min(axis=0) < 0).any() or (edges.max(axis=0) >= np.asarray(bounds)).any():
                raise ValueError(f"{name} edge index out of range")
        for name, values, edges in (
            ("uses_kind", self.uses_kind, self.uses),
            ("members_role", self.members_role, self.members),
        ):
            if values and len(values) != len(edges):
                raise ValueError(f"{name} has {len(values)} entries, expected 0 or {len(edges)}")

    def with_edges(self, **changes) -> UsageGraph:
        """A copy with some edge arrays or the success vector replaced (node lists are shared).

        When `uses` or `members` is replaced without its attribute list, each kept
        edge keeps the attribute it had here and a new edge gets "" (edges are
        unique pairs, so the pair identifies the attribute).
        """
        for edges_name, attr_name in (("uses", "uses_kind"), ("members", "members_role")):
            if edges_name in changes and attr_name not in changes:
                changes[attr_name] = _carry_attribute(
                    getattr(self, edges_name), getattr(self, attr_name), edge_array(changes[edges_name])
                )
        return replace(self, **changes)

    @classmethod
    def from_bundle(cls, bundle_dir: str | Path) -> UsageGraph:
        """Read a CSV bundle; rows that refer to unknown ids or repeat an edge are skipped.

        Optional `created.csv` (person_id, artifact_id) and `derived.csv`
        (artifact_id, source_artifact_id) are read when present.
        """
        bundle_dir = Path(bundle_dir)
        project_ids, project_text, project_section, project_tags = [], [], [], []
        for row in iter_rows(bundle_dir, "projects", required=("project_id", "name")):
            project_ids.append(row["project_id"])
            project_text.append(_text(row))
            project_section.append(row.get("section", ""))
            project_tags.append(row.get("tags", ""))
        artifact_ids, artifact_text, artifact_section, artifact_kind = [], [], [], []
        for row in iter_rows(bundle_dir, "artifacts", required=("artifact_id", "name")):
            artifact_ids.append(row["artifact_id"])
            artifact_text.append(_text(row))
            artifact_section.append(row.get("section", ""))
            artifact_kind.append(row.get("kind", ""))
        person_ids, person_is_team = [], []
        for row in iter_rows(bundle_dir, "people", required=("person_id",)):
            person_ids.append(row["person_id"])
            person_is_team.append(row.get("kind", "person").lower() == "team")

        project_ids, keep_p = _dedupe(project_ids)
        artifact_ids, keep_a = _dedupe(artifact_ids)
        person_ids, keep_h = _dedupe(person_ids)
        p_index = {pid: i for i, pid in enumerate(project_ids)}
        a_index = {aid: i for i, aid in enumerate(artifact_ids)}
        h_index = {hid: i for i, hid in enumerate(person_ids)}

        uses, uses_kind = _edges(
            iter_rows(bundle_dir, "uses", required=("project_id", "artifact_id")),
            "project_id",
            p_index,
            "artifact_id",
            a_index,
            attribute="kind",
        )
        members, members_role = _edges(
            iter_rows(bundle_dir, "members", required=("person_id", "project_id")),
            "person_id",
            h_index,
            "project_id",
            p_index,
            attribute="role",
        )
        created, _ = _edges(
            iter_rows(bundle_dir, "created", required=("person_id", "artifact_id")),
            "person_id",
            h_index,
            "artifact_id",
            a_index,
        )
        derived, _ = _edges(
            iter_rows(bundle_dir, "derived", required=("artifact_id", "source_artifact_id")),
            "artifact_id",
            a_index,
            "source_artifact_id",
            a_index,
        )

        success = np.full(len(project_ids), np.nan)
        for row in iter_rows(bundle_dir, "outcomes", required=("project_id",)):
            index = p_index.get(row["project_id"])
            value = row.get("survived_next_release", row.get("success", ""))
            if index is not None and value in ("0", "1"):
                success[index] = float(value)

        return cls(
            project_ids=project_ids,
            artifact_ids=artifact_ids,
            person_ids=person_ids,
            project_text=[project_text[i] for i in keep_p],
            artifact_text=[artifact_text[i] for i in keep_a],
            project_section=[project_section[i] for i in keep_p],
            project_tags=[project_tags[i] for i in keep_p],
            artifact_section=[artifact_section[i] for i in keep_a],
            artifact_kind=[artifact_kind[i] for i in keep_a],
            person_is_team=np.asarray([person_is_team[i] for i in keep_h], dtype=bool),
            uses=uses,
            members=members,
            created=created,
            derived=derived,
            success=success,
            uses_kind=uses_kind,
            members_role=members_role,
        )


def _text(row: dict[str, str]) -> str:
    name, description = row.get("name", ""), row.get("description", "")
    return f"{name}: {description}" if description else name


def _dedupe(ids: list[str]) -> tuple[list[str], list[int]]:
    """First occurrence of each id wins, so a repeated row cannot shift indices."""
    seen: set[str] = set()
    kept_ids, kept_positions = [], []
    for position, node_id in enumerate(ids):
        if node_id not in seen:
            seen.add(node_id)
            kept_ids.append(node_id)
            kept_positions.append(position)
    return kept_ids, kept_positions


def _edges(
    rows, left_key, left_index, right_key, right_index, attribute: str | None = None
) -> tuple[np.ndarray, list[str]]:
    """Sorted unique edges and, when `attribute` is a column of the file, its lower-cased value per edge.

    A pair listed twice keeps the attribute of its first row, so file order decides, not chance.
    """
    first: dict[tuple[int, int], str] = {}
    seen_attribute = False
    for row in rows:
        left, right = left_index.get(row[left_key]), right_index.get(row[right_key])
        if left is not None and right is not None:
            value = row.get(attribute) if attribute else None
            seen_attribute = seen_attribute or value is not None
            first.setdefault((left, right), (value or "").lower())
    pairs = sorted(first)
    values = [first[pair] for pair in pairs] if seen_attribute else []
    return edge_array(pairs), values


def _carry_attribute(old_edges: np.ndarray, old_values: list[str], new_edges: np.ndarray) -> list[str]:
    """Attributes of `new_edges` looked up by pair in (`old_edges`, `old_values`); "" for unknown pairs."""
    if not old_values or len(new_edges) == 0:
        return []
    width = int(max(old_edges[:, 1].max(initial=0), new_edges[:, 1].max(initial=0))) + 1
    old_keys = old_edges[:, 0] * width + old_edges[:, 1]
    new_keys = new_edges[:, 0] * width + new_edges[:, 1]
    order = np.argsort(old_keys, kind="stable")
    position = np.clip(np.searchsorted(old_keys[order], new_keys), 0, len(order) - 1)
    found = old_keys[order][position] == new_keys
    source = order[position]
    return [old_values[i] if hit else "" for i, hit in zip(source.tolist(), found.tolist(), strict=True)]
