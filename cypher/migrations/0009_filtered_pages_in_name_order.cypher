// A page of nodes filtered by one of these properties and ordered by name is read in the
// index's order: the first rows of the filter's value only, where the single-property indexes
// made Neo4j read and sort every matching node (a section of 62,000 projects at 16x). The
// page queries (repositories/listing.py, `NAME_ORDER_INDEXES`) put the filter's property first
// in ORDER BY, which is constant among the matches, so Neo4j sees the order these provide.
CREATE INDEX project_section_name IF NOT EXISTS FOR (n:Project) ON (n.section, n.name);
CREATE INDEX project_status_name IF NOT EXISTS FOR (n:Project) ON (n.status, n.name);
CREATE INDEX artifact_section_name IF NOT EXISTS FOR (n:Artifact) ON (n.section, n.name);
