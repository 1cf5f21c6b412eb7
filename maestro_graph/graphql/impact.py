"""What if an artifact goes away: `impactOfRemoving`, and the plain traversals it rests on
(`Artifact.dependents`, `Artifact.lineage`).

The re-scoring is the active outcome model's own: training publishes, for each project and
each artifact it uses, the change in the project's predicted success when the model is
evaluated on its inputs with that artifact taken out (`ml.inductive_outcome.
InductiveOutcomeModel.removal_without_each_use`, the same evaluations `Artifact.impact`
summarises). No model runs at request time, so a request reads those evaluations; how each
project was re-scored is said per project (`Rescoring`).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from maestro_graph import domain
from maestro_graph.domain import InvalidInput, NotFound
from maestro_graph.graphql import reach
from maestro_graph.graphql.connections import Connection, node_connection
from maestro_graph.graphql.types import Artifact, Person, Project, artifact_path
from maestro_graph.repositories import impact, nodes

MAX_REMOVED = 20
MAX_DEPTH = reach.MAX_DEPTH
DEFAULT_DEPTH = 3
# Members named per project; `memberCount` says how many there are in all.
MAX_NOTIFIED = 20


@strawberry.enum(description="How a project's success without the removed artifacts was worked out.")
class Rescoring(Enum):
    ONE_REMOVED = strawberry.enum_value(
        "one_removed",
        description="The project uses one removed artifact: the outcome model evaluated it with that "
        "artifact taken out of its neighbourhood.",
    )
    SEVERAL_REMOVED = strawberry.enum_value(
        "several_removed",
        description="The project uses several removed artifacts: the sum of the model's evaluation for "
        "each taken out alone (first order), kept within [0, 1].",
    )
    LINEAGE_ONLY = strawberry.enum_value(
        "lineage_only",
        description="The project uses only artifacts derived from a removed one: none of its model inputs "
        "changes at first order, so it is not re-scored.",
    )
    NO_PREDICTION = strawberry.enum_value(
        "no_prediction",
        description="The active model has no evaluation for this project and a removed artifact it uses "
        "(the project or the use was recorded after training).",
    )
    NO_MODEL = strawberry.enum_value(
        "no_model", description="No active outcome model evaluates removals (see `RemovalImpact.reason`)."
    )


@strawberry.type(description="The members of an affected project who hold one role.")
class RoleRecipients:
    role: str
    people: list[Person]


@strawberry.type(description="A project that loses a removed artifact, directly or through lineage.")
class ImpactedProject:
    project: Project
    depth: int = strawberry.field(description="1: uses a removed artifact; d: uses one derived from it in d-1 steps.")
    path: list[Artifact] = strawberry.field(
        description="The shallowest connection: the artifact the project uses, then each one it derives from, "
        "ending at the removed artifact."
    )
    removed_used: list[strawberry.ID] = strawberry.field(description="Removed artifacts the project uses itself.")
    notify: list[RoleRecipients] = strawberry.field(
        description=f"Members to notify, by role (a person with several roles appears under each); "
        f"at most {MAX_NOTIFIED} members per project, by id."
    )
    member_count: int
    success_now: float | None = strawberry.field(description="Predicted success probability as the graph is.")
    success_without: float | None = strawberry.field(
        description="Predicted success probability with the removed artifacts taken out; null when not re-scored."
    )
    change: float | None = strawberry.field(description="successWithout - successNow.")
    rescoring: Rescoring


@strawberry.type
class DepthTotal:
    depth: int
    projects: int
    rescored_projects: int
    expected_change: float | None = strawberry.field(
        description="Sum of the re-scored projects' changes in success probability at this depth."
    )


@strawberry.type
class ImpactTotals:
    by_depth: list[DepthTotal] = strawberry.field(
        description="Projects reached per depth (depths reaching none left out)."
    )
    projects: int
    rescored_projects: int
    expected_change_in_successful_projects: float | None = strawberry.field(
        description="Sum over re-scored projects of the change in success probability: the expected change in "
        "the number of successful projects. Null without a model that evaluates removals."
    )


@strawberry.type(description="What removing some artifacts would do to the projects that rely on them.")
class RemovalImpact:
    removed: list[Artifact]
    depth: int
    model_version: str | None = strawberry.field(
        description="The outcome model version whose evaluations re-score the projects; null when none can."
    )
    reason: str | None = strawberry.field(description="Why nothing is re-scored, when modelVersion is null.")
    projects: Connection[ImpactedProject] = strawberry.field(
        description="Affected projects, shallowest first, then by name."
    )
    ids: strawberry.Private[list[str]]

    @strawberry.field(description="Totals over every affected project, not only this page.")
    async def totals(self, info: Info) -> ImpactTotals:
        version = self.model_version

        async def work(tx):
            return await impact.totals(tx, self.ids, self.depth, version)

        rows = await info.context.db.read(work)
        by_depth = [
            DepthTotal(
                depth=r["depth"],
                projects=r["projects"],
                rescored_projects=r["rescored"],
                expected_change=r["change"] if version and r["rescored"] else None,
            )
            for r in rows
        ]
        rescored = sum(d.rescored_projects for d in by_depth)
        return ImpactTotals(
            by_depth=by_depth,
            projects=sum(d.projects for d in by_depth),
            rescored_projects=rescored,
            expected_change_in_successful_projects=(
                sum(d.expected_change or 0.0 for d in by_depth) if version is not None else None
            ),
        )


# --- input rules ------------------------------------------------------------------------------


def valid_removed_ids(ids: list[str]) -> list[str]:
    if not ids or len(ids) > MAX_REMOVED:
        raise InvalidInput("artifactIds", f"must name between 1 and {MAX_REMOVED} artifacts (got {len(ids)})")
    return list(dict.fromkeys(domain.valid_id(value, "artifactIds") for value in ids))


# --- resolvers --------------------------------------------------------------------------------


def _by_role(members: list[dict[str, Any]]) -> list[RoleRecipients]:
    roles: dict[str, list[Person]] = {}
    for member in members:
        for role in member["roles"] or ["member"]:
            roles.setdefault(role, []).append(Person.from_node(member["person"]))
    return [RoleRecipients(role=role, people=people) for role, people in sorted(roles.items())]


def _rescore(row: dict[str, Any], outcome: dict[str, Any] | None, evaluates: bool) -> dict[str, Any]:
    now = outcome["score"] if outcome else None
    answer: dict[str, Any] = {"success_now": now, "success_without": None, "change": None}
    removed_used = row["removed_used"]
    if not evaluates:
        return {**answer, "rescoring": Rescoring.NO_MODEL}
    if not removed_used:
        return {**answer, "rescoring": Rescoring.LINEAGE_ONLY}
    changes = dict(outcome["changes"]) if outcome else {}
    if now is None or any(artifact_id not in changes for artifact_id in removed_used):
        return {**answer, "rescoring": Rescoring.NO_PREDICTION}
    without = min(1.0, max(0.0, now + sum(changes[a] for a in removed_used)))
    kind = Rescoring.ONE_REMOVED if len(removed_used) == 1 else Rescoring.SEVERAL_REMOVED
    return {**answer, "success_without": without, "change": without - now, "rescoring": kind}


def _no_model_reason(model: dict[str, Any] | None) -> str | None:
    if model is None:
        return "no active outcome model: train one (`maestro-graph train`) to re-score projects"
    if not model["evaluates_removals"]:
        return (
            f"the active outcome model {model['version']} was trained before removal evaluations were "
            "published: train again to re-score projects"
        )
    return None


async def impact_of_removing(
    info: Info,
    artifact_ids: list[strawberry.ID],
    depth: int = DEFAULT_DEPTH,
    first: int | None = None,
    after: str | None = None,
) -> RemovalImpact:
    ids = valid_removed_ids([str(i) for i in artifact_ids])
    depth = reach.valid_depth(depth)
    win = info.context.window(first, after)

    async def work(tx):
        removed = await nodes.get_many(tx, "Artifact", ids)
        missing = [i for i in ids if i not in removed]
        if missing:
            raise NotFound("Artifact", missing[0], "artifactIds")
        model = await impact.active_outcome_model(tx)
        rows, total = await impact.reached_projects(tx, ids, depth, win.skip, win.limit)
        project_ids = [row["project"]["id"] for row in rows]
        outcomes = await impact.outcomes(tx, project_ids, ids, model["version"]) if model else {}
        members = await impact.members(tx, project_ids, MAX_NOTIFIED)
        return removed, model, rows, total, outcomes, members, await reach.path_nodes(tx, rows)

    removed, model, rows, total, outcomes, members, path_nodes = await info.context.db.read(work)
    reason = _no_model_reason(model)
    evaluates = reason is None

    def make(row: dict[str, Any]) -> ImpactedProject:
        project_id = row["project"]["id"]
        found = members.get(project_id, {"members": [], "total": 0})
        return ImpactedProject(
            project=Project.from_node(row["project"]),
            depth=row["depth"],
            path=artifact_path(row["via"], path_nodes),
            removed_used=row["removed_used"],
            notify=_by_role(found["members"]),
            member_count=found["total"],
            **_rescore(row, outcomes.get(project_id), evaluates),
        )

    return RemovalImpact(
        removed=[Artifact.from_node(removed[i]) for i in ids],
        depth=depth,
        model_version=model["version"] if evaluates and model else None,
        reason=reason,
        projects=node_connection(rows, total, win.skip, make),
        ids=ids,
    )


@strawberry.type
class ImpactQuery:
    impact_of_removing: RemovalImpact = strawberry.field(
        resolver=impact_of_removing,
        description=f"Projects affected if these artifacts (1 to {MAX_REMOVED}) went away, directly (USES) and "
        f"through lineage (DERIVED_FROM) up to `depth` (1 to {MAX_DEPTH}), each re-scored by the active outcome "
        "model; unknown ids are NOT_FOUND.",
    )
