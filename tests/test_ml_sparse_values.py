"""`sparse_values.values`: the entries of a sparse matrix by binary search, equal to indexing it."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from maestro_graph.ml.sparse_values import sorted_csr, values


@pytest.mark.parametrize("density", [0.0, 0.01, 0.3, 1.0])
def test_values_equal_dense_indexing(density):
    rng = np.random.default_rng(7)
    dense = sp.random(40, 300, density=density, random_state=3, format="coo").toarray()
    dense[5] = 0.0  # an empty row
    dense[6] = rng.random(300) + 0.5  # a full row
    matrix = sorted_csr(sp.coo_matrix(dense))
    rows = rng.integers(0, 40, size=5000)
    cols = rng.integers(0, 300, size=5000)
    rows[:300], cols[:300] = 6, np.arange(300)  # every column of the full row, first and last among them
    rows[300:310], cols[300:310] = 5, np.arange(10)
    assert np.array_equal(values(matrix, rows, cols), dense[rows, cols])


def test_duplicates_are_summed_and_unsorted_input_refused():
    coo = sp.coo_matrix((np.array([1.0, 2.0, 4.0]), (np.array([0, 0, 1]), np.array([3, 3, 0]))), shape=(2, 5))
    assert values(sorted_csr(coo), np.array([0, 1, 1]), np.array([3, 0, 4])).tolist() == [3.0, 4.0, 0.0]
    unsorted = sp.csr_matrix((np.array([1.0, 2.0]), np.array([4, 1]), np.array([0, 2])), shape=(1, 5))
    with pytest.raises(ValueError, match="sorted_csr"):
        values(unsorted, np.array([0]), np.array([1]))


def test_no_lookups():
    assert values(sorted_csr(sp.eye(3)), np.array([], dtype=int), np.array([], dtype=int)).shape == (0,)
