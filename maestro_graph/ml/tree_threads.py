"""How many threads gradient-boosted trees get: one.

scikit-learn's histogram trees run on OpenMP threads that spin while they wait for each other.
On a machine whose cores are busy with other work (a server, Neo4j, another job) that made a
small fit take 20-40 s instead of half a second; on an idle machine a second thread saves
little on the graphs here. One thread costs the same busy or idle, and the trees are the same
(their parallelism is over features and gives identical splits).
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from threadpoolctl import threadpool_limits

TREE_THREADS = 1


def tree_threads() -> AbstractContextManager:
    """Run the enclosed fit or prediction with TREE_THREADS OpenMP threads."""
    return threadpool_limits(limits=TREE_THREADS, user_api="openmp")
