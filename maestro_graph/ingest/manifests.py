"""Dependencies declared in package manifests: requirements*.txt, pyproject.toml (PEP 621,
PEP 735 groups and Poetry), setup.cfg, conda environment files and package.json.

Each parser takes a file's path and text and returns what it declares, with names
normalised the way each ecosystem compares them, so `Scikit_Learn` in one project and
`scikit-learn` in another are one library. Nothing here touches the graph or the disk.
URLs and local paths in a requirement are dropped: they can carry credentials and say
nothing about which library is used that the name does not. A manifest is text anyone
with push access writes, so what one may add to the graph is capped, and a name that
cannot make an id (one too long even once encoded) is reported, not written.
"""

from __future__ import annotations

import configparser
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import yaml
from packaging.requirements import InvalidRequirement, Requirement

from maestro_graph.ingest.git.ids import checked_id, id_part

ECOSYSTEMS = ("pypi", "npm", "conda")
# Distinct libraries one manifest may add; the rest are left out and counted. Real
# manifests name tens, a monorepo's a few hundred: 50,000 is a file written to flood the graph.
MAX_LIBRARIES_PER_MANIFEST = 500

# Optional-dependency groups that hold tooling rather than what the project runs on.
_DEV_GROUPS = re.compile(
    r"^(dev|devel|develop|development|test|tests|testing|lint|linting|docs?|typing|types|"
    r"style|format|ci|check|qa|bench|benchmarks?)([-_].*)?$",
    re.IGNORECASE,
)
_DEV_FILE = re.compile(r"(^|[-_./])(dev|devel|test|tests|testing|lint|docs?|ci|typing)([-_./]|$)", re.IGNORECASE)
_REQUIREMENTS_FILE = re.compile(r"^(.*[-_])?requirements([-_].*)?\.(txt|in)$", re.IGNORECASE)
_CONDA_FILE = re.compile(r"^(environment|conda[-_]env(ironment)?)([-_.][\w.-]*)?\.ya?ml$", re.IGNORECASE)
_CONDA_SPEC = re.compile(r"^\s*(?:[\w.-]+::)?(?P<name>[A-Za-z0-9_][A-Za-z0-9_.+-]*)\s*(?P<constraint>.*?)\s*$")
_NPM_LOCAL = ("file:", "link:", "workspace:", "portal:", "git", "http:", "https:", "github:")
# The interpreter is not a library.
_INTERPRETERS = frozenset({"python"})


@dataclass(frozen=True)
class Dependency:
    ecosystem: str  # pypi | npm | conda
    name: str  # normalised
    constraint: str | None  # as declared, e.g. ">=1.26,<2" or "^18.2.0"; None when unconstrained
    dev: bool  # declared for development (tests, linting, docs), not for running
    manifest: str  # the file's path in the repository

    @property
    def artifact_id(self) -> str:
        """A Package URL without version (pkg:pypi/numpy): a standard name SBOM tools share.
        Like a Package URL it percent-encodes `@`, and whatever an id may not hold (a space in
        a package.json key), so the API can address every library imported."""
        return f"pkg:{self.ecosystem}/{id_part(self.name).replace('@', '%40')}"


@dataclass
class ManifestResult:
    dependencies: list[Dependency] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    left_out: set[str] = field(default_factory=set)  # artifact ids over MAX_LIBRARIES_PER_MANIFEST
    _kept: set[str] = field(default_factory=set, repr=False)

    def add(self, dependency: Dependency) -> None:
        """Keep a declaration, unless its name makes no id or the manifest is over its cap."""
        artifact_id = dependency.artifact_id
        if artifact_id not in self._kept:
            if not dependency.name or checked_id(artifact_id) is None:
                self.problems.append(
                    f"{dependency.manifest}: {dependency.ecosystem} package name "
                    f"{dependency.name[:60]!r} is empty or too long for an id"
                )
                return
            if len(self._kept) >= MAX_LIBRARIES_PER_MANIFEST:
                self.left_out.add(artifact_id)
                return
            self._kept.add(artifact_id)
        self.dependencies.append(dependency)


def normalise(ecosystem: str, name: str) -> str:
    name = name.strip()
    if ecosystem == "pypi":
        return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503
    return name.lower()


def manifest_kind(path: str) -> str | None:
    """Which parser reads this file, or None when it is not a manifest."""
    pure = PurePosixPath(path)
    name = pure.name
    if name == "pyproject.toml":
        return "pyproject"
    if name == "setup.cfg":
        return "setup.cfg"
    if name == "package.json":
        return "package.json"
    if _CONDA_FILE.match(name):
        return "conda"
    if _REQUIREMENTS_FILE.match(name) or (pure.suffix == ".txt" and pure.parent.name.lower() == "requirements"):
        return "requirements"
    return None


def parse_manifest(path: str, text: str) -> ManifestResult:
    kind = manifest_kind(path)
    result = ManifestResult()
    if kind is None:
        return result
    try:
        _PARSERS[kind](path, text, result)
    except (ValueError, TypeError, KeyError, AttributeError, yaml.YAMLError, configparser.Error) as error:
        result.problems.append(f"{path}: not readable as {kind} ({type(error).__name__}: {error})"[:300])
    if result.left_out:
        result.problems.append(
            f"{path}: names {MAX_LIBRARIES_PER_MANIFEST + len(result.left_out)} libraries; "
            f"only the first {MAX_LIBRARIES_PER_MANIFEST} are imported"
        )
    return result


