"""The four DORA metrics of a project over a time window, from its production deployments.

- deployment frequency: successful production deployments per day;
- lead time for changes: median time from a change's commit to the successful
  deployment that shipped it;
- change failure rate: failed deployments over all finished ones;
- time to restore: median time from a failed deployment to the next successful one in
  the same environment.

Without an incident tracker, a failed production deployment is the incident and the next
success restores service; a failure not yet followed by a success in the window is still
open and is not in the median.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_WINDOW_DAYS = 3650


@dataclass(frozen=True)
class FinishedDeployment:
    environment: str
    outcome: str  # success | failure
    finished_at: datetime
    change_times: tuple[datetime, ...]


@dataclass(frozen=True)
class Dora:
    since: datetime
    until: datetime
    window_days: int
    deployments: int  # successful
    failed_deployments: int
    deployment_frequency: float  # successful deployments per day
    lead_time_hours: float | None
    changes: int  # changes whose lead time was measured
    change_failure_rate: float | None
    time_to_restore_hours: float | None
    restores: int
    open_failures: int


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 4) if values else None


def window_start(until: datetime, window_days: int) -> datetime:
    return until - timedelta(days=window_days)


def compute(deployments: list[FinishedDeployment], until: datetime, window_days: int) -> Dora:
    since = window_start(until, window_days)
    ordered = sorted((d for d in deployments if since <= d.finished_at < until), key=lambda d: d.finished_at)
    succeeded = [d for d in ordered if d.outcome == "success"]
    failed = [d for d in ordered if d.outcome == "failure"]

    lead_times = [_hours(d.finished_at - at) for d in succeeded for at in d.change_times if at <= d.finished_at]

    restore_times: list[float] = []
    open_since: dict[str, datetime] = {}
    for deployment in ordered:
        if deployment.outcome == "failure":
            open_since.setdefault(deployment.environment, deployment.finished_at)
        elif deployment.environment in open_since:
            restore_times.append(_hours(deployment.finished_at - open_since.pop(deployment.environment)))

    finished = len(succeeded) + len(failed)
    return Dora(
        since=since,
        until=until,
        window_days=window_days,
        deployments=len(succeeded),
        failed_deployments=len(failed),
        deployment_frequency=round(len(succeeded) / window_days, 4),
        lead_time_hours=_median(lead_times),
        changes=len(lead_times),
        change_failure_rate=round(len(failed) / finished, 4) if finished else None,
        time_to_restore_hours=_median(restore_times),
        restores=len(restore_times),
        open_failures=len(open_since),
    )


def from_rows(rows: list[dict], native) -> list[FinishedDeployment]:
    """Rows of repositories.deployments.dora_deployments as FinishedDeployments."""
    by_id: dict[str, FinishedDeployment] = {}
    for row in rows:
        by_id[row["deployment_id"]] = FinishedDeployment(
            environment=row["environment"],
            outcome=row["outcome"],
            finished_at=native(row["finished_at"]),
            change_times=tuple(native(t) for t in row["change_times"]),
        )
    return list(by_id.values())
