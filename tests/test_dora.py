"""DORA metrics: computed by hand on small histories, then end to end from deployments
and pushes recorded through the webhooks to `Project.dora`, and as model features."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from conftest import data, error_of

from maestro_graph.integrations.dora import FinishedDeployment, compute
from maestro_graph.integrations.project_signals import FEATURE_NAMES, project_signals
from maestro_graph.repositories import metric_series

UNTIL = datetime(2025, 4, 1, tzinfo=UTC)
SHA = ["%040x" % (0xD0D0 + i) for i in range(10)]


def hours_before(hours: float) -> datetime:
    return UNTIL - timedelta(hours=hours)


def deployment(outcome: str, hours_ago: float, changes=(), environment: str = "production") -> FinishedDeployment:
    finished = hours_before(hours_ago)
    return FinishedDeployment(environment, outcome, finished, tuple(finished - timedelta(hours=h) for h in changes))


def test_the_four_figures():
    history = [
        deployment("success", 100, changes=(2, 4)),
        deployment("failure", 80, changes=(1,)),  # a failure's changes are not lead times
        deployment("failure", 79),  # still the same incident
        deployment("success", 76, changes=(10,)),  # restores after 4 h
        deployment("failure", 50, environment="eu"),
        deployment("success", 47, environment="eu"),  # restores eu after 3 h
        deployment("failure", 10),  # open at the end of the window
        deployment("success", 24 * 40),  # before the window
    ]
    figures = compute(history, UNTIL, 30)
    assert (figures.deployments, figures.failed_deployments) == (3, 4)
    assert figures.deployment_frequency == round(3 / 30, 4)
    assert (figures.lead_time_hours, figures.changes) == (4.0, 3)  # median of 2, 4 and 10
    assert figures.change_failure_rate == round(4 / 7, 4)
    assert (figures.time_to_restore_hours, figures.restores, figures.open_failures) == (3.5, 2, 1)
    assert figures.since == UNTIL - timedelta(days=30)


def test_no_deployments_means_unknown_not_zero():
    figures = compute([], UNTIL, 7)
    assert (figures.deployments, figures.deployment_frequency) == (0, 0.0)
    assert figures.lead_time_hours is figures.change_failure_rate is figures.time_to_restore_hours is None


def test_a_commit_dated_after_its_deployment_is_not_a_lead_time():
    skewed = FinishedDeployment("production", "success", hours_before(5), (hours_before(1), hours_before(7)))
    assert compute([skewed], UNTIL, 1).lead_time_hours == 2.0


# --- end to end ----------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def shop(graph, client):
    """A project whose CI reported, through the generic endpoint, five production deployments and a staging one."""
    graph.execute_query("CREATE (:Project {id: 'shop', name: 'Shop'}), (:Project {id: 'quiet', name: 'Quiet'})")

    def report(
        deployment_id: str,
        status: str,
        hours_ago: float,
        environment: str = "production",
        commits=None,
        sha: str | None = None,
    ):
        body = {
            "projectId": "shop",
            "deploymentId": deployment_id,
            "environment": environment,
            "status": status,
            "finishedAt": iso(hours_before(hours_ago)),
        }
        if sha:
            body["sha"] = sha
        if commits is not None:
            body["commits"] = [{"sha": s, "committedAt": iso(hours_before(hours_ago + h))} for s, h in commits]
        response = client.post("/webhooks/deployments", json=body)
        assert response.status_code == 200, response.text

    report("d1", "in_progress", 201)
    report("d1", "success", 200, commits=[(SHA[0], 6), (SHA[1], 2)])
    report("d2", "failure", 150, commits=[(SHA[2], 1)])
    report("d3", "success", 148, commits=[(SHA[3], 3)])  # restores after 2 h
    report("d4", "success", 30, commits=[(SHA[4], 1)])
    report("s1", "failure", 20, environment="staging")  # not production: not counted
    # A deployment that names only its commit: its changes are the push that brought it.
    graph.execute_query(
        "UNWIND $c AS c MERGE (x:Commit {id: c.sha}) SET x.at = c.at",
        c=[{"sha": SHA[5], "at": hours_before(14)}, {"sha": SHA[6], "at": hours_before(12)}],
    )
    graph.execute_query("MATCH (x:Commit {id: $head}) SET x.batch = $batch", head=SHA[6], batch=[SHA[5], SHA[6]])
    report("d5", "success", 10, sha=SHA[6])
    return client


def test_project_dora_over_a_window(shop):
    result = data(
        shop,
        """query($until: DateTime!) { project(id: "shop") {
        dora(window: 30, until: $until) {
          windowDays since until deployments failedDeployments deploymentFrequency
          leadTimeHours changes changeFailureRate timeToRestoreHours restores openFailures }
        week: dora(window: 2, until: $until) { deployments failedDeployments leadTimeHours changes } } }""",
        {"until": iso(UNTIL)},
    )["project"]
    assert result["dora"] == {
        "windowDays": 30,
        "since": "2025-03-02T00:00:00+00:00",
        "until": "2025-04-01T00:00:00+00:00",
        "deployments": 4,
        "failedDeployments": 1,
        "deploymentFrequency": round(4 / 30, 4),
        # Changes: 6 and 2 h (d1), 3 h (d3), 1 h (d4), 4 and 2 h (d5 through its push): median 2.5 h.
        "leadTimeHours": 2.5,
        "changes": 6,
        "changeFailureRate": 0.2,
        "timeToRestoreHours": 2.0,
        "restores": 1,
        "openFailures": 0,
    }
    assert result["week"] == {"deployments": 2, "failedDeployments": 0, "leadTimeHours": 2.0, "changes": 3}


def test_dora_arguments_are_checked(shop):
    error = error_of(shop, '{ project(id: "shop") { dora(window: 0) { deployments } } }')
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "window"}


def test_metric_vectors_for_the_model_align_to_the_ids_given(shop, graph):
    graph.execute_query(
        metric_series.UPSERT,
        project_id="shop",
        source="git",
        rows=[
            {
                "id": f"shop|{name}|2025-W{week}",
                "name": name,
                "value": value,
                "period": f"2025-W{week}",
                "at": datetime(2025, 3, 3, tzinfo=UTC) + timedelta(weeks=week - 10),
            }
            for week, values in (
                (10, {"commits": 4, "authors": 2, "churn": 100, "bus_factor": 1, "collaboration": 0.5}),
                (11, {"commits": 6, "authors": 3, "churn": 300, "bus_factor": 2, "collaboration": 1.0}),
            )
            for name, value in values.items()
        ],
    )
    signals = project_signals(graph, "neo4j", ["quiet", "shop", "missing"], as_of=UNTIL, dora_window_days=30)
    assert signals.features.shape == (3, len(FEATURE_NAMES)) and signals.features.dtype == np.float32
    assert not signals.features[[0, 2]].any() and np.isnan(signals.outcomes[[0, 2]]).all()
    shop_row = dict(zip(FEATURE_NAMES, signals.features[1].tolist(), strict=True))
    assert shop_row == pytest.approx(
        {
            "git_present": 1.0,
            "commits_per_week": 5.0,
            "authors_per_week": 2.5,
            "log_churn_per_week": np.log1p(200.0),
            "bus_factor": 2.0,
            "collaboration": 1.0,
            "dora_present": 1.0,
            "deployments_per_day": round(4 / 30, 4),
            "log_lead_time_hours": np.log1p(2.5),
            "change_failure_rate": 0.2,
            "log_time_to_restore_hours": np.log1p(2.0),
            "mlflow_present": 0.0,
            "mlflow_runs_per_week": 0.0,
        }
    )
    assert signals.outcomes[1].tolist() == pytest.approx([0.2, 2.0])
    # Measured as of an earlier date, later metrics and deployments are not seen.
    early = project_signals(graph, "neo4j", ["shop"], as_of=datetime(2025, 3, 5, tzinfo=UTC))
    assert dict(zip(FEATURE_NAMES, early.features[0].tolist(), strict=True))["commits_per_week"] == 4.0
    assert early.features[0, FEATURE_NAMES.index("dora_present")] == 0.0
