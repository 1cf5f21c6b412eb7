"""Grow a CSV bundle to FACTOR times its size, keeping its degree distributions and co-use.

    python bench/grow_bundle.py FACTOR [--seed S] [--mix M] [--bundle DIR] [--out DIR]

The original bundle is world 0. Worlds 1..FACTOR-1 clone every node (its id and name get a
`~gW` suffix, the rest of its row is kept) and every edge row, both ends in the clone's world.
Then a fraction `--mix` of each edge file's edges (distinct pairs) trade the world of their far
end (the artifact a project uses, the person a project has as member, ...) with other edges that
reach a copy of the same original node: a permutation within each original node's edges. So:

- every copy of a node keeps exactly its original's degree in every edge file: each degree
  distribution is the original's, scaled by FACTOR, exactly;
- every new project uses the artifacts of the real project it was cloned from (and has its
  members), but about `mix` of them are another world's copy: worlds are woven together,
  not disjoint copies, and co-use is kept at the level of the original artifacts;
- outcomes are the cloned project's, so the removal base rate holds exactly.

Output: the bundle format `maestro-graph import` reads, one `.csv.gz` per file present in the
input, written streaming (gzip without a timestamp: one seed gives byte-identical files). A table
compares the original and the grown graph. FACTOR 1 writes the original rows unchanged.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from maestro_graph.ingest.bundle_files import BUNDLE_STEMS, bundle_file

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BUNDLE = ROOT.parent / "shared" / "datasets" / "debian-bullseye"

# Which column of each file holds a node's id, and which end of each edge stays in its row's
# world (the anchor) and which one may move to another world's copy (the far end).
NODE_FILES = {"projects": "project_id", "artifacts": "artifact_id", "people": "person_id", "teams": "team_id"}
EDGE_FILES = {
    "uses": ("project_id", "artifact_id"),
    "members": ("project_id", "person_id"),
    "created": ("person_id", "artifact_id"),
    "derived_from": ("artifact_id", "source_id"),
    "team_members": ("person_id", "team_id"),
}
ANNOTATION_FILES = {"outcomes": "project_id"}
assert set(NODE_FILES) | set(EDGE_FILES) | set(ANNOTATION_FILES) == set(BUNDLE_STEMS)
# Columns whose (non-empty) value gets the clone's suffix besides the ids.
SUFFIXED_TEXT = ("name",)
DEFAULT_MIX = 0.25
# Artifacts sampled for the co-use figure (the figure's cost grows with the sample, not the graph).
COUSE_SAMPLE = 500


def suffix(world: int) -> str:
    return f"~g{world}" if world else ""


@dataclass
class Table:
    header: list[str]
    columns: list[list[str]]  # column-major: one list of values per header column

    @property
    def rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def column(self, name: str) -> list[str]:
        return self.columns[self.header.index(name)]


def read_table(path: Path) -> Table:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as text:
        reader = csv.reader(text)
        header = [name.strip() for name in next(reader, [])]
        rows = [row + [""] * (len(header) - len(row)) for row in reader if row]
    return Table(header, [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in header])


def read_bundle(bundle: Path) -> dict[str, Table]:
    tables = {}
    for stem in BUNDLE_STEMS:
        path = bundle_file(bundle, stem)
        if path is not None:
            tables[stem] = read_table(path)
    if not tables:
        raise SystemExit(f"{bundle} holds no bundle file")
    return tables


@dataclass
class Edges:
    """One edge file as codes: rows -> distinct pairs -> the far end's world of each copy of each pair."""

    anchor_ids: np.ndarray  # distinct anchor ids (str objects); anchor_code indexes it
    far_ids: np.ndarray
    anchor_code: np.ndarray  # per distinct pair
    far_code: np.ndarray
    pair_of_row: np.ndarray  # per row of the file
    far_world: np.ndarray  # (factor, pairs): the world of the far end of pair k's copy in world w


