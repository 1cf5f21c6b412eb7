// Full-text search over names and descriptions of every kind of node (the `search` query).
CREATE FULLTEXT INDEX entity_text IF NOT EXISTS
FOR (n:Project|Artifact|Person|Team) ON EACH [n.name, n.description];
// Filters and sort orders of the list queries.
CREATE INDEX project_name IF NOT EXISTS FOR (n:Project) ON (n.name);
CREATE INDEX project_section IF NOT EXISTS FOR (n:Project) ON (n.section);
CREATE INDEX project_status IF NOT EXISTS FOR (n:Project) ON (n.status);
CREATE INDEX artifact_name IF NOT EXISTS FOR (n:Artifact) ON (n.name);
CREATE INDEX artifact_kind IF NOT EXISTS FOR (n:Artifact) ON (n.kind);
CREATE INDEX person_name IF NOT EXISTS FOR (n:Person) ON (n.name);
CREATE INDEX team_name IF NOT EXISTS FOR (n:Team) ON (n.name);
CREATE INDEX metric_name IF NOT EXISTS FOR (n:Metric) ON (n.name);
