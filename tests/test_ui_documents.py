"""The Explorer's GraphQL documents and ES modules, checked without a browser or a server.

Every document in maestro_graph/ui/static/graphql/ is valid against schema.graphql, holds one
operation named as its file, and is used by some module; every module's imports resolve to
names the imported module exports; the graph view's documents ask for exactly the
relationship fields the graph model declares, and no module spells out a relationship type
or a vocabulary of its own.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import graphql
import pytest

from maestro_graph.graph_model import explorer_view

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "maestro_graph" / "ui" / "static"
DOCUMENTS = STATIC / "graphql"
ENTRY = STATIC / "app.js"

# The document loader's convention (static/api/documents.js): `#import "<path>"` lines.
IMPORT_LINE = re.compile(r'^#import\s+"([^"]+)"\s*$', re.MULTILINE)
# The one import form the modules use; anything else is reported rather than skipped.
NAMED_IMPORT = re.compile(r"import\s*\{(?P<names>[^}]*)\}\s*from\s*'(?P<path>[^']+)'\s*;")
ANY_IMPORT = re.compile(r"^\s*import\b[^;]*;", re.MULTILINE)
EXPORT = re.compile(r"^export\s+(?:async\s+)?(?:function\*?|const|let|class)\s+([\w$]+)", re.MULTILINE)
# A document is named in a module as a string literal: gql('Project', …), document: 'ProjectUses'.
PASCAL_LITERAL = re.compile(r"'([A-Z][A-Za-z]+)'")


def operation_files() -> list[Path]:
    return sorted(path for path in DOCUMENTS.glob("*.graphql"))


def fragment_files() -> list[Path]:
    return sorted(DOCUMENTS.glob("fragments/*.graphql"))


def modules() -> list[Path]:
    return sorted(STATIC.rglob("*.js"))


@cache
def schema() -> graphql.GraphQLSchema:
    return graphql.build_schema((ROOT / "schema.graphql").read_text())


def assembled(path: Path, seen: set[Path] | None = None) -> str:
    """The document as the page sends it: its text, then each imported file's once."""
    seen = set() if seen is None else seen
    if path in seen:
        return ""
    seen.add(path)
    text = path.read_text()
    imports = [DOCUMENTS / name for name in IMPORT_LINE.findall(text)]
    for imported in imports:
        assert imported.is_file(), f"{path.name} imports {imported.relative_to(DOCUMENTS)}, which does not exist"
    return "\n".join([text, *(assembled(imported, seen) for imported in imports)])


def module_source(path: Path) -> str:
    return path.read_text()


def test_there_are_documents_and_modules():
    # A guard for the globs: an empty directory would pass every check below.
    assert len(operation_files()) >= 25 and len(fragment_files()) >= 1
    assert ENTRY.is_file() and len(modules()) >= 10


@pytest.mark.parametrize("path", operation_files(), ids=lambda p: p.stem)
def test_every_document_is_valid_against_the_schema(path):
    document = graphql.parse(assembled(path))
    errors = graphql.validate(schema(), document)
    assert not errors, f"{path.name}: " + "; ".join(error.message for error in errors)
    operations = [d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)]
    assert [op.name.value for op in operations if op.name] == [path.stem], (
        f"{path.name} must hold one operation named {path.stem}"
    )


@pytest.mark.parametrize("path", fragment_files(), ids=lambda p: p.stem)
def test_every_fragment_file_holds_one_fragment_named_as_the_file(path):
    document = graphql.parse(path.read_text())
    assert [d.name.value for d in document.definitions] == [path.stem]
    assert all(isinstance(d, graphql.FragmentDefinitionNode) for d in document.definitions)


def test_a_broken_document_fails_validation():
    # The check above is only worth something if an unknown field or a wrong argument fails it.
    for broken in (
        "query Project($id: ID!) { project(id: $id) { nonsense } }",
        "query Project { project(id: 3.5) { id } }",
        "query Search($text: String!) { search(text: $text) { node { ...Missing } } }",
    ):
        assert graphql.validate(schema(), graphql.parse(broken))


def test_every_document_is_used_by_a_module_and_every_fragment_by_a_document():
    named = set()
    for path in modules():
        named |= set(PASCAL_LITERAL.findall(module_source(path)))
    unused = [path.name for path in operation_files() if path.stem not in named]
    assert not unused, f"documents no module sends: {unused}"
    imported = {DOCUMENTS / name for path in operation_files() for name in IMPORT_LINE.findall(path.read_text())}
    assert set(fragment_files()) <= imported, f"fragments no document imports: {set(fragment_files()) - imported}"


