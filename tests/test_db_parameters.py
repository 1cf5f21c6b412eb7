"""Rows sent as `parameters.Rows` reach Neo4j as the same list a plain list sends, and never
appear whole in the driver's log lines."""

from __future__ import annotations

import datetime as dt
import logging

from maestro_graph.db import parameters

ECHO = "UNWIND $rows AS row RETURN row"


def sample_rows() -> list[dict]:
    return [
        {"id": "p1", "vector": [0.25, -1.5, 3.0], "when": dt.date(2024, 5, 1), "props": {"name": "a", "n": 1}},
        {"id": "p2", "vector": [], "when": None, "props": {"tags": ["x", "y"]}},
    ]


def test_rows_reach_neo4j_as_the_plain_list_does(graph):
    plain = [record["row"] for record in graph.execute_query(ECHO, rows=sample_rows()).records]
    sent = [record["row"] for record in graph.execute_query(ECHO, rows=parameters.rows(sample_rows())).records]
    assert sent == plain
    assert sent[0]["vector"] == [0.25, -1.5, 3.0]
    assert sent[1]["props"] == {"tags": ["x", "y"]}


def test_the_driver_logs_a_count_not_the_rows(graph, caplog):
    with caplog.at_level(logging.DEBUG, logger="neo4j"):
        graph.execute_query(ECHO, rows=parameters.rows(sample_rows()))
    run_lines = [record.getMessage() for record in caplog.records if " C: RUN " in record.getMessage()]
    assert any("<2 rows>" in line for line in run_lines)
    assert not any("0.25" in line for line in run_lines)


def test_rows_is_a_list_and_is_not_copied_twice():
    batch = parameters.rows(sample_rows())
    assert isinstance(batch, list) and len(batch) == 2
    assert parameters.rows(batch) is batch
    assert repr(batch) == "<2 rows>"
    assert repr(parameters.rows([])) == "<0 rows>"
