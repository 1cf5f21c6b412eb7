"""No "Did you mean …?" in production errors: suggestions list names of the schema to
whoever guesses at it, which is what introspection being off is meant to prevent."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

_SUGGESTION = re.compile(r"\s*Did you mean .*$", re.DOTALL)


def _strip(errors: Iterable[GraphQLError] | None) -> None:
    for error in errors or ():
        error.message = _SUGGESTION.sub("", error.message)


class HideSuggestions(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        yield
        _strip(self.execution_context.pre_execution_errors)

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        _strip(getattr(result, "errors", None))
