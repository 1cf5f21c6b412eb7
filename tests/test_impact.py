"""What if an artifact goes away: `impactOfRemoving`, `Artifact.dependents` / `lineage` and
deprecation, through GraphQL on the demo graph and a small model trained on it."""

from __future__ import annotations

import pytest
from conftest import access_token, bearer, count, data, error_of, register_client, wipe

from maestro_graph.ingest.demo_seed import seed_demo
from maestro_graph.ml.text_embedding import HashingEmbedder
from maestro_graph.ml.training.success import IMPACT_PRIOR_PROJECTS
from maestro_graph.ml.training.train_command import train_and_publish

IMPACT = """
query($ids: [ID!]!, $depth: Int, $first: Int, $after: String) {
  impactOfRemoving(artifactIds: $ids, depth: $depth, first: $first, after: $after) {
    removed { id } depth modelVersion reason
    projects {
      totalCount pageInfo { hasNextPage endCursor }
      edges { node {
        project { id } depth path { id } removedUsed memberCount
        notify { role people { id } }
        successNow successWithout change rescoring
      } }
    }
    totals { projects rescoredProjects expectedChangeInSuccessfulProjects
             byDepth { depth projects rescoredProjects expectedChange } }
  }
}
"""


# The page alone, for the tests that ask many times.
PAGE = """
query($ids: [ID!]!, $depth: Int, $first: Int, $after: String) {
  impactOfRemoving(artifactIds: $ids, depth: $depth, first: $first, after: $after) {
    projects { pageInfo { hasNextPage endCursor }
               edges { node { project { id } removedUsed successNow successWithout change rescoring } } }
  }
}
"""


def page_of(client, ids, depth=1, first=100, after=None) -> dict:
    variables = {"ids": ids, "depth": depth, "first": first, "after": after}
    return data(client, PAGE, variables)["impactOfRemoving"]


def impact_of(client, ids, depth=3, first=100, after=None) -> dict:
    variables = {"ids": ids, "depth": depth, "first": first, "after": after}
    return data(client, IMPACT, variables)["impactOfRemoving"]


def projects_of(answer: dict) -> list[dict]:
    return [edge["node"] for edge in answer["projects"]["edges"]]


def users(graph, artifact_id: str) -> set[str]:
    rows = graph.execute_query("MATCH (p:Project)-[:USES]->(:Artifact {id: $id}) RETURN p.id AS id", id=artifact_id)
    return {r["id"] for r in rows.records}


@pytest.fixture(scope="module")
def demo(graph, client):
    wipe(graph)
    seed_demo(graph, "neo4j")
    return client


@pytest.fixture(scope="module")
def trained(demo, graph):
    """The demo graph's models, published as `maestro-graph train` publishes."""
    return train_and_publish(graph, "neo4j", HashingEmbedder(16), validation_queries=20)


def test_projects_are_reached_directly_and_through_lineage_with_their_path(demo, graph):
    # data:clickstream <- feat:user-activity <- model:two-tower (DERIVED_FROM, in the demo seed).
    direct = users(graph, "data:clickstream")
    second = users(graph, "feat:user-activity") - direct
    third = users(graph, "model:two-tower") - direct - second
    assert direct and second and third

    answer = impact_of(demo, ["data:clickstream"], depth=3)
    found = projects_of(answer)
    assert answer["projects"]["totalCount"] == len(direct | second | third) == len(found)
    by_depth = {d: {p["project"]["id"] for p in found if p["depth"] == d} for d in (1, 2, 3)}
    assert by_depth == {1: direct, 2: second, 3: third}
    paths = {p["depth"]: [a["id"] for a in p["path"]] for p in found}
    assert paths == {
        1: ["data:clickstream"],
        2: ["feat:user-activity", "data:clickstream"],
        3: ["model:two-tower", "feat:user-activity", "data:clickstream"],
    }
    assert all(p["removedUsed"] == (["data:clickstream"] if p["depth"] == 1 else []) for p in found)
    assert [p["depth"] for p in found] == sorted(p["depth"] for p in found)  # shallowest first
    totals = answer["totals"]
    assert [(d["depth"], d["projects"]) for d in totals["byDepth"]] == [
        (1, len(direct)),
        (2, len(second)),
        (3, len(third)),
    ]

    # A smaller depth stops sooner; pages of two add up to the whole.
    assert {p["project"]["id"] for p in projects_of(page_of(demo, ["data:clickstream"], depth=1))} == direct
    seen, after = [], None
    while True:
        page = page_of(demo, ["data:clickstream"], depth=3, first=3, after=after)
        seen += [p["project"]["id"] for p in projects_of(page)]
        if not page["projects"]["pageInfo"]["hasNextPage"]:
            break
        after = page["projects"]["pageInfo"]["endCursor"]
    assert seen == [p["project"]["id"] for p in found]


