"""Reading a tracking server through the MLflow client (`mlflow-skinny` is enough): its
experiments, their runs since a time, their logged models, and the registered models.

What comes back is plain data: the importer never holds an MLflow object, so what MLflow
returns is checked once, here. Every listing is paged and capped: a server with more than
MAX_RUNS runs to read in one import is read in several (`--since`), not all at once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit

PAGE = 1000
MAX_EXPERIMENTS = 10_000
MAX_RUNS = 200_000
MAX_MODELS = 10_000
# A server that does not answer is given up on after this long, once, not after MLflow's
# default of minutes of retries.
REQUEST_TIMEOUT_S = 30
PROJECT_TAG = "maestro.project"
METRIC_TAG = "maestro.primary_metric"
GOAL_TAG = "maestro.primary_metric_goal"
GOALS = ("maximize", "minimize")

T = TypeVar("T")


class MlflowReadError(RuntimeError):
    """The tracking server cannot be read (unreachable, refused, an unknown experiment)."""


@dataclass(frozen=True)
class DatasetRef:
    name: str
    digest: str
    source_type: str
    uri: str | None  # where the data lives, when the dataset's source says
    context: str | None  # training, evaluation, ... (the `mlflow.data.context` input tag)


@dataclass(frozen=True)
class Run:
    run_id: str
    experiment_id: str
    name: str | None
    started: datetime
    finished: bool
    status: str
    user: str | None
    metrics: dict[str, float]
    datasets: tuple[DatasetRef, ...]
    logged_models: tuple[str, ...]  # ids of the models the run logged (MLflow 3)


@dataclass(frozen=True)
class LoggedModel:
    model_id: str
    name: str
    run_id: str | None
    created: datetime


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    name: str
    active: bool
    tags: dict[str, str]
    created: datetime | None


@dataclass(frozen=True)
class ModelVersion:
    version: str
    run_id: str | None
    model_id: str | None  # the logged model it registers (MLflow 3)
    created: datetime


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    prompt: bool  # MLflow's prompt registry keeps prompts as registered models
    description: str | None
    versions: tuple[ModelVersion, ...] = field(default_factory=tuple)


def server_key(tracking_uri: str) -> str:
    """The tracking server's name in ids: host, port and path of its http(s) URI, no credentials."""
    parts = urlsplit(tracking_uri.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MlflowReadError(f"{tracking_uri!r} is not an http(s) URI of an MLflow tracking server")
    try:
        port = parts.port
    except ValueError:
        raise MlflowReadError(f"{tracking_uri!r} has an invalid port") from None
    host = parts.hostname.lower()
    return f"{host}:{port}{parts.path.rstrip('/')}" if port else f"{host}{parts.path.rstrip('/')}"


def millis(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, UTC)


def _to_millis(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


@contextmanager
def _bounded_requests() -> Iterator[None]:
    """MLflow's client reads its retry and timeout settings from the environment on each
    request; an unreachable server fails after one try of REQUEST_TIMEOUT_S."""
    wanted = {
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        "MLFLOW_HTTP_REQUEST_TIMEOUT": str(REQUEST_TIMEOUT_S),
    }
    saved = {name: os.environ.get(name) for name in wanted}
    os.environ.update({name: value for name, value in wanted.items() if saved[name] is None})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)


def _dataset_uri(source: str | None) -> str | None:
    """MLflow keeps a dataset's source as JSON whose keys depend on its type."""
    if not source:
        return None
    try:
        parsed = json.loads(source)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    for key in ("uri", "url", "path", "table_name", "hf_dataset_path"):
        value = parsed.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _run(raw: Any) -> Run:
    info, data = raw.info, raw.data
    datasets = []
    for dataset_input in getattr(raw.inputs, "dataset_inputs", None) or []:
        dataset = dataset_input.dataset
        tags = {tag.key: tag.value for tag in dataset_input.tags or []}
        datasets.append(
            DatasetRef(
                name=dataset.name,
                digest=dataset.digest,
                source_type=dataset.source_type,
                uri=_dataset_uri(dataset.source),
                context=tags.get("mlflow.data.context"),
            )
        )
    outputs = getattr(raw, "outputs", None)
    logged = tuple(output.model_id for output in (getattr(outputs, "model_outputs", None) or []))
    started = millis(info.start_time) or datetime.now(UTC)
    return Run(
        run_id=info.run_id,
        experiment_id=info.experiment_id,
        name=info.run_name or None,
        started=started,
        finished=info.status not in ("RUNNING", "SCHEDULED"),
        status=info.status,
        user=data.tags.get("mlflow.user") or info.user_id or None,
        metrics=dict(data.metrics),
        datasets=tuple(datasets),
        logged_models=logged,
    )


def _logged_model_of(source: str | None) -> str | None:
    """A version registered from `models:/<id>` registers that logged model (MLflow 3 ids start `m-`)."""
    if source and source.startswith("models:/m-") and "/" not in source[len("models:/") :]:
        return source[len("models:/") :]
    return None


def _version_order(version: str) -> tuple[int, str]:
    return (int(version), "") if version.isdigit() else (0, version)


class Reader:
    """One tracking server, read with the MLflow client."""

    def __init__(self, tracking_uri: str):
        self.key = server_key(tracking_uri)
        # MLflow's messages quote the URLs they called: a password in the URI is not repeated.
        self._secret = urlsplit(tracking_uri.strip()).password
        from mlflow.tracking import MlflowClient

        self._client = MlflowClient(tracking_uri=tracking_uri.strip(), registry_uri=tracking_uri.strip())

    def _call(self, what: str, call: Callable[[], T]) -> T:
        from mlflow.exceptions import MlflowException

        try:
            with _bounded_requests():
                return call()
        except MlflowException as error:
            raise MlflowReadError(self._scrubbed(f"{self.key}: {what}: {error.message}")) from None
        except OSError as error:  # connection refused, name not found, timed out
            raise MlflowReadError(self._scrubbed(f"{self.key}: {what}: {error}")) from None

    def _scrubbed(self, message: str) -> str:
        return message.replace(self._secret, "***") if self._secret else message

    def _pages(self, what: str, fetch: Callable[[str | None], Any], cap: int) -> list[Any]:
        found: list[Any] = []
        token: str | None = None
        while True:
            page = self._call(what, partial(fetch, token))
            found.extend(page)
            if len(found) > cap:
                raise MlflowReadError(f"{self.key}: {what}: more than {cap}; import a part at a time (--since)")
            token = page.token
            if not token:
                return found

    def experiments(self, names: list[str]) -> list[Experiment]:
        """The named experiments (each must exist and be active), or every active one."""
        from mlflow.entities import ViewType

        if names:
            found = []
            for name in dict.fromkeys(names):
                raw = self._call(f"experiment {name!r}", partial(self._client.get_experiment_by_name, name))
                if raw is None:
                    raise MlflowReadError(f"{self.key}: there is no experiment named {name!r}")
                experiment = self._experiment(raw)
                if not experiment.active:
                    raise MlflowReadError(f"{self.key}: experiment {name!r} is deleted; restore it to import it")
                found.append(experiment)
            return found
        raws = self._pages(
            "experiments",
            lambda token: self._client.search_experiments(
                view_type=ViewType.ACTIVE_ONLY, max_results=PAGE, page_token=token
            ),
            MAX_EXPERIMENTS,
        )
        return [self._experiment(raw) for raw in raws]

    @staticmethod
    def _experiment(raw: Any) -> Experiment:
        return Experiment(
            experiment_id=raw.experiment_id,
            name=raw.name,
            active=raw.lifecycle_stage == "active",
            tags=dict(raw.tags or {}),
            created=millis(raw.creation_time),
        )

    def runs(self, experiment_id: str, since: datetime | None) -> list[Run]:
        """Active runs of the experiment started at or after `since`, oldest first."""
        from mlflow.entities import ViewType

        where = f"attributes.start_time >= {_to_millis(since)}" if since else ""
        raws = self._pages(
            f"runs of experiment {experiment_id}",
            lambda token: self._client.search_runs(
                [experiment_id],
                filter_string=where,
                run_view_type=ViewType.ACTIVE_ONLY,
                max_results=PAGE,
                order_by=["attributes.start_time ASC"],
                page_token=token,
            ),
            MAX_RUNS,
        )
        return [_run(raw) for raw in raws]

    def logged_models(self, experiment_id: str, run_ids: set[str]) -> list[LoggedModel]:
        """The experiment's logged models made by one of `run_ids`."""
        if not run_ids:
            return []
        raws = self._pages(
            f"logged models of experiment {experiment_id}",
            lambda token: self._client.search_logged_models(
                experiment_ids=[experiment_id], max_results=PAGE, page_token=token
            ),
            MAX_RUNS,
        )
        return [
            LoggedModel(raw.model_id, raw.name, raw.source_run_id, millis(raw.creation_timestamp) or datetime.now(UTC))
            for raw in raws
            if raw.source_run_id in run_ids
        ]

    def registered_models(self) -> list[RegisteredModel]:
        raws = self._pages(
            "registered models",
            lambda token: self._client.search_registered_models(max_results=PAGE, page_token=token),
            MAX_MODELS,
        )
        # Every version at once, grouped by model: no filter string quotes a model's name.
        versions: dict[str, list[ModelVersion]] = {}
        for v in self._pages(
            "model versions",
            lambda token: self._client.search_model_versions(max_results=PAGE, page_token=token),
            MAX_MODELS,
        ):
            versions.setdefault(v.name, []).append(
                ModelVersion(
                    version=str(v.version),
                    run_id=v.run_id or None,
                    model_id=getattr(v, "model_id", None) or _logged_model_of(v.source),
                    created=millis(v.creation_timestamp) or datetime.now(UTC),
                )
            )
        models = []
        for raw in raws:
            tags = dict(raw.tags or {})
            models.append(
                RegisteredModel(
                    name=raw.name,
                    prompt=tags.get("mlflow.prompt.is_prompt") == "true",
                    description=raw.description or None,
                    versions=tuple(sorted(versions.get(raw.name, []), key=lambda v: _version_order(v.version))),
                )
            )
        return models

    def run(self, run_id: str) -> Run | None:
        """One run by id (a registered version's run from an experiment not imported); None if gone."""
        from mlflow.exceptions import MlflowException

        try:
            with _bounded_requests():
                return _run(self._client.get_run(run_id))
        except MlflowException:
            return None
