"""`import-feast REPO_PATH`: a Feast feature repository's registry into the graph, read
through the Feast SDK (`FeatureStore(repo_path).list_*`), after `feast apply`.

- A data source is a DATASET artifact, `feast:<project>/source/<name>` (uri: its path or table).
- A feature view (batch or stream) and an on-demand feature view are FEATURE artifacts,
  `feast:<project>/feature-view/<name>`, DERIVED_FROM their sources: a view's batch and
  stream sources, an on-demand view's source views and request sources. The entities a
  view is keyed by are kept on it (`entities`), and its features (`features`).
- A feature service is a FEATURE artifact, `feast:<project>/feature-service/<name>`,
  DERIVED_FROM the views it serves. The graph declares USES from a project to an
  artifact only; a service is built from its views as a cleaned dataset is from its raw
  one, which is what DERIVED_FROM says, and lineage queries then walk from a service to
  the data behind it.
- A feature service tagged `maestro.project=ID` is USED by that project, which must exist.

The registry is read whole each time and written with MERGEs: importing again changes
nothing unless the registry did. Everything is read and checked before one transaction
writes it. Only a local file registry is read: a repository naming a remote registry
(s3, gs, sql, ...) is refused rather than reached for.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import neo4j

from maestro_graph.domain import InvalidInput, valid_id
from maestro_graph.graph_model import DERIVED_FROM, USES
from maestro_graph.ingest.git.ids import checked_id, id_part
from maestro_graph.repositories import edges, nodes

PROJECT_TAG = "maestro.project"
MAX_OBJECTS = 50_000


class FeastImportError(RuntimeError):
    """The repository cannot be read; nothing was written."""


@dataclass
class FeastReport:
    project: str  # the Feast project
    sources: int = 0
    feature_views: int = 0
    on_demand_views: int = 0
    feature_services: int = 0
    uses: int = 0  # projects using a feature service
    problems: list[str] = field(default_factory=list)


@dataclass
class _Graph:
    artifacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    derived: list[tuple[str, str]] = field(default_factory=list)
    uses: list[tuple[str, str]] = field(default_factory=list)


def _id(project: str, kind: str, name: str) -> str:
    artifact = f"feast:{id_part(project)}/{kind}/{id_part(name)}"
    if checked_id(artifact) is None:
        raise FeastImportError(f"{kind} {name[:60]!r}: the id made from its name is too long")
    return artifact


def source_id(project: str, name: str) -> str:
    return _id(project, "source", name)


def view_id(project: str, name: str) -> str:
    return _id(project, "feature-view", name)


def service_id(project: str, name: str) -> str:
    return _id(project, "feature-service", name)


def _source_uri(source: Any) -> str | None:
    for attribute in ("path", "table", "query", "topic"):
        value = getattr(source, attribute, None)
        if isinstance(value, str) and value:
            return value
    return None


# Importing the Feast SDK sets these in the process's environment (feast.metrics, for its own
# feature server), which would turn this process's Prometheus metrics into multiprocess mode
# and hide them from /metrics; they are put back as they were once it is imported.
_PROMETHEUS_ENV = ("PROMETHEUS_MULTIPROCESS_DIR", "PROMETHEUS_MULTIPROC_DIR")


def feast_sdk() -> ModuleType:
    """The `feast` package, imported without changing this process's metrics."""
    saved = {name: os.environ.get(name) for name in _PROMETHEUS_ENV}
    try:
        import feast
        import feast.repo_config
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return feast


def _store(repo_path: Path) -> Any:
    feast = feast_sdk()
    FeatureStore, load_repo_config = feast.FeatureStore, feast.repo_config.load_repo_config

    config_file = repo_path / "feature_store.yaml"
    if not repo_path.is_dir() or not config_file.is_file():
        raise FeastImportError(f"{repo_path}: not a Feast repository (no feature_store.yaml)")
    try:
        config = load_repo_config(repo_path, config_file)
    except Exception as error:  # Feast raises pydantic, YAML and its own errors alike
        raise FeastImportError(f"{config_file}: {str(error).splitlines()[0][:300]}") from None
    registry = config.registry
    path = str(getattr(registry, "path", "") or "")
    registry_type = getattr(registry, "registry_type", "file")
    if registry_type != "file" or "://" in path:
        raise FeastImportError(f"{config_file}: only a local file registry is read, not {path[:60]!r}")
    registry_file = Path(path) if Path(path).is_absolute() else repo_path / path
    if not registry_file.is_file():
        raise FeastImportError(f"{repo_path}: no registry at {registry_file}; run `feast apply` first")
    try:
        return FeatureStore(repo_path=str(repo_path))
    except Exception as error:
        raise FeastImportError(f"{repo_path}: {str(error).splitlines()[0][:300]}") from None


