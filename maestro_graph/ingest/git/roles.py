"""A person's role on a project, as their commits show it.

The core of a project are the fewest people who together made CORE_SHARE of the
commits in its last year of activity (Mockus, Fielding and Herbsleb's 80% core of open
source projects); they are its `maintainer`s. Everyone else who authored or co-authored
a commit is a `contributor`. Ownership is an administrative fact git cannot show, so no
one becomes `owner` from here.

Only commit authors can be core. A `Co-authored-by:` trailer is text in a commit message
that anyone who can push may write, naming anyone; a maintainer may delete the project,
so a person git knows only from trailers stays a `contributor`, however many there are.
An author's co-authored commits still count toward their share.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

CORE_SHARE = 0.8
RECENT = timedelta(days=365)


@dataclass(frozen=True)
class Activity:
    person_id: str
    commits: int  # authored or co-authored, ever
    recent: int  # in the year before the project's last commit
    first: datetime
    last: datetime
    coauthor_only: bool = False  # named only in Co-authored-by trailers, never a commit's author


def recent_since(last_commit: datetime) -> datetime:
    return last_commit - RECENT


def derive_roles(activity: list[Activity]) -> dict[str, str]:
    authors = [a for a in activity if not a.coauthor_only]
    total = sum(a.recent for a in authors)
    ranked = sorted((a for a in authors if a.recent > 0), key=lambda a: (-a.recent, a.person_id))
    core: set[str] = set()
    covered = 0
    cutoff = None
    for person in ranked:
        # Whoever ties with the last person needed is core too: the rule must not pick by id.
        if covered >= CORE_SHARE * total and person.recent != cutoff:
            break
        core.add(person.person_id)
        covered += person.recent
        cutoff = person.recent
    return {a.person_id: "maintainer" if a.person_id in core else "contributor" for a in activity}
