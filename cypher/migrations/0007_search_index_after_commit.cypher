// Full-text search updated just after each commit instead of inside it. A commit that wrote a
// name or description of a node under both this index and a vector index (projects, artifacts)
// paid a synchronous Lucene refresh of both, one commit at a time: writes of those nodes
// queued behind each other (25 writes/s from 20 clients). Eventually consistent, the index is
// brought up to date by Neo4j in the background, and the search query waits for it
// (db.index.fulltext.awaitEventuallyConsistentIndexRefresh), so a search still sees every
// write committed before it. Same name, labels, properties and analyzer as in 0002.
DROP INDEX entity_text IF EXISTS;
CREATE FULLTEXT INDEX entity_text IF NOT EXISTS
FOR (n:Project|Artifact|Person|Team) ON EACH [n.name, n.description]
OPTIONS {indexConfig: {`fulltext.eventually_consistent`: true}};
