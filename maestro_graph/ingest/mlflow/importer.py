"""Import an MLflow tracking server into the graph, incrementally and idempotently.

- An experiment is a project: the one its `maestro.project` tag names (which must exist),
  else one made for it, `mlflow:<server>/<experiment id>`, named as the experiment.
- A run's author (`mlflow.user`) is a Person and a contributor of the project; an author
  that is an e-mail address is the Person already known by that address, if any.
- A dataset a run logged as an input is a DATASET artifact the project USES; a model a
  run logged is a MODEL artifact the project USES, DERIVED_FROM the run's datasets and
  CREATED by its author; a registered model is a MODEL artifact (a PROMPT for MLflow's
  prompts) the projects of its versions' runs USE, DERIVED_FROM the datasets those runs
  logged and the logged models the versions register.
- Weekly process metrics per project: `mlflow_runs` (runs started that week) and
  `mlflow_best_metric` (the best value of the primary metric among them; the experiment's
  `maestro.primary_metric` tag names it, `maestro.primary_metric_goal` says maximize, the
  default, or minimize). Each run is kept as an MlflowRun record, so a week is recomputed
  from every run of the project whichever import read it.

Each experiment remembers a watermark: the start of its oldest run still running at the
last import, else just after its newest run. The next import reads runs started from
there on; a run read twice is written twice to the same nodes. Everything is read and
checked before anything is written, and an experiment's records, artifacts, edges and
metrics are written in one transaction that moves its watermark last: an import that
stops half way is finished by running it again. Registered models are few and are read
in full each time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

import neo4j

from maestro_graph.db.values import native
from maestro_graph.domain import InvalidInput, hash_email, valid_id
from maestro_graph.graph_model import CREATED, DERIVED_FROM, MEMBER_OF, USES
from maestro_graph.ingest.git.ids import checked_id, id_part
from maestro_graph.ingest.git.process_metrics import MetricPoint, week_of, weeks_between
from maestro_graph.ingest.mlflow import reader as mlflow_reader
from maestro_graph.ingest.mlflow.reader import Experiment, MlflowReadError, Reader, RegisteredModel, Run
from maestro_graph.repositories import edges, git_sources, metric_series, mlflow_sources, nodes

METRIC_SOURCE = "mlflow"
ROLE = "contributor"


class MlflowImportError(RuntimeError):
    """The import cannot go ahead; nothing was written."""


@dataclass
class ExperimentReport:
    experiment: str
    project_id: str
    mode: str  # full | incremental | up-to-date | empty
    runs: int = 0  # runs read this time
    people: int = 0
    datasets: int = 0
    models: int = 0  # logged models
    weeks: int = 0  # metric weeks written
    problems: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    server: str
    experiments: list[ExperimentReport] = field(default_factory=list)
    registered_models: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class _Plan:
    """One experiment, read and checked, ready to write."""

    experiment: Experiment
    record_id: str
    project_id: str
    create_project: bool
    runs: list[Run]
    logged_models: list[mlflow_reader.LoggedModel]
    watermark: datetime | None
    metric: str | None
    goal: str
    report: ExperimentReport


def _artifact_id(server: str, kind: str, name: str) -> str:
    return f"mlflow:{server}/{kind}/{id_part(name)}"


def dataset_id(server: str, name: str) -> str:
    return _artifact_id(server, "dataset", name)


def logged_model_id(server: str, model_id: str) -> str:
    return _artifact_id(server, "logged-model", model_id)


def registered_model_id(server: str, name: str) -> str:
    return _artifact_id(server, "model", name)


def project_id_for(server: str, experiment: Experiment) -> str:
    return f"mlflow:{server}/{id_part(experiment.experiment_id)}"


def _checked(value: str, what: str) -> str:
    if checked_id(value) is None:
        raise MlflowImportError(f"{what}: the id {value[:60]!r}… is too long")
    return value


def next_watermark(runs: list[Run], previous: datetime | None) -> datetime | None:
    """Where the next import starts reading: the oldest unfinished run (it may still log), else
    just after the newest run read; where it was when nothing was read."""
    if not runs:
        return previous
    unfinished = [run.started for run in runs if not run.finished]
    if unfinished:
        return min(unfinished)
    return max(run.started for run in runs) + timedelta(milliseconds=1)


def weekly_points(runs: Iterable[dict[str, Any]], weeks: list) -> list[MetricPoint]:
    """`mlflow_runs` and `mlflow_best_metric` for each of `weeks` from run records {at, value, goal}.
    When a week's runs disagree on the goal, the most recent run's goal decides."""
    by_week: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        by_week[week_of(native(run["at"]))].append(run)
    points = []
    for week in weeks:
        these = sorted(by_week.get(week, []), key=lambda run: native(run["at"]))
        points.append(MetricPoint("mlflow_runs", week, float(len(these))))
        valued = [run for run in these if run["value"] is not None]
        if valued:
            goal = valued[-1]["goal"]
            values = [float(run["value"]) for run in valued if run["goal"] == goal]
            points.append(MetricPoint("mlflow_best_metric", week, min(values) if goal == "minimize" else max(values)))
    return points


# A registered model to write: the model, its artifact id, the projects using it, what it
# derives from, and when its last version was made.
_Registered = tuple[RegisteredModel, str, list[str], list[str], datetime]


class _Import:
    def __init__(
        self,
        driver: neo4j.Driver,
        database: str,
        reader: Reader,
        on_progress: Callable[[str], None] | None = None,
    ):
        self.driver = driver
        self.database = database
        self.reader = reader
        self.server = reader.key
        self.on_progress = on_progress or (lambda _: None)

    # --- reading and checking: nothing is written until every experiment is planned ----------

    def plan(self, names: list[str], since: datetime | None) -> list[_Plan]:
        experiments = self.reader.experiments(names)
        records = {f"{self.server}|{e.experiment_id}": e for e in experiments}
        states = mlflow_sources.experiment_states(self.driver, self.database, list(records))
        tagged = {}
        for experiment in experiments:
            if mlflow_reader.PROJECT_TAG in experiment.tags:
                try:
                    tagged[experiment.experiment_id] = valid_id(
                        experiment.tags[mlflow_reader.PROJECT_TAG], mlflow_reader.PROJECT_TAG
                    )
                except InvalidInput as error:
                    raise MlflowImportError(f"experiment {experiment.name!r}: {error}") from None
        existing = nodes.existing(self.driver, self.database, "Project", sorted(set(tagged.values())))
        plans = []
        for record_id, experiment in records.items():
            self.on_progress(f"reading {experiment.name}")
            project_id = tagged.get(experiment.experiment_id)
            if project_id is not None and project_id not in existing:
                raise MlflowImportError(
                    f"experiment {experiment.name!r}: its {mlflow_reader.PROJECT_TAG} tag names project "
                    f"{project_id!r}, which does not exist"
                )
            project_id = project_id or _checked(project_id_for(self.server, experiment), experiment.name)
            state = states.get(_checked(record_id, experiment.name))
            if state and state["project_id"] != project_id:
                raise MlflowImportError(
                    f"experiment {experiment.name!r} was imported into project {state['project_id']!r}; "
                    f"its {mlflow_reader.PROJECT_TAG} tag now names {project_id!r}"
                )
            previous = native(state["watermark"]) if state and state["watermark"] is not None else None
            start = max((moment for moment in (previous, since) if moment is not None), default=None)
            runs = self.reader.runs(experiment.experiment_id, start)
            logged = self.reader.logged_models(
                experiment.experiment_id, {run.run_id for run in runs if run.logged_models}
            )
            goal = experiment.tags.get(mlflow_reader.GOAL_TAG, "maximize")
            if goal not in mlflow_reader.GOALS:
                raise MlflowImportError(
                    f"experiment {experiment.name!r}: {mlflow_reader.GOAL_TAG} must be one of "
                    f"{', '.join(mlflow_reader.GOALS)}, not {goal[:60]!r}"
                )
            mode = "incremental" if state else "full"
            if not runs:
                # Nothing to write: an experiment without runs makes no project.
                mode = "up-to-date" if state else "empty"
            plans.append(
                _Plan(
                    experiment=experiment,
                    record_id=record_id,
                    project_id=project_id,
                    create_project=project_id not in tagged.values(),
                    runs=runs,
                    logged_models=logged,
                    watermark=next_watermark(runs, previous),
                    metric=experiment.tags.get(mlflow_reader.METRIC_TAG),
                    goal=goal,
                    report=ExperimentReport(experiment.name, project_id, mode, runs=len(runs)),
                )
            )
        return plans

    # --- writing ------------------------------------------------------------------------------

    def people(self, plans: list[_Plan]) -> dict[str, str]:
        """Person id of every run author, written (a Person known by the e-mail keeps its id and name)."""
        users = sorted({run.user for plan in plans for run in plan.runs if run.user})
        hashes = {user: hash_email(user) for user in users if "@" in user}
        known = git_sources.person_ids_by_email_hash(self.driver, self.database, sorted(set(hashes.values())))
        ids: dict[str, str] = {}
        rows = []
        for user in users:
            email_hash = hashes.get(user)
            person_id = (known.get(email_hash) if email_hash else None) or (
                f"mlflow-{email_hash[:24]}" if email_hash else f"mlflow:{self.server}/{id_part(user)}"
            )
            if checked_id(person_id) is None:
                continue  # a user name too long to make an id: the run is kept, its author is not
            ids[user] = person_id
            # Only the part before @ names the person: the address itself is kept as its hash.
            rows.append({"id": person_id, "name": user.split("@")[0], "email_hash": email_hash})
        if rows:
            git_sources.upsert_people(self.driver, self.database, rows)
        return ids

    def write(self, plan: _Plan, person_of: dict[str, str]) -> None:
        with self.driver.session(database=self.database) as session:
            plan.report.weeks = session.execute_write(self._write, plan, person_of)

    def _write(self, tx: neo4j.ManagedTransaction, plan: _Plan, person_of: dict[str, str]) -> int:
        experiment, project_id, report = plan.experiment, plan.project_id, plan.report
        if plan.create_project:
            mlflow_sources.ensure_project(
                tx,
                project_id,
                experiment.name,
                f"MLflow experiment {experiment.name} on {self.server}",
                experiment.created or datetime.now(UTC),
            )
        run_rows = [
            {
                "id": f"{self.server}|{run.run_id}",
                "run_id": run.run_id,
                "at": run.started,
                "status": run.status,
                "person": person_of.get(run.user or ""),
                "metric": plan.metric,
                "value": run.metrics.get(plan.metric) if plan.metric else None,
                "goal": plan.goal,
            }
            for run in plan.runs
        ]
        mlflow_sources.upsert_runs(tx, project_id, self.server, plan.record_id, run_rows)

        # Authors: contributors since their first run read.
        first_run: dict[str, datetime] = {}
        for run in plan.runs:
            person = person_of.get(run.user or "")
            if person and (person not in first_run or run.started < first_run[person]):
                first_run[person] = run.started
        edges.upsert_rows(
            tx,
            MEMBER_OF,
            [
                {"line": i, "person_id": person, "project_id": project_id, "role": ROLE, "since": since}
                for i, (person, since) in enumerate(sorted(first_run.items()))
            ],
        )
        report.people = len(first_run)

        # Datasets logged as inputs: the newest run's digest is the dataset's version.
        datasets: dict[str, dict[str, Any]] = {}
        for run in plan.runs:
            for dataset in run.datasets:
                artifact = dataset_id(self.server, dataset.name)
                if checked_id(artifact) is None:
                    report.problems.append(f"run {run.run_id}: dataset name {dataset.name[:60]!r} is too long")
                    continue
                datasets[artifact] = {"dataset": dataset, "used_at": run.started}
        nodes.upsert_rows(
            tx,
            "Artifact",
            [
                {
                    "id": artifact,
                    "created_at": seen["used_at"],
                    "props": {
                        "name": seen["dataset"].name,
                        "kind": "dataset",
                        "uri": seen["dataset"].uri,
                        "version": seen["dataset"].digest,
                        "source": "mlflow",
                    },
                }
                for artifact, seen in datasets.items()
            ],
        )
        edges.upsert_rows(
            tx,
            USES,
            [
                {
                    "line": i,
                    "project_id": project_id,
                    "artifact_id": artifact,
                    "kind": "mlflow-input",
                    "context": seen["dataset"].context,
                    "used_at": seen["used_at"],
                }
                for i, (artifact, seen) in enumerate(datasets.items())
            ],
        )
        report.datasets = len(datasets)

        # Logged models: used by the project, made by the run's author from the run's datasets.
        run_of = {run.run_id: run for run in plan.runs}
        model_rows: list[dict[str, Any]] = []
        uses: list[dict[str, Any]] = []
        derived: list[dict[str, Any]] = []
        created: list[dict[str, Any]] = []
        for model in plan.logged_models:
            artifact = logged_model_id(self.server, model.model_id)
            source_run = run_of.get(model.run_id or "")
            if checked_id(artifact) is None or source_run is None:
                continue
            model_rows.append(
                {
                    "id": artifact,
                    "created_at": model.created,
                    "props": {
                        "name": model.name,
                        "kind": "model",
                        "uri": f"models:/{model.model_id}",
                        "source": "mlflow",
                    },
                }
            )
            uses.append(
                {"project_id": project_id, "artifact_id": artifact, "kind": "mlflow-logged", "used_at": model.created}
            )
            derived.extend(
                {"artifact_id": artifact, "source_id": dataset_id(self.server, d.name)} for d in source_run.datasets
            )
            person = person_of.get(source_run.user or "")
            if person:
                created.append({"person_id": person, "artifact_id": artifact, "at": model.created})
        nodes.upsert_rows(tx, "Artifact", model_rows)
        for rel, rows in ((USES, uses), (DERIVED_FROM, derived), (CREATED, created)):
            edges.upsert_rows(tx, rel, [{"line": i, **row} for i, row in enumerate(rows)])
        report.models = len(model_rows)

        weeks = self._metrics(tx, project_id, plan.runs)
        if plan.watermark is not None:
            mlflow_sources.mark_imported(
                tx, plan.record_id, self.server, experiment.experiment_id, experiment.name, project_id, plan.watermark
            )
        return weeks

    @staticmethod
    def _metrics(tx: neo4j.ManagedTransaction, project_id: str, runs: list[Run]) -> int:
        """The weeks from the oldest run read to the project's newest run, recomputed from its run records."""
        if not runs:
            return 0
        last = mlflow_sources.last_run(tx, project_id)
        first_week = week_of(min(run.started for run in runs))
        weeks = weeks_between(first_week, week_of(native(last)))
        since = datetime.combine(first_week, time.min, tzinfo=UTC)
        points = weekly_points(mlflow_sources.runs_since(tx, project_id, since), weeks)
        metric_series.upsert(
            tx,
            project_id,
            [
                {"id": p.metric_id(project_id), "name": p.name, "value": p.value, "at": p.at, "period": p.period}
                for p in points
            ],
            METRIC_SOURCE,
        )
        return len(weeks)

    def plan_registered(self, plans: list[_Plan], report: ImportReport) -> list[_Registered]:
        """Registered models whose versions come from runs of the experiments imported."""
        project_of = {plan.experiment.experiment_id: plan.project_id for plan in plans}
        runs = {run.run_id: run for plan in plans for run in plan.runs}
        writes: list[_Registered] = []
        for model in self.reader.registered_models():
            artifact = registered_model_id(self.server, model.name)
            if checked_id(artifact) is None:
                report.problems.append(f"registered model {model.name[:60]!r}: the name is too long for an id")
                continue
            projects: list[str] = []
            sources: list[str] = []
            for version in model.versions:
                if not version.run_id:
                    continue
                run = runs.get(version.run_id) or self.reader.run(version.run_id)
                if run is None or run.experiment_id not in project_of:
                    continue
                runs[run.run_id] = run
                projects.append(project_of[run.experiment_id])
                if not run.datasets:
                    report.problems.append(
                        f"registered model {model.name!r} version {version.version}: its run {run.run_id} "
                        "logged no dataset inputs, so nothing is recorded as its source data"
                    )
                sources.extend(dataset_id(self.server, d.name) for d in run.datasets)
                if version.model_id:
                    sources.append(logged_model_id(self.server, version.model_id))
            if projects:
                latest = max((v.created for v in model.versions), default=datetime.now(UTC))
                writes.append((model, artifact, list(dict.fromkeys(projects)), list(dict.fromkeys(sources)), latest))
        return writes

    def write_registered(self, writes: list[_Registered]) -> None:
        def work(tx: neo4j.ManagedTransaction) -> None:
            for model, artifact, projects, sources, latest in writes:
                version = model.versions[-1].version
                nodes.upsert_rows(
                    tx,
                    "Artifact",
                    [
                        {
                            "id": artifact,
                            "created_at": model.versions[0].created,
                            "props": {
                                "name": model.name,
                                "kind": "prompt" if model.prompt else "model",
                                "uri": f"models:/{model.name}/{version}",
                                "version": version,
                                "description": model.description,
                                "source": "mlflow",
                            },
                        }
                    ],
                )
                edges.upsert_rows(
                    tx,
                    USES,
                    [
                        {
                            "line": i,
                            "project_id": p,
                            "artifact_id": artifact,
                            "kind": "mlflow-registered",
                            "used_at": latest,
                        }
                        for i, p in enumerate(projects)
                    ],
                )
                edges.upsert_rows(
                    tx,
                    DERIVED_FROM,
                    [{"line": i, "artifact_id": artifact, "source_id": s} for i, s in enumerate(sources)],
                )

        if writes:
            with self.driver.session(database=self.database) as session:
                session.execute_write(work)


def parse_since(value: str | None) -> datetime | None:
    """`--since`: an ISO 8601 date or time; one without a zone is UTC."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise MlflowImportError(f"--since: {value[:60]!r} is not an ISO 8601 date or time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def import_mlflow(
    driver: neo4j.Driver,
    database: str,
    tracking_uri: str,
    experiments: list[str] | None = None,
    since: datetime | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> ImportReport:
    try:
        reader = Reader(tracking_uri)
        job = _Import(driver, database, reader, on_progress)
        plans = job.plan(experiments or [], since)
        report = ImportReport(reader.key)
        registered = job.plan_registered(plans, report)
    except MlflowReadError as error:
        raise MlflowImportError(str(error)) from None
    person_of = job.people(plans)
    for plan in plans:
        if plan.runs:
            job.on_progress(f"writing {plan.experiment.name}")
            job.write(plan, person_of)
        report.experiments.append(plan.report)
    job.write_registered(registered)
    report.registered_models = len(registered)
    return report
