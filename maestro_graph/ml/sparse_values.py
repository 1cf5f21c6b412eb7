"""Single entries of a large sparse matrix, looked up by binary search within their rows.

`matrix[rows, cols]` on a CSR matrix (scipy's `csr_sample_values`) scans each entry's whole row
unless the lookups outnumber a tenth of the matrix's stored entries, so a few thousand lookups
in rows of hundreds of thousands of entries (the item cosine of a much used artifact in a large
graph) cost the rows' length each: the `because` of the recommendations grew faster than the
graph. A binary search costs the logarithm of the row's length.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def sorted_csr(matrix: sp.spmatrix | sp.sparray) -> sp.csr_matrix:
    """`matrix` as CSR with each row's column indices sorted and no duplicates, as `values` needs."""
    csr = sp.csr_matrix(matrix)
    csr.sum_duplicates()  # also sorts the indices
    return csr


def values(matrix: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """`matrix[rows[i], cols[i]]` for every i (0 where nothing is stored); `matrix` from `sorted_csr`."""
    if not matrix.has_canonical_format:
        raise ValueError("the matrix needs sorted indices without duplicates: pass it through sorted_csr")
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    low = matrix.indptr[rows].astype(np.int64)
    high = matrix.indptr[rows + 1].astype(np.int64)
    end = high.copy()
    # All the lookups' binary searches advance together, one halving per pass.
    while True:
        searching = low < high
        if not searching.any():
            break
        middle = (low + high) // 2
        right = searching & (matrix.indices[np.minimum(middle, len(matrix.indices) - 1)] < cols)
        low = np.where(right, middle + 1, low)
        high = np.where(searching & ~right, middle, high)
    found = low < end
    found[found] = matrix.indices[low[found]] == cols[found]
    out = np.zeros(len(rows), dtype=matrix.dtype)
    out[found] = matrix.data[low[found]]
    return out
