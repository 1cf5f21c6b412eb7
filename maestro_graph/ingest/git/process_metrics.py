"""Weekly process metrics of a project from its commits.

For every week (Monday 00:00 UTC) from the project's first commit to its last:

- `commits`: commits authored that week (bots included: their work is work);
- `authors`: people who authored or co-authored a commit that week;
- `churn`: lines added plus lines deleted that week;
- `bus_factor`: over the trailing WINDOW_WEEKS, how many people would have to leave
  before more than half of the files touched in that time had nobody left who touched
  them. People are taken away greedily, the one who touched most files first, as in
  Avelino et al., "A novel approach for estimating truck factors" (ICPC 2016), with
  "touched in the window" standing in for their degree-of-authorship;
- `collaboration`: over the same window, the share of pairs of active people who
  edited at least one file in common (0 when fewer than two people were active).

Trailing windows let a quiet week still say who holds the knowledge.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import combinations

from maestro_graph.graph_model import GIT_METRICS

WINDOW_WEEKS = 12
NAMES = GIT_METRICS


@dataclass(frozen=True)
class CommitFacts:
    sha: str
    at: datetime
    authors: tuple[str, ...]  # person ids, bots left out
    added: int
    deleted: int
    files: tuple[str, ...]


@dataclass(frozen=True)
class MetricPoint:
    name: str
    week: date  # the Monday the week starts on
    value: float

    @property
    def at(self) -> datetime:
        return datetime.combine(self.week, time.min, tzinfo=UTC)

    @property
    def period(self) -> str:
        year, week, _ = self.week.isocalendar()
        return f"{year}-W{week:02d}"

    def metric_id(self, project_id: str) -> str:
        """Deterministic, so importing again overwrites instead of adding."""
        return f"{project_id}|{self.name}|{self.period}"


def week_of(moment: datetime) -> date:
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def weeks_between(first: date, last: date) -> list[date]:
    return [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)] if first <= last else []


def bus_factor(file_authors: dict[str, set[str]]) -> int:
    files = {path: owners for path, owners in file_authors.items() if owners}
    if not files:
        return 0
    gone: set[str] = set()
    while True:
        orphaned = sum(1 for owners in files.values() if owners <= gone)
        if orphaned * 2 > len(files):
            return len(gone)
        reach = Counter(person for owners in files.values() for person in owners - gone)
        if not reach:
            return len(gone)
        # The person touching most files leaves first; ties by id, so the answer is stable.
        gone.add(min(reach, key=lambda person: (-reach[person], person)))


def collaboration(file_authors: dict[str, set[str]]) -> float:
    people = set().union(*file_authors.values()) if file_authors else set()
    if len(people) < 2:
        return 0.0
    pairs = {pair for owners in file_authors.values() if len(owners) > 1 for pair in combinations(sorted(owners), 2)}
    return round(len(pairs) / (len(people) * (len(people) - 1) / 2), 4)


def weekly_metrics(commits: Iterable[CommitFacts], weeks: list[date]) -> list[MetricPoint]:
    """Points for `weeks`; `commits` must include every commit of the trailing window of the first week."""
    by_week: dict[date, list[CommitFacts]] = defaultdict(list)
    for commit in commits:
        by_week[week_of(commit.at)].append(commit)
    points: list[MetricPoint] = []
    for week in weeks:
        this_week = by_week.get(week, [])
        window: dict[str, set[str]] = defaultdict(set)
        for offset in range(WINDOW_WEEKS):
            for commit in by_week.get(week - timedelta(weeks=offset), []):
                for path in commit.files:
                    window[path].update(commit.authors)
        values = {
            "commits": len(this_week),
            "authors": len({person for commit in this_week for person in commit.authors}),
            "churn": sum(commit.added + commit.deleted for commit in this_week),
            "bus_factor": bus_factor(window),
            "collaboration": collaboration(window),
        }
        points.extend(MetricPoint(name, week, float(values[name])) for name in NAMES)
    return points
