"""A person's roles on a project (or on several): the `roles` list of their MEMBER_OF relationship."""

from __future__ import annotations

import neo4j

from maestro_graph.db.graph import fetch, fetch_one

ROLES = """
MATCH (:Person {id: $person_id})-[m:MEMBER_OF]->(:Project {id: $project_id})
RETURN coalesce(m.roles, []) AS roles
"""


ROLES_ON_PROJECTS = """
MATCH (:Person {id: $person_id})-[m:MEMBER_OF]->(p:Project)
WHERE p.id IN $project_ids
RETURN p.id AS project_id, coalesce(m.roles, []) AS roles
"""


async def roles(tx: neo4j.AsyncManagedTransaction, person_id: str, project_id: str) -> list[str]:
    row = await fetch_one(tx, ROLES, person_id=person_id, project_id=project_id)
    return list(row["roles"]) if row else []


async def roles_on_projects(
    tx: neo4j.AsyncManagedTransaction, person_id: str, project_ids: list[str]
) -> dict[str, list[str]]:
    """The person's roles on each of `project_ids` it is a member of, in one query (a bulk write's projects)."""
    rows = await fetch(tx, ROLES_ON_PROJECTS, person_id=person_id, project_ids=project_ids)
    return {row["project_id"]: list(row["roles"]) for row in rows}
