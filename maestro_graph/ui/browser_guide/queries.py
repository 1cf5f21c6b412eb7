"""The guide's ready queries, read from `queries.cypher` beside this file.

The Cypher is documentation shown to people in Neo4j Browser, so it lives in that data file
rather than in a Python module; this one only reads its headers (title, the sentence on
what the query shows, parameters with example values, the promised columns, the Explorer
page that opens it) and writes the `:param` commands Browser runs before it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

QUERIES_FILE = Path(__file__).resolve().parent / "queries.cypher"

_KEYS = ("name", "title", "shows", "param", "columns", "explorer")


class GuideQueryError(ValueError):
    """`queries.cypher` is not written as its header says."""


@dataclass(frozen=True)
class GuideQuery:
    name: str
    title: str
    shows: str
    params: dict[str, Any]  # name -> example value, in the order they are set
    columns: tuple[str, ...]
    explorer: str | None  # the node label whose Explorer page opens this query
    cypher: str

    @property
    def param_commands(self) -> list[str]:
        return [param_command(name, value) for name, value in self.params.items()]


def param_command(name: str, value: Any) -> str:
    """Browser's `:param name => value`. JSON's literals (strings, numbers, true, false,
    null) are Cypher's too, and Browser evaluates the right-hand side as Cypher."""
    return f":param {name} => {json.dumps(value)}"


def parse(text: str) -> list[GuideQuery]:
    queries: list[GuideQuery] = []
    header: list[tuple[str, str]] = []
    cypher: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("//") and not cypher:
            comment = stripped[2:].strip()
            key, _, value = comment.partition(":")
            if key == "name" and header:
                raise GuideQueryError(f"line {number}: a new query starts before {header[0][1]!r} has its Cypher")
            if key in _KEYS and (key == "name" or header):
                header.append((key, value.strip()))
            elif header and comment:
                if header[-1][0] in ("title", "shows"):
                    header[-1] = (header[-1][0], f"{header[-1][1]} {comment}")
                else:
                    raise GuideQueryError(f"line {number}: {comment!r} continues a {header[-1][0]!r} header")
            continue
        if not stripped:
            if cypher:
                raise GuideQueryError(f"line {number}: a blank line inside a query; end it with ';'")
            continue
        if not header:
            raise GuideQueryError(f"line {number}: Cypher before a '// name:' header")
        cypher.append(line.rstrip())
        if stripped.endswith(";"):
            cypher[-1] = cypher[-1].rstrip()[:-1].rstrip()
            queries.append(_query(header, "\n".join(cypher)))
            header, cypher = [], []
    if header or cypher:
        raise GuideQueryError("the last query does not end with ';'")
    names = [q.name for q in queries]
    if len(set(names)) != len(names):
        raise GuideQueryError(f"query names repeat: {names}")
    return queries


def _query(header: list[tuple[str, str]], cypher: str) -> GuideQuery:
    single = {key: value for key, value in header if key != "param"}
    missing = {"name", "title", "shows", "columns"} - single.keys()
    if missing:
        raise GuideQueryError(f"query {single.get('name')!r} has no {', '.join(sorted(missing))}")
    params: dict[str, Any] = {}
    for key, value in header:
        if key == "param":
            name, _, literal = value.partition("=")
            try:
                params[name.strip()] = json.loads(literal)
            except json.JSONDecodeError as error:
                raise GuideQueryError(f"query {single['name']!r}: param {value!r} is not `name = JSON`") from error
    return GuideQuery(
        name=single["name"],
        title=single["title"],
        shows=single["shows"],
        params=params,
        columns=tuple(column.strip() for column in single["columns"].split(",")),
        explorer=single.get("explorer"),
        cypher=cypher,
    )


@cache
def guide_queries() -> tuple[GuideQuery, ...]:
    """The queries of the shipped file, read once per process."""
    return tuple(parse(QUERIES_FILE.read_text()))


def explorer_queries() -> dict[str, dict[str, Any]]:
    """For the Explorer's "Open in Neo4j Browser": by route type (the label in lower case),
    the parameter that takes the node's id, the other parameters' commands, and the query."""
    opened: dict[str, dict[str, Any]] = {}
    for query in guide_queries():
        if query.explorer is None:
            continue
        id_param, *others = query.params
        opened[query.explorer.lower()] = {
            "idParam": id_param,
            "params": [param_command(name, query.params[name]) for name in others],
            "cypher": query.cypher,
        }
    return opened
