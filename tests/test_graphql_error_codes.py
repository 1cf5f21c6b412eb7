"""Domain errors are shaped into coded GraphQL errors in one place, the `CodeDomainErrors`
schema extension: a resolver raises `InvalidInput` or `NotFound` and lets it go."""

from __future__ import annotations

import ast
import asyncio
import logging
from pathlib import Path

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from maestro_graph.domain import InvalidInput, NotFound
from maestro_graph.graphql.error_logging import ErrorLoggingSchema
from maestro_graph.graphql.errors import PUBLIC_CODES, CodeDomainErrors

GRAPHQL = Path(__file__).resolve().parents[1] / "maestro_graph" / "graphql"


@strawberry.type
class Child:
    @strawberry.field
    def deep(self) -> int | None:
        raise NotFound("Project", "ghost", "projectId")


@strawberry.type
class Query:
    @strawberry.field
    def bad(self) -> int | None:
        raise InvalidInput("first", "must be between 0 and 100 (got -1)")

    @strawberry.field
    def child(self) -> Child:
        return Child()

    @strawberry.field
    def broken(self) -> int | None:
        raise ValueError("a bug, with a secret in its message")


def _schema() -> strawberry.Schema:
    def internal(error: GraphQLError) -> bool:
        return (error.extensions or {}).get("code") not in PUBLIC_CODES

    # In the order build_schema lists them: CodeDomainErrors after MaskErrors, so it runs first.
    return ErrorLoggingSchema(
        query=Query, extensions=[lambda: MaskErrors(should_mask_error=internal), CodeDomainErrors]
    )


def _errors(query: str) -> list[dict]:
    result = asyncio.run(_schema().execute(query))
    return [error.formatted for error in result.errors or []]


def test_a_domain_error_is_answered_with_its_code_where_it_was_raised():
    assert _errors("{ bad child { deep } }") == [
        {
            "message": "first: must be between 0 and 100 (got -1)",
            "locations": [{"line": 1, "column": 3}],
            "path": ["bad"],
            "extensions": {"code": "BAD_USER_INPUT", "field": "first"},
        },
        {
            "message": "Project 'ghost' does not exist",
            "locations": [{"line": 1, "column": 15}],
            "path": ["child", "deep"],
            "extensions": {"code": "NOT_FOUND", "type": "Project", "id": "ghost", "field": "projectId"},
        },
    ]


def test_any_other_error_stays_internal_and_masked():
    [error] = _errors("{ broken }")
    assert error["message"] == "Unexpected error." and "extensions" not in error


def test_a_domain_error_is_logged_as_a_refusal_not_as_an_internal_error(caplog):
    caplog.set_level(logging.DEBUG)
    _errors("{ bad }")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    [refusal] = [r for r in caplog.records if r.name == "maestro_graph.graphql.errors"]
    assert refusal.refusals == [{"code": "BAD_USER_INPUT", "path": "bad", "field": "first"}]


def test_no_resolver_shapes_a_domain_error_itself():
    """The extension is the one place: no module of the API catches a domain error to raise another."""
    domain_errors = {"InvalidInput", "NotFound"}
    catching = []
    for path in sorted(GRAPHQL.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
                converts = any(isinstance(inner, ast.Raise) for inner in ast.walk(node))
                if converts and any(isinstance(name, ast.Name) and name.id in domain_errors for name in caught):
                    catching.append(f"{path.name}:{node.lineno}")
    # Subscriptions validate their arguments themselves: the extension that codes domain errors
    # sees a subscription's first answer only (`subscriptions._valid`).
    assert [place for place in catching if not place.startswith("subscriptions.py:")] == []