def test_members_to_notify_are_grouped_by_role(demo, graph):
    found = projects_of(impact_of(demo, ["data:clickstream"], depth=1))
    for project in found:
        rows = graph.execute_query(
            "MATCH (h:Person)-[m:MEMBER_OF]->(:Project {id: $id}) UNWIND m.roles AS role RETURN role, h.id AS id",
            id=project["project"]["id"],
        ).records
        expected: dict[str, set[str]] = {}
        for row in rows:
            expected.setdefault(row["role"], set()).add(row["id"])
        assert {g["role"]: {p["id"] for p in g["people"]} for g in project["notify"]} == expected
        assert project["memberCount"] == len({r["id"] for r in rows})


def test_without_an_active_model_the_answer_says_why(demo, graph):
    graph.execute_query("MATCH (m:Model {task: 'outcome', active: true}) SET m.active = false, m.was_active = true")
    try:
        answer = impact_of(demo, ["data:clickstream"], depth=2)
    finally:
        graph.execute_query("MATCH (m:Model {was_active: true}) SET m.active = true REMOVE m.was_active")
    assert answer["modelVersion"] is None and "no active outcome model" in answer["reason"]
    assert all(
        p["successWithout"] is None and p["change"] is None and p["rescoring"] == "NO_MODEL"
        for p in projects_of(answer)
    )
    assert answer["totals"]["expectedChangeInSuccessfulProjects"] is None
    assert answer["totals"]["projects"] == len(projects_of(answer)) > 0


def test_projects_are_rescored_by_the_trained_model(trained, demo, graph):
    removed = "data:clickstream"
    answer = impact_of(demo, [removed], depth=2)
    assert answer["modelVersion"] == trained.versions["outcome"] and answer["reason"] is None
    found = projects_of(answer)
    direct = [p for p in found if p["depth"] == 1]
    lineage = [p for p in found if p["depth"] == 2]
    assert direct and lineage
    assert all(p["rescoring"] == "ONE_REMOVED" for p in direct)
    assert all(p["rescoring"] == "LINEAGE_ONLY" and p["change"] is None for p in lineage)
    for p in direct:
        assert 0.0 <= p["successWithout"] <= 1.0
        assert p["change"] == pytest.approx(p["successWithout"] - p["successNow"], abs=1e-9)
    # The changes are the model's own evaluations, the very ones the artifact's impact score
    # summarises: impact = -(sum of its users' changes) / (users + prior).
    impact = data(demo, '{ artifact(id: "data:clickstream") { impact { score modelVersion } } }')["artifact"]
    unclipped = all(0.0 < p["successWithout"] < 1.0 for p in direct)
    if unclipped:
        total = sum(p["change"] for p in direct)
        expected = -impact["impact"]["score"] * (len(direct) + IMPACT_PRIOR_PROJECTS)
        assert total == pytest.approx(expected, abs=1e-5)
    assert any(abs(p["change"]) > 0 for p in direct)
    totals = answer["totals"]
    assert totals["rescoredProjects"] == len(direct)
    assert totals["expectedChangeInSuccessfulProjects"] == pytest.approx(sum(p["change"] for p in direct), abs=1e-9)


def test_a_project_losing_several_artifacts_sums_their_evaluations(trained, demo, graph):
    row = graph.execute_query(
        "MATCH (p:Project)-[:USES]->(a:Artifact) WITH p, collect(a.id) AS used WHERE size(used) >= 2 "
        "RETURN p.id AS project, used[0] AS first, used[1] AS second ORDER BY project LIMIT 1"
    ).records[0]
    project, first, second = row["project"], row["first"], row["second"]

    def change_of(ids):
        found = {p["project"]["id"]: p for p in projects_of(page_of(demo, ids, depth=1))}
        return found[project]

    alone = [change_of([first]), change_of([second])]
    both = change_of([first, second])
    assert both["rescoring"] == "SEVERAL_REMOVED" and sorted(both["removedUsed"]) == sorted([first, second])
    expected = min(1.0, max(0.0, both["successNow"] + alone[0]["change"] + alone[1]["change"]))
    assert both["successWithout"] == pytest.approx(expected, abs=1e-9)


