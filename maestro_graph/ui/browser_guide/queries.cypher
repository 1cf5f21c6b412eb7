// The ready queries of the Neo4j Browser guide (/ui/browser-guide.html), and the ones the
// Explorer's "Open in Neo4j Browser" puts in Browser's editor. They are documentation shown
// to people: the service never runs them. tests/test_browser_guide.py runs each one in a
// READ transaction against a seeded graph and checks the columns named here.
//
// Each query starts with `// name:` and a header of `// key: value` lines, a comment line
// without a key continuing the value above it:
//   title     the slide's heading
//   shows     a sentence on what the answer shows
//   param     `name = value`, the value in JSON (a Cypher literal too); set with `:param`
//   columns   the columns the query returns, in order
//   explorer  the node label whose Explorer page opens this query; its first param is the id
// The Cypher follows, up to a line that ends with `;`.

// name: project-neighbourhood
// title: A project's neighbourhood and its recommendations
// shows: The project, the artifacts it uses, the people on it, and the artifacts the active
//   recommendation model suggests to it (best first, those it already uses left out), with the
//   Model node whose version made them: every RECOMMENDED relationship carries that version.
// param: projectId = "project:001"
// param: k = 5
// columns: project, uses, members, recommendations, model, modelVersion
// explorer: Project
MATCH (project:Project {id: $projectId})
OPTIONAL MATCH used = (project)-[:USES]->(:Artifact)
WITH project, collect(used) AS uses
OPTIONAL MATCH member = (:Person)-[:MEMBER_OF]->(project)
WITH project, uses, collect(member) AS members
OPTIONAL MATCH (model:Model {task: 'artifacts', active: true})
OPTIONAL MATCH recommended = (project)-[r:RECOMMENDED]->(candidate:Artifact)
  WHERE r.model_version = model.version AND NOT (project)-[:USES]->(candidate)
WITH project, uses, members, model, recommended ORDER BY r.rank
RETURN project, uses, members, collect(recommended)[..$k] AS recommendations, model,
       model.version AS modelVersion;

// name: who-to-put-on-a-project
// title: Who to put on a project
// shows: The people the active team model suggests for the project, best first, leaving out
//   its members: their teams, the artifacts of this project they already used on other
//   projects, and the model version that made the suggestion.
// param: projectId = "project:001"
// param: k = 5
// columns: personId, person, score, teams, knowsArtifacts, modelVersion
MATCH (model:Model {task: 'team', active: true})
MATCH (project:Project {id: $projectId})-[s:SUGGESTED]->(person:Person)
  WHERE s.model_version = model.version AND NOT (person)-[:MEMBER_OF]->(project)
OPTIONAL MATCH (person)-[:IN_TEAM]->(team:Team)
WITH model, project, s, person, collect(team.name) AS teams
OPTIONAL MATCH (person)-[:MEMBER_OF]->(other:Project)-[:USES]->(known:Artifact)<-[:USES]-(project)
  WHERE other <> project
WITH model, s, person, teams, collect(DISTINCT known.name) AS knowsArtifacts
RETURN person.id AS personId, person.name AS person, s.score AS score, teams, knowsArtifacts,
       model.version AS modelVersion
ORDER BY s.rank LIMIT $k;

// name: most-impactful-artifacts
// title: The most impactful artifacts
// shows: Artifacts ranked by their learned impact on project success (the active impact
//   model's predictions), with how many projects use each; set kind to e.g. "dataset" to rank
//   one kind only, or null for all.
// param: kind = null
// param: limit = 10
// columns: rank, artifactId, artifact, kind, impact, usedBy, modelVersion
MATCH (model:Model {task: 'impact', active: true})-[:MADE]->(prediction:Prediction)-[:ABOUT]->(artifact:Artifact)
  WHERE $kind IS NULL OR artifact.kind = $kind
OPTIONAL MATCH (artifact)<-[:USES]-(user:Project)
WITH model, prediction, artifact, count(user) AS usedBy
RETURN prediction.rank AS rank, artifact.id AS artifactId, artifact.name AS artifact, artifact.kind AS kind,
       prediction.score AS impact, usedBy, model.version AS modelVersion
ORDER BY rank LIMIT $limit;

// name: removed-artifact-impact
// title: The projects a removed artifact would affect
// shows: Every project that uses the artifact, or an artifact derived from it (up to five
//   derivations away), nearest first: hops is 0 for direct use, and through names the
//   artifacts the project actually uses.
// param: artifactId = "model:bert-base"
// columns: projectId, project, status, hops, through
// explorer: Artifact
MATCH (artifact:Artifact {id: $artifactId})
MATCH chain = (derived:Artifact)-[:DERIVED_FROM*0..5]->(artifact)
MATCH (project:Project)-[:USES]->(derived)
WITH project, min(length(chain)) AS hops, collect(DISTINCT derived.name) AS through
RETURN project.id AS projectId, project.name AS project, project.status AS status, hops, through
ORDER BY hops, projectId;

// name: person-neighbourhood
// title: A person's work
// shows: The person, the projects they work on (with their roles on the MEMBER_OF
//   relationships), the artifacts they created, and their teams.
// param: personId = "person:001"
// columns: person, projects, created, teams
// explorer: Person
MATCH (person:Person {id: $personId})
OPTIONAL MATCH membership = (person)-[:MEMBER_OF]->(:Project)
WITH person, collect(membership) AS projects
OPTIONAL MATCH made = (person)-[:CREATED]->(:Artifact)
WITH person, projects, collect(made) AS created
OPTIONAL MATCH belongs = (person)-[:IN_TEAM]->(:Team)
RETURN person, projects, created, collect(belongs) AS teams;

// name: team-neighbourhood
// title: A team and its projects
// shows: The team, its members, and the projects each member works on.
// param: teamId = "team:nlp"
// columns: team, members, projects
// explorer: Team
MATCH (team:Team {id: $teamId})
OPTIONAL MATCH (person:Person)-[:IN_TEAM]->(team)
OPTIONAL MATCH work = (person)-[:MEMBER_OF]->(:Project)
RETURN team, collect(DISTINCT person) AS members, collect(work) AS projects;