def _dev_file(path: str) -> bool:
    return bool(_DEV_FILE.search(PurePosixPath(path).name)) or PurePosixPath(path).parent.name.lower() in (
        "dev",
        "test",
        "tests",
    )


def _pep508(text: str, path: str, dev: bool, result: ManifestResult) -> None:
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        result.problems.append(f"{path}: not a requirement: {text[:120]!r}")
        return
    name = normalise("pypi", requirement.name)
    if name in _INTERPRETERS:
        return
    result.add(Dependency("pypi", name, str(requirement.specifier) or None, dev, path))


def _requirements(path: str, text: str, result: ManifestResult) -> None:
    dev = _dev_file(path)
    for line in text.replace("\\\n", " ").splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        # Options (-r, -c, -e, --index-url ...) and bare URLs or paths name no library by name.
        if not line or line.startswith("-") or "://" in line.split("@")[0] or line.startswith((".", "/")):
            continue
        line = re.split(r"\s+--?\w", line, maxsplit=1)[0]  # per-requirement options such as --hash
        _pep508(line, path, dev, result)


def _pep621(path: str, project: dict, result: ManifestResult) -> None:
    for text in project.get("dependencies") or []:
        _pep508(text, path, False, result)
    for group, items in (project.get("optional-dependencies") or {}).items():
        for text in items or []:
            _pep508(text, path, bool(_DEV_GROUPS.match(group)), result)


def _poetry_constraint(value: object) -> str | None:
    if isinstance(value, str):
        return None if value.strip() in ("", "*") else value.strip()
    if isinstance(value, dict):
        version = value.get("version")
        return _poetry_constraint(version) if isinstance(version, str) else None  # git, path, url: no version
    if isinstance(value, list):  # several constraints, one per marker
        parts = [c for c in (_poetry_constraint(item) for item in value) if c]
        return " || ".join(dict.fromkeys(parts)) or None
    return None


def _poetry(path: str, poetry: dict, result: ManifestResult) -> None:
    groups: list[tuple[dict, bool]] = [
        (poetry.get("dependencies") or {}, False),
        (poetry.get("dev-dependencies") or {}, True),
    ]
    for name, group in (poetry.get("group") or {}).items():
        groups.append(((group or {}).get("dependencies") or {}, name != "main"))
    for dependencies, dev in groups:
        for raw_name, value in dependencies.items():
            name = normalise("pypi", raw_name)
            if name in _INTERPRETERS:
                continue
            result.add(Dependency("pypi", name, _poetry_constraint(value), dev, path))


def _pyproject(path: str, text: str, result: ManifestResult) -> None:
    document = tomllib.loads(text)
    _pep621(path, document.get("project") or {}, result)
    # PEP 735 dependency groups are for development by definition; entries may also be
    # {include-group = "..."} tables, which add nothing new.
    for items in (document.get("dependency-groups") or {}).values():
        for item in items or []:
            if isinstance(item, str):
                _pep508(item, path, True, result)
    _poetry(path, (document.get("tool") or {}).get("poetry") or {}, result)


def _cfg_list(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip() and not line.strip().startswith(("#", ";"))]


def _setup_cfg(path: str, text: str, result: ManifestResult) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    if parser.has_section("options"):
        for text_line in _cfg_list(parser.get("options", "install_requires", fallback="")):
            _pep508(text_line, path, False, result)
        for text_line in _cfg_list(parser.get("options", "tests_require", fallback="")):
            _pep508(text_line, path, True, result)
    if parser.has_section("options.extras_require"):
        for group, value in parser.items("options.extras_require"):
            for text_line in _cfg_list(value):
                _pep508(text_line, path, bool(_DEV_GROUPS.match(group)), result)


def _conda(path: str, text: str, result: ManifestResult) -> None:
    document = yaml.safe_load(text) or {}
    if not isinstance(document, dict):
        raise ValueError("the top level is not a mapping")
    dev = _dev_file(path)
    for item in document.get("dependencies") or []:
        if isinstance(item, dict):
            for text_line in item.get("pip") or []:
                if isinstance(text_line, str) and not text_line.strip().startswith("-") and "://" not in text_line:
                    _pep508(text_line.strip(), path, dev, result)
            continue
        match = _CONDA_SPEC.match(str(item))
        if not match:
            result.problems.append(f"{path}: not a conda package spec: {str(item)[:120]!r}")
            continue
        name = normalise("conda", match.group("name"))
        if name in _INTERPRETERS:
            continue
        result.add(Dependency("conda", name, match.group("constraint") or None, dev, path))


def _package_json(path: str, text: str, result: ManifestResult) -> None:
    document = json.loads(text)
    if not isinstance(document, dict):
        raise ValueError("the top level is not an object")
    for section, dev in (
        ("dependencies", False),
        ("peerDependencies", False),
        ("optionalDependencies", False),
        ("devDependencies", True),
    ):
        entries = document.get(section) or {}
        if not isinstance(entries, dict):
            continue
        for raw_name, value in entries.items():
            constraint = value.strip() if isinstance(value, str) else ""
            if constraint.startswith(_NPM_LOCAL) or ("/" in constraint and not constraint.startswith("npm:")):
                constraint = ""  # a path, a git or URL source: no version to record
            result.add(
                Dependency(
                    "npm",
                    normalise("npm", raw_name),
                    None if constraint in ("", "*", "latest") else constraint,
                    dev,
                    path,
                )
            )


_PARSERS = {
    "requirements": _requirements,
    "pyproject": _pyproject,
    "setup.cfg": _setup_cfg,
    "conda": _conda,
    "package.json": _package_json,
}
