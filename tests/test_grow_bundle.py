"""bench/grow_bundle.py: a seed gives the same bytes, the grown bundle imports cleanly with the
real importer, and its shape is the original's scaled: every degree multiset exactly FACTOR
times the original's (tolerance zero), every clone of a project using the same original
artifacts, the outcome base rate unchanged, and the worlds woven together."""

from __future__ import annotations

import gzip
import importlib.util
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from conftest import count, wipe

from maestro_graph.ingest.bundle_import import import_bundle

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_grow_bundle", ROOT / "bench" / "grow_bundle.py")
assert _spec is not None and _spec.loader is not None
grow_bundle = importlib.util.module_from_spec(_spec)
sys.modules["bench_grow_bundle"] = grow_bundle
_spec.loader.exec_module(grow_bundle)

FACTOR = 3
PROJECTS, ARTIFACTS, PEOPLE = 60, 40, 20


def _tiny_bundle(folder: Path) -> dict[str, list[tuple[str, ...]]]:
    """A small bundle with skewed degrees (a few popular artifacts and busy people), a pair named
    on two rows (two usage kinds), an unused artifact and about one removed project in eight."""
    rng = np.random.default_rng(5)
    popularity = 1.0 / np.arange(1, ARTIFACTS + 1)
    uses: list[tuple[str, ...]] = []
    members: list[tuple[str, ...]] = []
    for p in range(PROJECTS):
        chosen = rng.choice(
            ARTIFACTS - 1, size=int(rng.integers(1, 7)), replace=False, p=popularity[:-1] / popularity[:-1].sum()
        )
        uses += [(f"src:p{p}", f"art:a{a}", "depends") for a in chosen]
        for person in rng.choice(
            PEOPLE,
            size=int(rng.integers(1, 4)),
            replace=False,
            p=np.linspace(2, 0.1, PEOPLE) / np.linspace(2, 0.1, PEOPLE).sum(),
        ):
            members.append((f"h{person}", f"src:p{p}", "maintainer"))
    uses.append((uses[0][0], uses[0][1], "recommends"))
    files = {
        "projects": [("project_id", "name", "section", "tags", "description")]
        + [(f"src:p{p}", f"proj{p}", "libs", "role::program", f"project number {p}") for p in range(PROJECTS)],
        "artifacts": [("artifact_id", "name", "section", "description")]
        + [(f"art:a{a}", f"lib{a}", "libs", f"library {a}") for a in range(ARTIFACTS)],
        "people": [("person_id", "kind")] + [(f"h{h}", "team" if h == 0 else "person") for h in range(PEOPLE)],
        "uses": [("project_id", "artifact_id", "kind"), *uses],
        "members": [("person_id", "project_id", "role"), *members],
        "outcomes": [("project_id", "survived_next_release")]
        + [(f"src:p{p}", "0" if p % 8 == 0 else "1") for p in range(PROJECTS)],
    }
    folder.mkdir(parents=True)
    for stem, rows in files.items():
        with gzip.open(folder / f"{stem}.csv.gz", "wt", encoding="utf-8", newline="") as handle:
            handle.write("".join(",".join(row) + "\n" for row in rows))
    return {stem: rows[1:] for stem, rows in files.items()}


def _base(node_id: str) -> str:
    return node_id.split("~g")[0]


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    folder = tmp_path_factory.mktemp("grow")
    original = _tiny_bundle(folder / "tiny")
    table = grow_bundle.grow(folder / "tiny", folder / "grown", FACTOR, seed=11)
    return original, folder, table


