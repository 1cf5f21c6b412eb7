"""Batches of a stream, and a stream produced ahead in a thread: order kept, errors surfaced."""

from __future__ import annotations

import threading

import pytest

from maestro_graph.iterables import batched, produced_ahead


def test_batches_keep_order_and_the_last_is_shorter():
    assert list(batched(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(batched([], 3)) == []
    with pytest.raises(ValueError, match="at least 1"):
        list(batched(range(3), 0))


def test_items_produced_ahead_arrive_in_order_from_another_thread():
    producers = set()

    def items():
        for i in range(50):
            producers.add(threading.get_ident())
            yield i

    assert list(produced_ahead(items(), depth=3)) == list(range(50))
    assert producers and threading.get_ident() not in producers


def test_an_error_while_producing_is_raised_after_the_items_before_it():
    def items():
        yield 1
        yield 2
        raise RuntimeError("scoring failed")

    seen = []
    with pytest.raises(RuntimeError, match="scoring failed"):
        for item in produced_ahead(items()):
            seen.append(item)
    assert seen == [1, 2]
