"""Process metrics and activity roles as pure functions: bus factor, collaboration,
weekly series with trailing windows, and the 80% core."""

from __future__ import annotations

from datetime import UTC, date, datetime

from maestro_graph.ingest.git.process_metrics import (
    CommitFacts,
    MetricPoint,
    bus_factor,
    collaboration,
    week_of,
    weekly_metrics,
    weeks_between,
)
from maestro_graph.ingest.git.roles import Activity, derive_roles


def at(day: str) -> datetime:
    return datetime.fromisoformat(day + "T12:00:00+00:00")


def test_bus_factor_removes_the_widest_owner_first():
    assert bus_factor({}) == 0
    assert bus_factor({"a": set()}) == 0  # files only a bot touched have no owner to lose
    assert bus_factor({"a": {"ann"}, "b": {"ann"}}) == 1
    # Ann and Bo each hold two of four files alone: losing one orphans half, not more than half.
    assert bus_factor({"a": {"ann"}, "b": {"ann"}, "c": {"bo"}, "d": {"bo"}}) == 2
    # Ann touched everything; Bo and Cy share one file: Ann leaving orphans 3 of 4.
    assert bus_factor({"a": {"ann"}, "b": {"ann"}, "c": {"ann"}, "d": {"ann", "bo", "cy"}}) == 1
    assert bus_factor({f"f{i}": {f"p{i}"} for i in range(6)}) == 4  # six solo owners: 4 must go


def test_collaboration_is_the_share_of_pairs_who_co_edited():
    assert collaboration({}) == 0.0
    assert collaboration({"a": {"ann"}}) == 0.0
    assert collaboration({"a": {"ann", "bo"}, "b": {"cy"}}) == round(1 / 3, 4)
    assert collaboration({"a": {"ann", "bo", "cy"}}) == 1.0


def test_weeks_start_on_monday_utc():
    assert week_of(datetime(2025, 1, 12, 23, 30, tzinfo=UTC)) == date(2025, 1, 6)  # Sunday
    assert week_of(datetime.fromisoformat("2025-01-13T00:30:00+02:00")) == date(2025, 1, 6)  # Sunday 22:30 UTC
    assert weeks_between(date(2025, 1, 6), date(2025, 1, 20)) == [
        date(2025, 1, 6),
        date(2025, 1, 13),
        date(2025, 1, 20),
    ]
    point = MetricPoint("commits", date(2024, 12, 30), 1.0)
    assert point.period == "2025-W01" and point.metric_id("p") == "p|commits|2025-W01"  # ISO week-year


def test_weekly_metrics_use_a_trailing_window_for_knowledge():
    commits = [
        CommitFacts("1", at("2025-01-06"), ("ann",), 10, 0, ("a.py", "b.py")),
        CommitFacts("2", at("2025-01-07"), ("bo",), 3, 1, ("b.py",)),
        CommitFacts("3", at("2025-01-08"), (), 1, 1, ("req.txt",)),  # a bot
        CommitFacts("4", at("2025-01-21"), ("cy",), 5, 0, ("c.py",)),
    ]
    weeks = weeks_between(date(2025, 1, 6), date(2025, 1, 20))
    values = {(p.week.isoformat(), p.name): p.value for p in weekly_metrics(commits, weeks)}
    assert values == {
        ("2025-01-06", "commits"): 3,
        ("2025-01-06", "authors"): 2,
        ("2025-01-06", "churn"): 16,
        # Ann leaving orphans a.py: half of the two owned files, not more; Bo must go too.
        ("2025-01-06", "bus_factor"): 2,
        ("2025-01-06", "collaboration"): 1.0,
        # A quiet week still knows who holds the code.
        ("2025-01-13", "commits"): 0,
        ("2025-01-13", "authors"): 0,
        ("2025-01-13", "churn"): 0,
        ("2025-01-13", "bus_factor"): 2,
        ("2025-01-13", "collaboration"): 1.0,
        ("2025-01-20", "commits"): 1,
        ("2025-01-20", "authors"): 1,
        ("2025-01-20", "churn"): 5,
        ("2025-01-20", "bus_factor"): 2,
        ("2025-01-20", "collaboration"): round(1 / 3, 4),
    }


def test_the_core_makes_eighty_percent_of_recent_commits():
    first = last = at("2025-01-06")

    def activity(person: str, recent: int) -> Activity:
        return Activity(person, recent + 5, recent, first, last)

    roles = derive_roles([activity("ann", 90), activity("bo", 5), activity("cy", 5), activity("old", 0)])
    assert roles == {"ann": "maintainer", "bo": "contributor", "cy": "contributor", "old": "contributor"}
    # Ties with the last person needed are core too, whatever their ids.
    roles = derive_roles([activity("ann", 5), activity("bo", 3), activity("cy", 3), activity("dee", 1)])
    assert roles == {"ann": "maintainer", "bo": "maintainer", "cy": "maintainer", "dee": "contributor"}
    assert derive_roles([activity("solo", 1)]) == {"solo": "maintainer"}
