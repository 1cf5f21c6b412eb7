"""Dependency manifests: each format's declarations, names normalised, constraints kept,
development dependencies told apart, and what must be skipped skipped."""

from __future__ import annotations

import json

import pytest

from maestro_graph.ingest.manifests import Dependency, manifest_kind, normalise, parse_manifest


def declared(path: str, text: str) -> list[tuple]:
    result = parse_manifest(path, text)
    return [(d.ecosystem, d.name, d.constraint, d.dev) for d in result.dependencies]


@pytest.mark.parametrize(
    "path, kind",
    [
        ("requirements.txt", "requirements"),
        ("requirements-dev.txt", "requirements"),
        ("dev-requirements.in", "requirements"),
        ("requirements/base.txt", "requirements"),
        ("svc/pyproject.toml", "pyproject"),
        ("setup.cfg", "setup.cfg"),
        ("environment.yml", "conda"),
        ("environment-gpu.yaml", "conda"),
        ("web/package.json", "package.json"),
        ("README.md", None),
        ("notes.txt", None),
        ("config.yml", None),
        ("package-lock.json", None),
    ],
)
def test_which_files_are_manifests(path, kind):
    assert manifest_kind(path) == kind


def test_requirements_txt():
    text = """
# pinned for reproducibility
numpy==1.26.4
Scikit_Learn>=1.4,<2  # classic ML
torch>=2.1 ; python_version >= "3.10"
requests[socks] \\
    >=2.31
pandas==2.2.0 --hash=sha256:abc
-r other.txt
-e git+https://github.com/acme/lib.git#egg=lib
--index-url https://token@pypi.example/simple
https://example.org/wheels/thing-1.0-py3-none-any.whl
private-lib @ git+https://token@github.com/acme/private-lib.git
./local/package
"""
    assert declared("requirements.txt", text) == [
        ("pypi", "numpy", "==1.26.4", False),
        ("pypi", "scikit-learn", "<2,>=1.4", False),
        ("pypi", "torch", ">=2.1", False),
        ("pypi", "requests", ">=2.31", False),
        ("pypi", "pandas", "==2.2.0", False),
        ("pypi", "private-lib", None, False),  # the URL (and its token) is not kept
    ]
    assert [d[3] for d in declared("requirements/test.txt", "pytest>=8\n")] == [True]
    assert [d[3] for d in declared("requirements-dev.txt", "ruff\n")] == [True]


def test_a_bad_requirement_line_is_reported_and_the_rest_read():
    result = parse_manifest("requirements.txt", "numpy\nnot a requirement !!\nscipy\n")
    assert [d.name for d in result.dependencies] == ["numpy", "scipy"]
    assert result.problems == ["requirements.txt: not a requirement: 'not a requirement !!'"]


def test_pyproject_pep621_pep735_and_poetry():
    text = """
[build-system]
requires = ["setuptools>=69"]

[project]
name = "demo"
requires-python = ">=3.11"
dependencies = ["httpx>=0.27", "Typing_Extensions"]

[project.optional-dependencies]
ml = ["torch>=2.4"]
test = ["pytest>=8"]

[dependency-groups]
lint = ["ruff>=0.4", {include-group = "test"}]

[tool.poetry.dependencies]
python = "^3.11"
fastapi = "^0.110"
uvicorn = {version = ">=0.30", extras = ["standard"]}
internal = {git = "https://github.com/acme/internal.git"}
numpy = [{version = "<2", python = "<3.12"}, {version = ">=2", python = ">=3.12"}]
anything = "*"

[tool.poetry.group.docs.dependencies]
mkdocs = "^1.5"

[tool.poetry.dev-dependencies]
black = "^24"
"""
    assert declared("pyproject.toml", text) == [
        ("pypi", "httpx", ">=0.27", False),
        ("pypi", "typing-extensions", None, False),
        ("pypi", "torch", ">=2.4", False),  # an extra is still what the project runs on
        ("pypi", "pytest", ">=8", True),
        ("pypi", "ruff", ">=0.4", True),
        ("pypi", "fastapi", "^0.110", False),
        ("pypi", "uvicorn", ">=0.30", False),
        ("pypi", "internal", None, False),
        ("pypi", "numpy", "<2 || >=2", False),
        ("pypi", "anything", None, False),
        ("pypi", "black", "^24", True),
        ("pypi", "mkdocs", "^1.5", True),
    ]


def test_setup_cfg():
    text = """
[metadata]
name = demo

[options]
install_requires =
    numpy>=1.20
    # a comment
    PyYAML
tests_require = pytest

[options.extras_require]
plot = matplotlib>=3.8
dev =
    ruff
"""
    assert declared("setup.cfg", text) == [
        ("pypi", "numpy", ">=1.20", False),
        ("pypi", "pyyaml", None, False),
        ("pypi", "pytest", None, True),
        ("pypi", "matplotlib", ">=3.8", False),
        ("pypi", "ruff", None, True),
    ]


def test_conda_environment_with_pip_section():
    text = """
name: train
channels: [pytorch, conda-forge]
dependencies:
  - python=3.11
  - pytorch::pytorch=2.1=py3.11_cuda12
  - numpy>=1.26
  - scipy 1.11.*
  - pip
  - pip:
      - wandb==0.17.0
      - -r requirements.txt
      - git+https://github.com/acme/thing.git
"""
    assert declared("environment.yml", text) == [
        ("conda", "pytorch", "=2.1=py3.11_cuda12", False),
        ("conda", "numpy", ">=1.26", False),
        ("conda", "scipy", "1.11.*", False),
        ("conda", "pip", None, False),
        ("pypi", "wandb", "==0.17.0", False),
    ]


def test_package_json():
    text = json.dumps(
        {
            "name": "ui",
            "dependencies": {"React": "^18.2.0", "@TanStack/query": "5.0.0", "lodash": "*"},
            "devDependencies": {
                "vite": "^5",
                "shared": "workspace:*",
                "fork": "acme/fork#main",
                "alias": "npm:react@^18",
            },
            "peerDependencies": {"react-dom": ">=18"},
        }
    )
    assert declared("package.json", text) == [
        ("npm", "react", "^18.2.0", False),
        ("npm", "@tanstack/query", "5.0.0", False),
        ("npm", "lodash", None, False),
        ("npm", "react-dom", ">=18", False),
        ("npm", "vite", "^5", True),
        ("npm", "shared", None, True),
        ("npm", "fork", None, True),
        ("npm", "alias", "npm:react@^18", True),
    ]


@pytest.mark.parametrize(
    "path, text",
    [
        ("pyproject.toml", "[project\nname="),
        ("package.json", "{not json"),
        ("package.json", "[1, 2]"),
        ("environment.yml", "- just\n- a list\n"),
        ("setup.cfg", "no section header\n"),
    ],
)
def test_an_unreadable_manifest_is_a_problem_not_a_crash(path, text):
    result = parse_manifest(path, text)
    assert result.dependencies == [] and len(result.problems) == 1 and result.problems[0].startswith(path)


def test_names_and_artifact_ids():
    assert normalise("pypi", "Zope.Interface__x") == "zope-interface-x"
    assert normalise("npm", "@Scope/Name") == "@scope/name"
    assert Dependency("npm", "@scope/name", None, False, "package.json").artifact_id == "pkg:npm/%40scope/name"
    assert Dependency("pypi", "numpy", None, False, "requirements.txt").artifact_id == "pkg:pypi/numpy"
