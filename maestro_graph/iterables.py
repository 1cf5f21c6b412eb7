"""Streams of items in batches, and produced ahead in a thread while the caller works."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from queue import Queue
from threading import Thread
from typing import TypeVar

T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of `size` items in order (the last one shorter), never an empty one."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1, got {size}")
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def produced_ahead(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """`items`, with the next `depth` produced in a thread while the caller handles the
    current one: parsing or scoring (numpy and the CSV reader release the interpreter for much of
    their work) overlaps the caller's writes, which wait on Neo4j. An error raised while
    producing is raised here, at the item it stopped at."""
    done = object()
    queue: Queue = Queue(maxsize=depth)

    def produce() -> None:
        try:
            for item in items:
                queue.put(item)
            queue.put(done)
        except BaseException as error:  # surfaced in the consumer
            queue.put(error)

    Thread(target=produce, daemon=True).start()
    while True:
        item = queue.get()
        if item is done:
            return
        if isinstance(item, BaseException):
            raise item
        yield item