def test_a_seed_gives_the_same_bytes_and_another_seed_other_wiring(bundles):
    _, folder, _ = bundles
    grow_bundle.grow(folder / "tiny", folder / "again", FACTOR, seed=11)
    grow_bundle.grow(folder / "tiny", folder / "other", FACTOR, seed=12)
    names = sorted(path.name for path in (folder / "grown").iterdir())
    assert names == sorted(
        f"{stem}.csv.gz" for stem in ("projects", "artifacts", "people", "uses", "members", "outcomes")
    )
    for name in names:
        assert (folder / "grown" / name).read_bytes() == (folder / "again" / name).read_bytes(), name
    assert (folder / "grown" / "uses.csv.gz").read_bytes() != (folder / "other" / "uses.csv.gz").read_bytes()
    # Factor 1 is the original, row for row.
    grow_bundle.grow(folder / "tiny", folder / "once", 1, seed=11)
    for stem in ("projects", "uses", "members"):
        assert (
            grow_bundle.read_table(folder / "once" / f"{stem}.csv.gz").columns
            == grow_bundle.read_table(folder / "tiny" / f"{stem}.csv.gz").columns
        )


@pytest.fixture(scope="module")
def imported(graph, bundles):
    _, folder, _ = bundles
    wipe(graph)
    report = import_bundle(graph, "neo4j", folder / "grown")
    return graph, report


def _multiset(driver, query: str) -> Counter:
    records, _, _ = driver.execute_query(query, database_="neo4j")
    return Counter(record[0] for record in records)


def _scaled(degrees: Counter) -> Counter:
    return Counter({degree: times * FACTOR for degree, times in degrees.items()})


def test_the_grown_bundle_imports_with_every_degree_multiset_scaled_exactly(bundles, imported):
    original, _, _ = bundles
    driver, report = imported
    assert report.rejections == []
    assert count(driver, "MATCH (n:Project) RETURN count(n)") == PROJECTS * FACTOR
    assert count(driver, "MATCH (n:Artifact) RETURN count(n)") == ARTIFACTS * FACTOR
    assert count(driver, "MATCH (n:Person) RETURN count(n)") == PEOPLE * FACTOR
    pairs = {(p, a) for p, a, _ in original["uses"]}
    assert count(driver, "MATCH ()-[r:USES]->() RETURN count(r)") == len(pairs) * FACTOR
    assert count(driver, "MATCH ()-[r:MEMBER_OF]->() RETURN count(r)") == len(original["members"]) * FACTOR

    per_project = Counter(Counter(p for p, _ in pairs).get(f"src:p{p}", 0) for p in range(PROJECTS))
    per_artifact = Counter(Counter(a for _, a in pairs).get(f"art:a{a}", 0) for a in range(ARTIFACTS))
    per_person = Counter(Counter(h for h, _, _ in original["members"]).get(f"h{h}", 0) for h in range(PEOPLE))
    assert _multiset(driver, "MATCH (n:Project) RETURN COUNT { (n)-[:USES]->() }") == _scaled(per_project)
    assert _multiset(driver, "MATCH (n:Artifact) RETURN COUNT { (n)<-[:USES]-() }") == _scaled(per_artifact)
    assert _multiset(driver, "MATCH (n:Person) RETURN COUNT { (n)-[:MEMBER_OF]->() }") == _scaled(per_person)
    removed = sum(1 for _, survived in original["outcomes"] if survived == "0")
    assert count(driver, "MATCH (n:Project {success: 0}) RETURN count(n)") == removed * FACTOR


def test_clones_keep_their_originals_neighbourhoods_but_the_worlds_are_woven(bundles, imported):
    original, _, table = bundles
    driver, _ = imported
    template: dict[str, set[str]] = {}
    for p, a, _ in original["uses"]:
        template.setdefault(p, set()).add(a)
    records, _, _ = driver.execute_query(
        "MATCH (p:Project)-[:USES]->(a:Artifact) RETURN p.id AS p, collect(a.id) AS uses", database_="neo4j"
    )
    crossing = 0
    for record in records:
        assert {_base(a) for a in record["uses"]} == template[_base(record["p"])], record["p"]
        world = record["p"].partition("~g")[2]
        crossing += sum(1 for a in record["uses"] if a.partition("~g")[2] != world)
    assert crossing > 0  # not disjoint copies
    # The printed comparison names both graphs' figures.
    assert any(line.startswith("| mean top co-use share") for line in table)
    assert table[0] == f"| measure | original | grown x{FACTOR} |"
