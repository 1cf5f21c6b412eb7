"""Relay connections: a page of nodes, each with its cursor, the page's PageInfo and the
total count. `Connection[Project]` is the schema's ProjectConnection and `Edge[Project]`
its ProjectEdge; an edge that says more about the relationship is a subclass of `Edge`,
with a connection of its own (see `ProjectUsesConnection` in `types`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import strawberry

from maestro_graph.graphql.pagination import encode_cursor

NodeT = TypeVar("NodeT")
Row = TypeVar("Row")
ConnectionT = TypeVar("ConnectionT")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    # A Sequence rather than a list, so that a connection of a subclass of Edge may say so.
    edges: Sequence[Edge[NodeT]]
    page_info: PageInfo
    total_count: int


def page_info(skip: int, count: int, total: int) -> PageInfo:
    return PageInfo(
        has_next_page=skip + count < total,
        has_previous_page=skip > 0,
        start_cursor=encode_cursor(skip) if count else None,
        end_cursor=encode_cursor(skip + count - 1) if count else None,
    )


def connection(
    connection_type: Callable[..., ConnectionT],
    rows: Sequence[Row],
    total: int,
    skip: int,
    make_edge: Callable[[str, Row], Edge],
) -> ConnectionT:
    """The page of `rows` that starts `skip` rows in, as `connection_type`; `make_edge(cursor, row)`
    builds each edge."""
    return connection_type(
        edges=[make_edge(encode_cursor(skip + i), row) for i, row in enumerate(rows)],
        page_info=page_info(skip, len(rows), total),
        total_count=total,
    )


def node_connection(rows: Sequence[Row], total: int, skip: int, make_node: Callable[[Row], NodeT]) -> Connection[NodeT]:
    """The page of `rows` that starts `skip` rows in, as plain edges of `make_node(row)`."""
    edges = [Edge(cursor=encode_cursor(skip + i), node=make_node(row)) for i, row in enumerate(rows)]
    return Connection(edges=edges, page_info=page_info(skip, len(rows), total), total_count=total)
