import numpy as np
import pytest

from maestro_graph.ml.evaluation import ranking_metrics


def test_recall_divides_by_min_of_k_and_hidden():
    ranked = [[1, 2, 3], [5, 6, 7]]
    hidden = [[1, 9], [7]]
    # query 1: 1 hit of 2 hidden; query 2: 1 hit of 1 hidden
    assert ranking_metrics.recall_at_k(ranked, hidden, k=3) == pytest.approx((0.5 + 1.0) / 2)
    many = list(range(20))
    assert ranking_metrics.recall_at_k([list(range(10))], [many], k=10) == pytest.approx(1.0)


def test_ndcg_perfect_and_late_hit():
    assert ranking_metrics.ndcg_at_k([[4, 5, 6]], [[4, 5]], k=3) == pytest.approx(1.0)
    late = ranking_metrics.ndcg_at_k([[1, 2, 4]], [[4]], k=3)
    assert late == pytest.approx(1.0 / np.log2(4))
    assert ranking_metrics.ndcg_at_k([[1, 2, 3]], [[9]], k=3) == 0.0


def test_top_k_breaks_ties_by_index():
    scores = np.array([[0.5, 0.9, 0.5, 0.1]])
    assert ranking_metrics.top_k(scores, 3).tolist() == [[1, 0, 2]]


def test_target_ranks_hit_rate_and_mrr():
    scores = np.array([[0.1, 0.9, 0.5], [0.3, 0.3, 0.2]])
    ranks = ranking_metrics.target_ranks(scores, np.array([2, 1]))
    assert ranks.tolist() == [2, 2]  # second row: tie with index 0, which comes first
    assert ranking_metrics.hit_rate_at_k(ranks, k=1) == 0.0
    assert ranking_metrics.hit_rate_at_k(ranks, k=2) == 1.0
    assert ranking_metrics.mean_reciprocal_rank(np.array([1, 4])) == pytest.approx(0.625)


def test_auc_and_ap():
    labels = np.array([0, 0, 1, 1])
    assert ranking_metrics.roc_auc(labels, np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert ranking_metrics.roc_auc(labels, np.array([0.9, 0.8, 0.2, 0.1])) == 0.0
    assert ranking_metrics.average_precision(labels, np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert np.isnan(ranking_metrics.roc_auc(np.array([1, 1]), np.array([0.1, 0.2])))


def test_top_k_matches_a_full_stable_sort_with_ties_infinities_and_nan():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 4, size=(50, 300)).astype(float)  # heavy ties
    scores[rng.random(scores.shape) < 0.05] = -np.inf
    scores[rng.random(scores.shape) < 0.02] = np.nan
    scores[0] = np.nan  # a row with nothing rankable
    expected = np.argsort(-scores, axis=1, kind="stable")[:, :10]
    assert np.array_equal(ranking_metrics.top_k(scores, 10), expected)
