"""A person's roles on a project: the `roles` list of their MEMBER_OF relationship."""

from __future__ import annotations

import neo4j

from maestro_graph.db.graph import fetch_one

ROLES = """
MATCH (:Person {id: $person_id})-[m:MEMBER_OF]->(:Project {id: $project_id})
RETURN coalesce(m.roles, []) AS roles
"""


async def roles(tx: neo4j.AsyncManagedTransaction, person_id: str, project_id: str) -> list[str]:
    row = await fetch_one(tx, ROLES, person_id=person_id, project_id=project_id)
    return list(row["roles"]) if row else []