def test_dependents_and_lineage(demo):
    answer = data(
        demo,
        '{ artifact(id: "data:clickstream") { '
        "dependents(depth: 3, first: 100) { totalCount edges { node { project { id } depth path { id } } } } "
        "lineage(direction: DOWNSTREAM, depth: 2) { totalCount edges { node { artifact { id } depth path { id } } } } "
        '} top: artifact(id: "model:two-tower") { '
        "lineage(direction: UPSTREAM, depth: 5) { edges { node { artifact { id } depth path { id } } } } "
        "one: lineage(direction: UPSTREAM, depth: 1) { totalCount } } }",
    )
    impact = projects_of(impact_of(demo, ["data:clickstream"], depth=3))
    dependents = [e["node"] for e in answer["artifact"]["dependents"]["edges"]]
    assert [(d["project"]["id"], d["depth"]) for d in dependents] == [(p["project"]["id"], p["depth"]) for p in impact]
    down = [e["node"] for e in answer["artifact"]["lineage"]["edges"]]
    assert [(s["artifact"]["id"], s["depth"]) for s in down] == [("feat:user-activity", 1), ("model:two-tower", 2)]
    assert [a["id"] for a in down[1]["path"]] == ["data:clickstream", "feat:user-activity", "model:two-tower"]
    up = [e["node"] for e in answer["top"]["lineage"]["edges"]]
    assert [(s["artifact"]["id"], s["depth"]) for s in up] == [("feat:user-activity", 1), ("data:clickstream", 2)]
    assert answer["top"]["one"]["totalCount"] == 1


RECOMMEND = "query($p: ID!) { recommendArtifacts(projectId: $p, k: 100) { artifact { id } } }"
DEPRECATE = """
mutation($id: ID!, $reason: String!, $replacement: ID) {
  deprecateArtifact(id: $id, reason: $reason, replacementId: $replacement) {
    id deprecation { reason deprecatedAt replacement { id }
      affectedProjects(first: 50, alternatives: 3) {
        totalCount edges { node { id } alternatives { artifact { id kind deprecation { reason } } rank } } } }
  }
}
"""


