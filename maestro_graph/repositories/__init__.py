"""Every Cypher query of the service, one module per aggregate of the graph.

Callers never hold Cypher: they call a function of this package with plain parameters,
and every value reaches Neo4j as a query parameter. Labels and relationship types that a
query is built from are this package's own constants, never caller input.

Three forms, chosen by who runs the query:

- The API (GraphQL resolvers, HTTP endpoints) calls `async def` functions whose first
  argument is the `neo4j.AsyncManagedTransaction` of the request's unit of work
  (`GraphDB.read` / `GraphDB.write` in `db/graph.py`), so the queries of one answer share
  one transaction, its deadline and its round-trip count.
- Batch jobs (imports, embedding, training, export, publishing) use the sync driver:
  plain functions taking the `neo4j.Driver` and the database name (or a sync
  `neo4j.ManagedTransaction` / `neo4j.Session` where the job holds the transaction), each
  running its own managed transaction unless its docstring says otherwise. Such modules
  say so in their docstring (`usage_export`, `embeddings`, `model_publishing`,
  `git_sources`); a module serving both keeps its batch functions apart, at its end
  (`nodes`, `edges`, `metric_series`, `deployments`).
- Probes and scrapes (/readyz, /metrics) take the `GraphDB` and run one query, once,
  through `GraphDB.query_once`: they answer within their own timeout rather than a retry
  window (`predictions.active_models`).

Answers never carry embeddings: a node is returned as `nodes.public_properties(variable)`.
"""
