"""The package's shape: no import cycles (Strawberry's lazy type references are strings, not
imports), no module reaching into another's private names, and Cypher only where it belongs."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "maestro_graph"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _imports(name: str, path: Path) -> list[tuple[str, str]]:
    """(module imported, name imported from it or "") for every import, inside functions too."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.append((submodule, "") if submodule in MODULES else (base, alias.name))
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names]
    return found


def _graph() -> dict[str, set[str]]:
    return {
        name: {target for target, _ in _imports(name, path) if target in MODULES and target != name}
        for name, path in MODULES.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            advanced = False
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    advanced = True
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_no_module_imports_a_private_name_of_another():
    offenders = [
        f"{name} imports {target}.{imported}"
        for name, path in MODULES.items()
        for target, imported in _imports(name, path)
        if imported.startswith("_") and target.startswith("maestro_graph") and target != name
    ]
    assert offenders == []


# Cypher is recognised by a clause that starts a query; a docstring that mentions MATCH in
# prose does not start a line with it inside a string.
_CYPHER = re.compile(r"^\s*(MATCH|OPTIONAL MATCH|MERGE|UNWIND|CREATE|CALL db\.|CALL \(|DETACH DELETE)\b")


def _string_constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_cypher_lives_in_repositories_and_the_database_layer():
    homes = ("maestro_graph.repositories", "maestro_graph.db")
    outside = sorted(
        name
        for name, path in MODULES.items()
        if not name.startswith(homes)
        and any(_CYPHER.search(line) for text in _string_constants(path) for line in text.splitlines())
    )
    assert outside == []


def test_node_properties_for_answers_are_written_once():
    """Answers never carry embeddings; `repositories.nodes.public_properties` says how, once."""
    inline = sorted(
        name
        for name, path in MODULES.items()
        if "embedding: null" in path.read_text() and name != "maestro_graph.repositories.nodes"
    )
    assert inline == []
