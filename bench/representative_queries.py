"""The representative reads of the GraphQL-versus-Cypher benchmark: each as a GraphQL document,
the hand-written Cypher that fetches the same data, and the kind of variables it takes."""

CASES = {
    "project + uses + members": (
        """query($id: ID!) { project(id: $id) { id name description
             uses(first: 20) { totalCount edges { node { id name kind } usage { kinds } } }
             members(first: 20) { totalCount edges { node { id kind } membership { roles } } } } }""",
        """MATCH (p:Project {id: $id})
           CALL (p) { MATCH (p)-[u:USES]->(a:Artifact) WITH a, u ORDER BY a.name, a.id LIMIT 20
                      RETURN collect({id: a.id, name: a.name, kind: a.kind, kinds: u.kinds}) AS uses }
           CALL (p) { MATCH (h:Person)-[m:MEMBER_OF]->(p) WITH h, m ORDER BY h.id LIMIT 20
                      RETURN collect({id: h.id, kind: h.kind, roles: m.roles}) AS members }
           RETURN p.id, p.name, p.description, uses, COUNT { (p)-[:USES]->() } AS uses_total,
                  members, COUNT { (p)<-[:MEMBER_OF]-() } AS members_total""",
        "project",
    ),
    "artifact usedBy, two levels": (
        """query($id: ID!) { artifact(id: $id) { id name
             usedBy(first: 10) { totalCount edges { node { id name
               uses(first: 10) { totalCount edges { node { id name } } } } } } } }""",
        """MATCH (a:Artifact {id: $id})
           CALL (a) { MATCH (p:Project)-[:USES]->(a) WITH p ORDER BY p.name, p.id LIMIT 10
             CALL (p) { MATCH (p)-[:USES]->(b:Artifact) WITH b ORDER BY b.name, b.id LIMIT 10
                        RETURN collect({id: b.id, name: b.name}) AS uses }
             RETURN collect({id: p.id, name: p.name, uses: uses, total: COUNT { (p)-[:USES]->() }}) AS users }
           RETURN a.id, a.name, users, COUNT { (a)<-[:USES]-() } AS users_total""",
        "artifact",
    ),
    "filtered, sorted page": (
        """query($section: String) { projects(first: 20, filter: {section: $section},
             orderBy: {field: NAME, direction: DESC}) { totalCount edges { node { id name section } } } }""",
        """MATCH (n:Project) WHERE n.section = $section
           WITH n ORDER BY n.name DESC, n.id DESC
           WITH collect(n {.id, .name, .section}) AS matching
           RETURN matching[..20] AS page, size(matching) AS total""",
        "section",
    ),
    "full-text search": (
        """query($text: String!) { search(text: $text, first: 10) { score node { id name } } }""",
        """CALL db.index.fulltext.queryNodes('entity_text', $text) YIELD node, score
           RETURN node.id, node.name, score ORDER BY score DESC, node.id LIMIT 10""",
        "text",
    ),
}
