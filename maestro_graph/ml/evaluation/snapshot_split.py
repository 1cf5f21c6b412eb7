"""Derive a (train, test) pair of CSV bundles from one snapshot, for `evaluate --forward`.

One snapshot has no second release, so the pair splits its projects into two disjoint groups
by a seeded hash. The unit of the split is the project's maintainer (its first `maintainer`
member by id; the project itself when it has none), not the project: a maintainer's packages
tend to leave together, and a split by project would let the model learn a family's fate
from its siblings on the other side, which a forward prediction never knows. Each side keeps
its own projects with their USES and MEMBER_OF edges; artifacts and people (no outcomes) are
copied to both. The test side's outcomes file is written for scoring only: `evaluate
--forward` imports the test graph without it.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
from pathlib import Path


def _read(bundle: Path, stem: str) -> tuple[list[str], list[dict[str, str]]]:
    path = next(p for p in (bundle / f"{stem}.csv.gz", bundle / f"{stem}.csv") if p.exists())
    with (
        gzip.open(path, "rt", encoding="utf-8", newline="") if path.suffix == ".gz" else path.open(newline="") as handle
    ):
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with gzip.open(path, "wt", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)


def _side(key: str, seed: int, test_share: float) -> str:
    value = int.from_bytes(hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=8).digest(), "big") / 2**64
    return "test" if value < test_share else "train"


def derive(bundle: Path, out: Path, seed: int = 0, test_share: float = 0.5) -> dict[str, int]:
    members_header, members = _read(bundle, "members")
    first_maintainer: dict[str, str] = {}
    for row in members:
        if row.get("role", "maintainer") == "maintainer":
            current = first_maintainer.get(row["project_id"])
            if current is None or row["person_id"] < current:
                first_maintainer[row["project_id"]] = row["person_id"]
    projects_header, projects = _read(bundle, "projects")
    side = {
        row["project_id"]: _side(first_maintainer.get(row["project_id"], row["project_id"]), seed, test_share)
        for row in projects
    }
    counts: dict[str, int] = {}
    for name in ("train", "test"):
        target = out / name
        target.mkdir(parents=True, exist_ok=True)
        mine = [row for row in projects if side[row["project_id"]] == name]
        _write(target / "projects.csv.gz", projects_header, mine)
        counts[f"{name}_projects"] = len(mine)
        _write(target / "members.csv.gz", members_header, [r for r in members if side.get(r["project_id"]) == name])
        for stem in ("uses", "outcomes"):
            header, rows = _read(bundle, stem)
            _write(target / f"{stem}.csv.gz", header, [r for r in rows if side.get(r["project_id"]) == name])
        for stem in ("artifacts", "people"):
            header, rows = _read(bundle, stem)
            _write(target / f"{stem}.csv.gz", header, rows)
    return counts