def read_repository(repo_path: Path) -> tuple[_Graph, FeastReport, set[str]]:
    """What the registry says, as artifacts and edges; and the projects its services' tags name."""
    FeatureView = feast_sdk().FeatureView

    store = _store(repo_path)
    project = store.project
    report = FeastReport(project)
    out = _Graph()
    now = datetime.now(UTC)
    try:
        sources = store.list_data_sources()
        # Stream views are feature views too; each view once, whichever list holds it.
        views = {v.name: v for v in store.list_feature_views() + store.list_stream_feature_views()}
        views = {name: v for name, v in views.items() if isinstance(v, FeatureView)}
        on_demand = store.list_on_demand_feature_views()
        services = store.list_feature_services()
    except Exception as error:
        raise FeastImportError(
            f"{repo_path}: the registry cannot be read: {str(error).splitlines()[0][:300]}"
        ) from None
    if len(sources) + len(views) + len(on_demand) + len(services) > MAX_OBJECTS:
        raise FeastImportError(f"{repo_path}: more than {MAX_OBJECTS} objects in the registry")

    def artifact(artifact_id: str, name: str, kind: str, description: str | None, **extra: Any) -> None:
        out.artifacts[artifact_id] = {
            "id": artifact_id,
            "created_at": now,
            "props": {"name": name, "kind": kind, "description": description or None, "source": "feast", **extra},
        }

    for source in sources:
        artifact(source_id(project, source.name), source.name, "dataset", source.description, uri=_source_uri(source))
    for view in views.values():
        vid = view_id(project, view.name)
        artifact(
            vid,
            view.name,
            "feature",
            view.description,
            entities=sorted(view.entities),
            features=[f.name for f in view.features],
        )
        for source in (view.batch_source, getattr(view, "stream_source", None)):
            if source is not None and source.name:
                sid = source_id(project, source.name)
                if sid not in out.artifacts:
                    artifact(sid, source.name, "dataset", source.description, uri=_source_uri(source))
                out.derived.append((vid, sid))
    report.sources = sum(1 for a in out.artifacts.values() if a["props"]["kind"] == "dataset")
    report.feature_views = len(views)
    for odfv in on_demand:
        vid = view_id(project, odfv.name)
        artifact(vid, odfv.name, "feature", odfv.description, entities=[], features=[f.name for f in odfv.features])
        out.derived.extend((vid, view_id(project, name)) for name in odfv.source_feature_view_projections)
        for request in odfv.source_request_sources.values():
            sid = source_id(project, request.name)
            if sid not in out.artifacts:
                artifact(sid, request.name, "dataset", request.description)
            out.derived.append((vid, sid))
    report.on_demand_views = len(on_demand)
    named: set[str] = set()
    for service in services:
        sid = service_id(project, service.name)
        artifact(sid, service.name, "feature", service.description)
        out.derived.extend((sid, view_id(project, p.name)) for p in service.feature_view_projections)
        if PROJECT_TAG in service.tags:
            try:
                project_id = valid_id(service.tags[PROJECT_TAG], PROJECT_TAG)
            except InvalidInput as error:
                raise FeastImportError(f"feature service {service.name!r}: {error}") from None
            named.add(project_id)
            out.uses.append((project_id, sid))
    report.feature_services = len(services)
    report.uses = len(out.uses)
    return out, report, named


def import_feast(driver: neo4j.Driver, database: str, repo_path: Path) -> FeastReport:
    graph, report, named = read_repository(repo_path.resolve())
    missing = sorted(named - nodes.existing(driver, database, "Project", sorted(named)))
    if missing:
        raise FeastImportError(f"a feature service's {PROJECT_TAG} tag names projects that do not exist: {missing}")
    now = datetime.now(UTC)

    def work(tx: neo4j.ManagedTransaction) -> None:
        nodes.upsert_rows(tx, "Artifact", list(graph.artifacts.values()))
        derived = [{"line": i, "artifact_id": a, "source_id": s} for i, (a, s) in enumerate(graph.derived)]
        rejected = edges.upsert_rows(tx, DERIVED_FROM, derived)
        report.problems.extend(
            f"{graph.derived[line][0]} derives from {graph.derived[line][1]}, which the registry does not hold"
            for line in rejected
        )
        edges.upsert_rows(
            tx,
            USES,
            [
                {"line": i, "project_id": p, "artifact_id": a, "kind": "feast-service", "used_at": now}
                for i, (p, a) in enumerate(graph.uses)
            ],
        )

    with driver.session(database=database) as session:
        session.execute_write(work)
    return report
