"""The graph read back as the rows of a CSV bundle, for `maestro-graph export` (a batch job:
each function takes the sync `neo4j.Driver` and the database and streams one read query,
routed to a reader, in an auto-commit transaction; rows come ordered, so one graph always
exports the same files).

A USES edge gives one row per usage kind it holds, plus one at its last use when that differs
from its first, and a MEMBER_OF edge one row per role: the importer's upserts widen kinds,
roles and the first/last use from such rows, so importing them rebuilds each edge as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import neo4j

PROJECTS = """
MATCH (n:Project)
RETURN n.id AS project_id, n.name AS name, n.description AS description, n.section AS section,
       n.tags AS tags, n.status AS status, n.created_at AS created_at
ORDER BY n.id
"""
ARTIFACTS = """
MATCH (n:Artifact)
RETURN n.id AS artifact_id, n.name AS name, n.kind AS kind, n.description AS description,
       n.section AS section, n.version AS version, n.uri AS uri, n.created_at AS created_at
ORDER BY n.id
"""
PEOPLE = """
MATCH (n:Person)
RETURN n.id AS person_id, n.kind AS kind, n.name AS name, n.created_at AS created_at
ORDER BY n.id
"""
TEAMS = """
MATCH (n:Team)
RETURN n.id AS team_id, n.name AS name, n.description AS description, n.created_at AS created_at
ORDER BY n.id
"""
USES = """
CALL () {
  MATCH (p:Project)-[r:USES]->(a:Artifact)
  UNWIND CASE WHEN size(coalesce(r.kinds, [])) = 0 THEN [null] ELSE r.kinds END AS kind
  RETURN p.id AS project_id, a.id AS artifact_id, kind, r.count AS count, r.context AS context,
         r.first_used AS used_at
  UNION ALL
  MATCH (p:Project)-[r:USES]->(a:Artifact)
  WHERE r.last_used IS NOT NULL AND r.last_used <> r.first_used
  RETURN p.id AS project_id, a.id AS artifact_id, null AS kind, r.count AS count, r.context AS context,
         r.last_used AS used_at
}
RETURN project_id, artifact_id, kind, count, context, used_at
ORDER BY project_id, artifact_id, used_at, kind
"""
MEMBERS = """
MATCH (s:Person)-[r:MEMBER_OF]->(p:Project)
UNWIND CASE WHEN size(coalesce(r.roles, [])) = 0 THEN [null] ELSE r.roles END AS role
RETURN s.id AS person_id, p.id AS project_id, role, r.since AS since
ORDER BY person_id, project_id
"""
CREATED = """
MATCH (s:Person)-[r:CREATED]->(a:Artifact)
RETURN s.id AS person_id, a.id AS artifact_id, r.at AS at
ORDER BY person_id, artifact_id
"""
DERIVED_FROM = """
MATCH (a:Artifact)-[:DERIVED_FROM]->(s:Artifact)
RETURN a.id AS artifact_id, s.id AS source_id
ORDER BY artifact_id, source_id
"""
TEAM_MEMBERS = """
MATCH (s:Person)-[:IN_TEAM]->(t:Team)
RETURN s.id AS person_id, t.id AS team_id
ORDER BY person_id, team_id
"""
OUTCOMES = """
MATCH (n:Project) WHERE n.success IS NOT NULL
RETURN n.id AS project_id, n.success AS survived_next_release
ORDER BY n.id
"""

# Bundle file stem -> the query that reads its rows (columns named as the file's header).
QUERIES = {
    "projects": PROJECTS,
    "artifacts": ARTIFACTS,
    "people": PEOPLE,
    "teams": TEAMS,
    "uses": USES,
    "members": MEMBERS,
    "created": CREATED,
    "derived_from": DERIVED_FROM,
    "team_members": TEAM_MEMBERS,
    "outcomes": OUTCOMES,
}


def rows(driver: neo4j.Driver, database: str, stem: str) -> Iterator[dict[str, Any]]:
    """The rows of bundle file `stem`, streamed (never all in memory)."""
    with driver.session(database=database, default_access_mode=neo4j.READ_ACCESS) as session:
        for record in session.run(QUERIES[stem]):
            yield record.data()
