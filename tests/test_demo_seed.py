from conftest import count, wipe

from maestro_graph.ingest.demo_seed import seed_demo


def test_demo_graph_has_every_kind_of_node_and_edge_and_is_idempotent(graph):
    wipe(graph)
    first = seed_demo(graph, "neo4j")
    kinds = {r["kind"] for r in graph.execute_query("MATCH (a:Artifact) RETURN DISTINCT a.kind AS kind").records}
    assert kinds == {"model", "dataset", "notebook", "pipeline", "feature", "library", "prompt"}
    for rel in ("USES", "MEMBER_OF", "IN_TEAM", "CREATED", "DERIVED_FROM"):
        assert count(graph, f"MATCH ()-[r:{rel}]->() RETURN count(r)") > 0, rel
    labelled = count(graph, "MATCH (p:Project) WHERE p.success IN [0, 1] RETURN count(p)")
    assert labelled == first["projects"] == 30
    total = count(graph, "MATCH (n) OPTIONAL MATCH (n)-[r]->() RETURN count(DISTINCT n) + count(r)")
    seed_demo(graph, "neo4j")
    assert count(graph, "MATCH (n) OPTIONAL MATCH (n)-[r]->() RETURN count(DISTINCT n) + count(r)") == total