def woven_edges(table: Table, anchor: str, far: str, factor: int, mix: float, rng: np.random.Generator) -> Edges:
    anchor_ids, anchor_of_row = np.unique(np.array(table.column(anchor), dtype=object), return_inverse=True)
    far_ids, far_of_row = np.unique(np.array(table.column(far), dtype=object), return_inverse=True)
    pair_key = anchor_of_row.astype(np.int64) * len(far_ids) + far_of_row
    pair_keys, pair_of_row = np.unique(pair_key, return_inverse=True)
    anchor_code, far_code = np.divmod(pair_keys, max(len(far_ids), 1))
    pairs = len(pair_keys)
    far_world = np.repeat(np.arange(factor, dtype=np.int32), pairs).reshape(factor, pairs)
    if factor > 1 and pairs:
        # A permutation of far-end worlds among the moving copies of the same original far node:
        # each copy of that node keeps as many edges as the original has.
        flat = far_world.reshape(-1)
        moving = np.flatnonzero(rng.random(flat.size) < mix)
        base = np.tile(far_code, factor)[moving]
        grouped = moving[np.lexsort((moving, base))]
        shuffled = moving[np.lexsort((rng.random(moving.size), base))]
        flat[shuffled] = flat[grouped].copy()
    return Edges(anchor_ids, far_ids, anchor_code, far_code, pair_of_row.reshape(-1), far_world)


@contextmanager
def _gzip_writer(path: Path) -> Iterator[Any]:
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=1) as packed,
        io.TextIOWrapper(packed, encoding="utf-8", newline="") as text,
    ):
        yield csv.writer(text, lineterminator="\n")


def _suffixed(values: Iterable[str], world: int) -> list[str]:
    tail = suffix(world)
    return [value + tail if value else value for value in values] if tail else list(values)


def _write_nodes(path: Path, table: Table, id_columns: tuple[str, ...], factor: int) -> None:
    with _gzip_writer(path) as writer:
        writer.writerow(table.header)
        for world in range(factor):
            columns = [
                _suffixed(values, world) if name in id_columns or name in SUFFIXED_TEXT else values
                for name, values in zip(table.header, table.columns, strict=True)
            ]
            writer.writerows(zip(*columns, strict=True))


def _write_edges(path: Path, table: Table, anchor: str, far: str, edges: Edges, factor: int) -> None:
    anchor_of_row = edges.anchor_ids[edges.anchor_code[edges.pair_of_row]]
    far_of_row = edges.far_ids[edges.far_code[edges.pair_of_row]]
    suffixes = np.array([suffix(world) for world in range(factor)], dtype=object)
    with _gzip_writer(path) as writer:
        writer.writerow(table.header)
        for world in range(factor):
            far_suffix = suffixes[edges.far_world[world, edges.pair_of_row]]
            columns = []
            for name, values in zip(table.header, table.columns, strict=True):
                if name == anchor:
                    columns.append(_suffixed(anchor_of_row, world))
                elif name == far:
                    columns.append([value + tail for value, tail in zip(far_of_row, far_suffix, strict=True)])
                else:
                    columns.append(values)
            writer.writerows(zip(*columns, strict=True))


# -- the comparison table ----------------------------------------------------------------


