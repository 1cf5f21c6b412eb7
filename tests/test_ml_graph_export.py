"""The graph read back from Neo4j equals the bundle it was imported from."""

from pathlib import Path

import numpy as np
from conftest import wipe

from maestro_graph.ingest.bundle_import import import_bundle
from maestro_graph.ml.training.graph_export import export_usage_graph
from maestro_graph.ml.usage_graph import UsageGraph

BUNDLE = {
    "projects.csv": "project_id,name,section,tags,description\n"
    'q1,one,libs,"a, b",First\nq2,two,games,,\nq3,three,libs,c,Third\n',
    "artifacts.csv": "artifact_id,name,section,description\nx1,ex,libs,Ex lib\nx2,why,libs,\n",
    "people.csv": "person_id,kind\nh1,person\nh2,team\n",
    "uses.csv": "project_id,artifact_id,kind\nq1,x1,depends\nq1,x2,depends\nq3,x2,recommends\n",
    "members.csv": "person_id,project_id,role\nh1,q1,maintainer\nh2,q3,uploader\n",
    "outcomes.csv": "project_id,survived_next_release\nq1,1\nq3,0\n",
}


def test_export_matches_bundle(graph, tmp_path: Path):
    wipe(graph)
    for name, text in BUNDLE.items():
        (tmp_path / name).write_text(text)
    import_bundle(graph, "neo4j", tmp_path)
    exported = export_usage_graph(graph, "neo4j")
    expected = UsageGraph.from_bundle(tmp_path)
    assert exported.project_ids == expected.project_ids == ["q1", "q2", "q3"]
    assert exported.artifact_ids == expected.artifact_ids
    assert exported.person_ids == expected.person_ids
    assert exported.project_text == expected.project_text == ["one: First", "two", "three: Third"]
    assert exported.project_section == expected.project_section
    assert exported.project_tags == ["a, b", "", "c"]
    assert exported.person_is_team.tolist() == [False, True]
    for name in ("uses", "members"):
        assert getattr(exported, name).tolist() == getattr(expected, name).tolist(), name
    np.testing.assert_array_equal(exported.success, expected.success)
