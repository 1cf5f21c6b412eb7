"""The graph's vocabularies as GraphQL enums, made from their declaration in
`maestro_graph.graph_model`: each enum's names are its values in upper case."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, EnumMeta
from typing import TYPE_CHECKING

import strawberry

from maestro_graph.graph_model import VOCABULARIES


def vocabulary_enum(graphql_enum: str, value_descriptions: Mapping[str, str] | None = None) -> type[Enum]:
    """The vocabulary carried by `graphql_enum`, as a Strawberry enum; `value_descriptions`
    describe its values, by value."""
    vocabulary = next(v for v in VOCABULARIES if v.graphql_enum == graphql_enum)

    def member(value: str) -> object:
        if value_descriptions is None:
            return value
        return strawberry.enum_value(value, description=value_descriptions[value])

    members = {value.upper(): member(value) for value in vocabulary.values}
    # Enum's functional API, called through its metaclass: mypy accepts `Enum(...)` with a
    # literal name only.
    enum = EnumMeta.__call__(Enum, graphql_enum, members, module=__name__)
    return strawberry.enum(enum, description=vocabulary.description)


if TYPE_CHECKING:
    # Made at import, so the type checker knows them only as enums.
    ArtifactKind = Enum
    PersonKind = Enum
    MemberRole = Enum
    ProjectStatus = Enum
else:
    ArtifactKind = vocabulary_enum("ArtifactKind")
    PersonKind = vocabulary_enum("PersonKind")
    MemberRole = vocabulary_enum("MemberRole")
    ProjectStatus = vocabulary_enum("ProjectStatus")