def test_a_deprecated_artifact_is_never_recommended_and_its_users_get_alternatives(trained, demo, graph):
    row = graph.execute_query(
        "MATCH (m:Model {task: 'artifacts', active: true}) "
        "MATCH (p:Project)-[r:RECOMMENDED {model_version: m.version}]->(a:Artifact) "
        "WHERE r.rank = 1 AND COUNT { (:Project)-[:USES]->(a) } >= 3 "
        "RETURN p.id AS project, a.id AS artifact, a.kind AS kind ORDER BY project LIMIT 1"
    ).records[0]
    project, target = row["project"], row["artifact"]
    assert target in {r["artifact"]["id"] for r in data(demo, RECOMMEND, {"p": project})["recommendArtifacts"]}
    replacement = graph.execute_query(
        "MATCH (a:Artifact) WHERE a.id <> $id RETURN a.id AS id ORDER BY id LIMIT 1", id=target
    ).records[0]["id"]

    answer = data(demo, DEPRECATE, {"id": target, "reason": "superseded", "replacement": replacement})
    deprecation = answer["deprecateArtifact"]["deprecation"]
    assert deprecation["reason"] == "superseded" and deprecation["replacement"] == {"id": replacement}
    assert deprecation["affectedProjects"]["totalCount"] == len(users(graph, target))
    for edge in deprecation["affectedProjects"]["edges"]:
        alternatives = edge["alternatives"]
        assert [a["rank"] for a in alternatives] == sorted(a["rank"] for a in alternatives)
        assert all(a["artifact"]["kind"] == row["kind"] and a["artifact"]["deprecation"] is None for a in alternatives)
        assert target not in {a["artifact"]["id"] for a in alternatives}
    # Some project using it is offered an alternative by the trained recommender.
    assert any(edge["alternatives"] for edge in deprecation["affectedProjects"]["edges"])

    # Every project the model had recommended it to.
    recommended_to = graph.execute_query(
        "MATCH (m:Model {task: 'artifacts', active: true}) "
        "MATCH (p:Project)-[:RECOMMENDED {model_version: m.version}]->(:Artifact {id: $id}) RETURN p.id AS id",
        id=target,
    ).records
    assert recommended_to
    for pid in [r["id"] for r in recommended_to]:
        recommended = {r["artifact"]["id"] for r in data(demo, RECOMMEND, {"p": pid})["recommendArtifacts"]}
        assert target not in recommended
    team = data(demo, "query($p: ID!) { composeTeam(projectId: $p, size: 2) { neededArtifactIds } }", {"p": project})
    needed = set(team["composeTeam"]["neededArtifactIds"]) - users_of_project(graph, project)
    assert target not in needed
    events = data(
        demo,
        'query($t: String) { auditEvents(filter: {targetId: $t, action: "deprecateArtifact"}) { totalCount '
        "edges { node { targets changedFields } } } }",
        {"t": target},
    )["auditEvents"]
    assert events["totalCount"] == 1 and events["edges"][0]["node"]["targets"] == [target, replacement]

    undone = data(
        demo, "mutation($id: ID!) { undeprecateArtifact(id: $id) { deprecation { reason } } }", {"id": target}
    )
    assert undone["undeprecateArtifact"]["deprecation"] is None
    assert target in {r["artifact"]["id"] for r in data(demo, RECOMMEND, {"p": project})["recommendArtifacts"]}


def users_of_project(graph, project: str) -> set[str]:
    rows = graph.execute_query("MATCH (:Project {id: $id})-[:USES]->(a) RETURN a.id AS id", id=project)
    return {r["id"] for r in rows.records}


def test_bad_input_is_refused_and_writes_nothing(demo, graph):
    audit_before = count(graph, "MATCH (e:AuditEvent) RETURN count(e)")

    def refusal(ids, depth=3):
        return error_of(demo, IMPACT, {"ids": ids, "depth": depth})["extensions"]

    assert refusal(["ghost"]) == {"code": "NOT_FOUND", "type": "Artifact", "id": "ghost", "field": "artifactIds"}
    assert refusal(["data:clickstream"], depth=0)["field"] == "depth"
    assert refusal(["data:clickstream"], depth=6)["field"] == "depth"
    assert refusal([])["field"] == "artifactIds"
    assert refusal([f"a{i}" for i in range(21)])["field"] == "artifactIds"
    assert refusal(["bad id"])["field"] == "artifactIds"
    lineage = error_of(
        demo, '{ artifact(id: "data:clickstream") { lineage(direction: UPSTREAM, depth: 9) { totalCount } } }'
    )
    assert lineage["extensions"]["field"] == "depth"

    def deprecate_refusal(artifact, reason="old", replacement=None):
        variables = {"id": artifact, "reason": reason, "replacement": replacement}
        return error_of(demo, DEPRECATE, variables)["extensions"]

    assert deprecate_refusal("ghost")["code"] == "NOT_FOUND"
    assert deprecate_refusal("data:clickstream", replacement="ghost")["field"] == "replacementId"
    assert deprecate_refusal("data:clickstream", replacement="data:clickstream")["field"] == "replacementId"
    assert deprecate_refusal("data:clickstream", reason="  ")["field"] == "reason"
    assert count(graph, "MATCH (a:Artifact) WHERE a.deprecated_at IS NOT NULL RETURN count(a)") == 0
    assert count(graph, "MATCH (e:AuditEvent) RETURN count(e)") == audit_before


def test_deprecation_needs_the_write_scope(production, neo4j_target, graph):
    reader = access_token(production, register_client(neo4j_target, "impact-reader", scope="read"))
    refused = error_of(production, DEPRECATE, {"id": "data:clickstream", "reason": "old"}, **bearer(reader))
    assert refused["extensions"]["code"] == "FORBIDDEN"
    assert count(graph, "MATCH (a:Artifact) WHERE a.deprecated_at IS NOT NULL RETURN count(a)") == 0