def _degrees(edges: Edges, factor: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct-pair degree of every anchor copy and every far copy that has an edge."""
    pairs = edges.anchor_code.size
    worlds = np.repeat(np.arange(factor), pairs)
    anchor_copy = worlds * len(edges.anchor_ids) + np.tile(edges.anchor_code, factor)
    far_copy = edges.far_world.reshape(-1).astype(np.int64) * len(edges.far_ids) + np.tile(edges.far_code, factor)
    anchor_degree = np.bincount(anchor_copy)
    far_degree = np.bincount(far_copy)
    return anchor_degree[anchor_degree > 0], far_degree[far_degree > 0]


def _quantiles(degrees: np.ndarray) -> str:
    if degrees.size == 0:
        return "-"
    p50, p90, p99 = np.percentile(degrees, [50, 90, 99])
    return f"{p50:g} / {p90:g} / {p99:g} / {degrees.max()} (mean {degrees.mean():.2f})"


def top_couse_share(edges: Edges, factor: int, rng: np.random.Generator) -> float:
    """Mean, over sampled far nodes used at least twice, of the share of their users that also
    use their most co-used other node: 1.0 when a node always comes with the same partner."""
    pairs = edges.anchor_code.size
    rows = np.repeat(np.arange(factor), pairs) * len(edges.anchor_ids) + np.tile(edges.anchor_code, factor)
    cols = edges.far_world.reshape(-1).astype(np.int64) * len(edges.far_ids) + np.tile(edges.far_code, factor)
    shape = (factor * len(edges.anchor_ids), factor * len(edges.far_ids))
    use = sparse.csr_matrix((np.ones(rows.size, dtype=np.float32), (rows, cols)), shape=shape)
    degree = np.asarray(use.sum(axis=0)).reshape(-1)
    candidates = np.flatnonzero(degree >= 2)
    if candidates.size == 0:
        return float("nan")
    sample = np.sort(rng.choice(candidates, size=min(COUSE_SAMPLE, candidates.size), replace=False))
    co = (use[:, sample].T @ use).tolil()
    co[np.arange(sample.size), sample] = 0  # a node is not its own partner
    best = np.asarray(co.tocsr().max(axis=1).todense()).reshape(-1)
    return float(np.mean(best / degree[sample]))


def cross_world_share(edges: Edges) -> float:
    own = np.arange(edges.far_world.shape[0])[:, None]
    return float(np.mean(edges.far_world != own)) if edges.far_world.size else 0.0


def comparison(tables: dict[str, Table], woven: dict[str, Edges], factor: int, seed: int) -> list[str]:
    lines = [f"| measure | original | grown x{factor} |", "| --- | --- | --- |"]
    for stem, table in tables.items():
        lines.append(f"| {stem} rows | {table.rows:,} | {table.rows * factor:,} |")
    labels = {
        "uses": ("artifacts per project", "projects per artifact"),
        "members": ("members per project", "projects per person"),
    }
    for stem, (anchor_label, far_label) in labels.items():
        if stem not in woven:
            continue
        original = Edges(**{**woven[stem].__dict__, "far_world": woven[stem].far_world[:1] * 0})
        anchor_before, far_before = _degrees(original, 1)
        anchor_after, far_after = _degrees(woven[stem], factor)
        quantiles = "p50 / p90 / p99 / max"
        lines.append(f"| {anchor_label}, {quantiles} | {_quantiles(anchor_before)} | {_quantiles(anchor_after)} |")
        lines.append(f"| {far_label}, {quantiles} | {_quantiles(far_before)} | {_quantiles(far_after)} |")
    if "uses" in woven:
        uses = woven["uses"]
        original = Edges(**{**uses.__dict__, "far_world": uses.far_world[:1] * 0})
        before = top_couse_share(original, 1, np.random.default_rng(seed))
        after = top_couse_share(uses, factor, np.random.default_rng(seed))
        lines.append(f"| mean top co-use share of an artifact (sampled) | {before:.3f} | {after:.3f} |")
        lines.append(f"| uses reaching another world's artifact | 0 | {cross_world_share(uses):.3f} |")
    return lines


def grow(bundle: Path, out: Path, factor: int, seed: int = 0, mix: float = DEFAULT_MIX) -> list[str]:
    """Write the grown bundle into `out`; answer the comparison table's lines."""
    if factor < 1:
        raise ValueError("FACTOR must be an integer >= 1")
    tables = read_bundle(bundle)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    woven: dict[str, Edges] = {}
    for stem, table in tables.items():
        path = out / f"{stem}.csv.gz"
        if stem in EDGE_FILES:
            anchor, far = EDGE_FILES[stem]
            woven[stem] = woven_edges(table, anchor, far, factor, mix, rng)
            _write_edges(path, table, anchor, far, woven[stem], factor)
        else:
            id_column = NODE_FILES.get(stem) or ANNOTATION_FILES[stem]
            _write_nodes(path, table, (id_column,), factor)
    return comparison(tables, woven, factor, seed)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("factor", type=int, help="how many times the original (an integer >= 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mix", type=float, default=DEFAULT_MIX, help="share of edges woven across worlds")
    parser.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--out", type=Path, default=None, help="default: /tmp/<bundle>-x<FACTOR>")
    args = parser.parse_args(argv)
    if args.factor < 1 or not 0 <= args.mix <= 1:
        parser.error("FACTOR must be >= 1 and --mix within [0, 1]")
    out = args.out or Path("/tmp") / f"{args.bundle.name}-x{args.factor}"
    started = time.perf_counter()
    lines = grow(args.bundle, out, args.factor, args.seed, args.mix)
    print("\n".join(lines))
    print(f"\nwrote {out} in {time.perf_counter() - started:.1f} s (seed {args.seed}, mix {args.mix})", file=sys.stderr)


if __name__ == "__main__":
    main()