def test_every_document_a_module_sends_exists():
    sent = re.compile(r"(?:gql\(\s*|document:\s*)'(\w+)'")
    for path in modules():
        for name in sent.findall(module_source(path)):
            assert (DOCUMENTS / f"{name}.graphql").is_file(), (
                f"{path.relative_to(STATIC)} sends {name}, which has no file"
            )


def imports_of(path: Path) -> list[tuple[Path, list[str]]]:
    source = module_source(path)
    statements = ANY_IMPORT.findall(source)
    found = []
    for statement in statements:
        match = NAMED_IMPORT.search(statement)
        assert match, (
            f"{path.relative_to(STATIC)}: only `import {{ … }} from '…';` is checked here: {statement.strip()}"
        )
        names = [name.strip().split(" as ")[0].strip() for name in match["names"].split(",") if name.strip()]
        found.append(((path.parent / match["path"]).resolve(), names))
    assert "import(" not in source, f"{path.relative_to(STATIC)}: a dynamic import cannot be checked"
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(STATIC)))
def test_every_import_resolves_to_an_exported_name(path):
    for target, names in imports_of(path):
        assert target.is_file() and target.is_relative_to(STATIC), f"{path.name} imports a missing module {target}"
        exported = set(EXPORT.findall(module_source(target)))
        missing = [name for name in names if name not in exported]
        assert not missing, (
            f"{path.relative_to(STATIC)} imports {missing} that {target.relative_to(STATIC)} does not export"
        )


def test_every_module_is_reached_from_the_entry_point():
    index = (STATIC / "index.html").read_text()
    assert '<script type="module" src="app.js"></script>' in index
    reached, queue = set(), [ENTRY.resolve()]
    while queue:
        module = queue.pop()
        if module not in reached:
            reached.add(module)
            queue += [target for target, _ in imports_of(module)]
    unreached = sorted(str(p.relative_to(STATIC)) for p in modules() if p.resolve() not in reached)
    assert not unreached, f"modules nothing imports: {unreached}"


def root_field_selections(path: Path) -> set[str]:
    """The fields selected on the one root field of a document (e.g. `node: project(id:)`)."""
    operation = graphql.parse(assembled(path)).definitions[0]
    assert isinstance(operation, graphql.OperationDefinitionNode)
    (root,) = operation.selection_set.selections
    assert isinstance(root, graphql.FieldNode) and root.selection_set is not None
    return {s.name.value for s in root.selection_set.selections if isinstance(s, graphql.FieldNode)}


def test_each_node_type_has_a_neighbourhood_document_with_exactly_its_relationship_fields():
    model = explorer_view()
    graph_view = module_source(STATIC / "views" / "graph.js")
    for label in model["nodeTypes"]:
        path = DOCUMENTS / f"{label}Neighbourhood.graphql"
        assert path.is_file(), f"the graph view has no document for {label}"
        assert f"{label.lower()}: '{label}Neighbourhood'" in graph_view, f"views/graph.js does not send {path.name}"
        declared = {r["field"] for r in model["relations"] if r["anchor"] == label}
        relationship_fields = root_field_selections(path) - {"id", "name", "kind"}
        assert relationship_fields == declared, (
            f"{path.name} walks {relationship_fields}, the model declares {declared}"
        )


def test_no_module_spells_out_a_relationship_type_or_a_vocabulary():
    # Those come from graph-model.json (static/graph-model.js), so a change to the model reaches the page.
    model = explorer_view()
    words = {r["name"] for r in model["relationshipTypes"]}
    words |= {value.upper() for values in model["vocabularies"].values() for value in values}
    for path in modules():
        literals = set(re.findall(r"""['"`]([A-Z_]+)['"`]""", module_source(path)))
        assert not literals & words, f"{path.relative_to(STATIC)} spells out {literals & words}"


def test_search_kinds_are_the_node_labels_as_the_search_view_assumes():
    # views/search.js offers one "kind" facet per node type of the model, as SearchKind values.
    search_kind = schema().get_type("SearchKind")
    assert isinstance(search_kind, graphql.GraphQLEnumType)
    assert list(search_kind.values) == [label.upper() for label in explorer_view()["nodeTypes"]]
