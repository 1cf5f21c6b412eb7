"""Counters of the batch commands (`import`, `train`). They run in their own short-lived
process, which no Prometheus scrapes, so their metrics live in a registry of their own and
are handed over as Prometheus documents for batch jobs: pushed to a Pushgateway
(MAESTRO_METRICS_PUSHGATEWAY, during training after every step, so progress shows) and/or
written to a file for node_exporter's textfile collector (MAESTRO_METRICS_TEXTFILE).
"""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, push_to_gateway, write_to_textfile

from maestro_graph.config import Settings

log = logging.getLogger("maestro_graph.observability")

REGISTRY = CollectorRegistry()
IMPORT_ROWS = Counter(
    "maestro_import_rows_total",
    "Rows of a CSV bundle by file and result (read, written, rejected).",
    ["file", "result"],
    registry=REGISTRY,
)
IMPORT_RUNS = Counter(
    "maestro_import_runs_total", "Bundle imports by outcome (ok, failed).", ["outcome"], registry=REGISTRY
)
IMPORT_SECONDS = Gauge(
    "maestro_import_last_duration_seconds", "How long the last bundle import took.", registry=REGISTRY
)
TRAINING_STEPS = Counter(
    "maestro_training_steps_total", "Training steps started, by step.", ["step"], registry=REGISTRY
)
TRAINING_STEP_SECONDS = Gauge(
    "maestro_training_step_seconds", "How long each step of the last training run took.", ["step"], registry=REGISTRY
)
TRAINING_RUNS = Counter(
    "maestro_training_runs_total", "Training runs by outcome (ok, failed).", ["outcome"], registry=REGISTRY
)
LAST_SUCCESS = Gauge(
    "maestro_batch_last_success_timestamp_seconds", "When each batch job last succeeded.", ["job"], registry=REGISTRY
)
# One process is one run: these say how that run ended, for an alert that holds until a run succeeds.
LAST_RUN_FAILED = Gauge(
    "maestro_batch_last_run_failed",
    "1 when the last run of a batch command (import, train) failed, 0 when it succeeded.",
    ["command"],
    registry=REGISTRY,
)
LAST_RUN_AT = Gauge(
    "maestro_batch_last_run_timestamp_seconds",
    "When the last run of a batch command ended, failed or not.",
    ["command"],
    registry=REGISTRY,
)
_RUNS = {"import": IMPORT_RUNS, "train": TRAINING_RUNS}


def _ended(command: str, failed: bool) -> None:
    _RUNS[command].labels("failed" if failed else "ok").inc()
    LAST_RUN_FAILED.labels(command).set(1 if failed else 0)
    LAST_RUN_AT.labels(command).set_to_current_time()
    if not failed:
        LAST_SUCCESS.labels(command).set_to_current_time()


def record_failure(command: str) -> None:
    """A run of `import` or `train` that ended without doing its work."""
    _ended(command, failed=True)


def record_import(report: Any) -> None:
    """Count an ImportReport: rows read, written and rejected per file."""
    for name, file_report in report.files.items():
        IMPORT_ROWS.labels(name, "read").inc(file_report.read)
        IMPORT_ROWS.labels(name, "written").inc(file_report.written)
        IMPORT_ROWS.labels(name, "rejected").inc(file_report.rejected)
    IMPORT_SECONDS.set(report.seconds)
    _ended("import", failed=False)


def record_training_step(step: str) -> None:
    TRAINING_STEPS.labels(step).inc()


def record_training(timings: dict[str, float]) -> None:
    for step, seconds in timings.items():
        TRAINING_STEP_SECONDS.labels(step).set(seconds)
    _ended("train", failed=False)


def publish(settings: Settings, job: str) -> None:
    """Hand the counters over where the settings say; a metrics sink being down never fails the job."""
    if settings.metrics_textfile:
        try:
            write_to_textfile(str(settings.metrics_textfile), REGISTRY)
        except OSError as error:
            log.warning("could not write metrics to %s: %s", settings.metrics_textfile, error)
    if settings.metrics_pushgateway:
        try:
            push_to_gateway(settings.metrics_pushgateway, job=f"maestro-graph-{job}", registry=REGISTRY, timeout=5)
        except OSError as error:
            log.warning("could not push metrics to %s: %s", settings.metrics_pushgateway, error)
