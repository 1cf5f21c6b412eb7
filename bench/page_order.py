"""Pages read in an index's order against the same pages sorted from every match, on the same
Neo4j and data, queries alternating one by one.

    python bench/page_order.py --data-dir DIR [--bolt-port P --http-port P] [--iterations N]

DIR is the data dir of a managed Neo4j holding a graph, e.g. one written by
`MAESTRO_DATA_DIR=DIR maestro-graph import --initial BUNDLE` from a bundle that
`bench/grow_bundle.py 16` grew (started here if it is not running). Per listing: the page query
the API sends (`repositories/listing.page_query`, which reads a page in an index's order where
one provides it) and the same page found by sorting every match (the same count, filters and
order); both through the driver, so only Neo4j's work differs. Prints p50 / p95 ms of each and
their ratio, and checks that every answer is identical.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from load import percentile

from maestro_graph.db import managed_neo4j
from maestro_graph.db.connection import Neo4jTarget, open_driver
from maestro_graph.repositories.listing import ORDER_EXPRESSIONS, page_query, where_clause

PROPERTIES = ("id", "name", "section")


def sorted_page_query(label: str, given: tuple[str, ...], order: str, descending: bool) -> str:
    """The page as every match sorted: the filters' predicates only, so no index order is seen."""
    direction = "DESC" if descending else "ASC"
    where = where_clause(label, given)
    return f"""
CALL () {{ MATCH (n:{label}) {where} RETURN count(n) AS total }}
CALL () {{
  MATCH (n:{label}) {where}
  WITH n ORDER BY {ORDER_EXPRESSIONS[order]} {direction}, n.id {direction}
  SKIP $skip LIMIT $limit
  RETURN collect(n {{{", ".join(f".{name}" for name in PROPERTIES)}}}) AS nodes
}}
RETURN nodes, total
"""


def listings(driver) -> list[tuple[str, str, tuple[str, ...], dict, str, bool]]:
    def sections(label: str) -> list[tuple[str, int]]:
        query = f"MATCH (n:{label}) WHERE n.section IS NOT NULL RETURN n.section AS s, count(*) AS c ORDER BY c DESC"
        return [(r["s"], r["c"]) for r in driver.execute_query(query, database_="neo4j").records]

    projects = sections("Project")
    largest, median = projects[0], projects[len(projects) // 2]
    artifacts = sections("Artifact")
    in_section = ("section",)
    cases = [
        ("projects by name", "Project", (), {}, "NAME", False),
        ("projects by id, descending", "Project", (), {}, "ID", True),
        (f"projects of the largest section ({largest[1]:,}) by name, descending", "Project", in_section,
         {"section": largest[0]}, "NAME", True),
        (f"projects of a median section ({median[1]:,}) by name", "Project", in_section,
         {"section": median[0]}, "NAME", False),
        ("artifacts by name", "Artifact", (), {}, "NAME", False),
    ]  # fmt: skip
    if artifacts:
        section, size = artifacts[0]
        name = f"artifacts of the largest section ({size:,}) by name"
        cases.append((name, "Artifact", in_section, {"section": section}, "NAME", False))
    return cases


def timed(driver, query: str, params: dict) -> tuple[float, object]:
    started = time.perf_counter()
    records = driver.execute_query(query, params, database_="neo4j").records
    return (time.perf_counter() - started) * 1000, [dict(record) for record in records]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--bolt-port", type=int, default=18687)
    parser.add_argument("--http-port", type=int, default=18474)
    parser.add_argument("--iterations", type=int, default=50, help="queries of each form per listing, after 5 warm")
    args = parser.parse_args()
    conn = managed_neo4j.start(args.data_dir, args.bolt_port, args.http_port)
    target = Neo4jTarget(conn.uri, conn.user, conn.password, "neo4j")
    with open_driver(target) as driver:
        nodes = driver.execute_query("MATCH (n:Project) RETURN count(n) AS n", database_="neo4j").records[0]["n"]
        print(f"{nodes:,} projects; {args.iterations} queries of each form per listing, alternating\n")
        print("| listing, page of 20 at offset 40 | index order p50 / p95 ms | every match sorted p50 / p95 ms "
              "| p95 ratio |")  # fmt: skip
        print("|---|---|---|---|")
        for name, label, given, filters, order, descending in listings(driver):
            forms = {
                "index": page_query(label, given, order, descending, PROPERTIES),
                "sorted": sorted_page_query(label, given, order, descending),
            }
            params = {**filters, "skip": 40, "limit": 20}
            timings: dict[str, list[float]] = {form: [] for form in forms}
            for i in range(5 + args.iterations):
                answers = {}
                for form in list(forms)[:: 1 if i % 2 == 0 else -1]:
                    ms, answers[form] = timed(driver, forms[form], params)
                    if i >= 5:
                        timings[form].append(ms)
                if answers["index"] != answers["sorted"]:
                    raise SystemExit(f"different answers for {name}")
            index, full = timings["index"], timings["sorted"]
            print(f"| {name} | {statistics.median(index):.1f} / {percentile(index, 0.95):.1f} | "
                  f"{statistics.median(full):.1f} / {percentile(full, 0.95):.1f} | "
                  f"{percentile(index, 0.95) / percentile(full, 0.95):.2f}x |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
