"""Sentence embeddings of projects and artifacts, stored on the nodes.

Each node keeps `embedding` (384 floats for all-MiniLM-L6-v2) and `embedding_key`, a
hash of the embedder's name and the text it embedded, so a run embeds only the nodes
whose name or description changed since the last one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import neo4j
import numpy as np

from maestro_graph.ml.text_embedding import Embedder, node_text
from maestro_graph.repositories import embeddings

_WRITE_BATCH = 2048


@dataclass(frozen=True)
class EmbedReport:
    label: str
    nodes: int
    embedded: int


def embedding_key(embedder: Embedder, text: str) -> str:
    name = getattr(embedder, "name", type(embedder).__name__)
    return hashlib.sha1(f"{name}\n{text}".encode()).hexdigest()


def embed_nodes(
    driver: neo4j.Driver,
    database: str,
    embedder: Embedder,
    batch_size: int = 256,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> list[EmbedReport]:
    """Embed every project and artifact whose text changed; returns what was done per label."""
    reports = []
    for label in embeddings.EMBEDDED_LABELS:
        records = embeddings.embedding_state(driver, database, label)
        stale = []
        for record in records:
            text = node_text(record["name"], record["description"])
            key = embedding_key(embedder, text)
            if key != record["key"]:
                stale.append((record["id"], text, key))
        # The encoder pads every batch to its longest text; embedding in length order keeps
        # each batch's lengths alike, so a run pays little for padding (bench/text_encoder.py).
        stale.sort(key=lambda entry: len(entry[1]))
        pending: list[dict] = []
        for start in range(0, len(stale), batch_size):
            chunk = stale[start : start + batch_size]
            vectors = np.asarray(embedder([text for _, text, _ in chunk]), dtype=np.float32)
            pending += [
                {"id": node_id, "key": key, "vector": vector.tolist()}
                for (node_id, _, key), vector in zip(chunk, vectors, strict=True)
            ]
            done = start + len(chunk)
            # Written in larger transactions than embedded: a re-embedding after an import
            # writes every node, and each transaction has a fixed cost.
            if len(pending) >= _WRITE_BATCH or done == len(stale):
                embeddings.write_embeddings(driver, database, label, pending)
                pending = []
            if on_progress:
                on_progress(label, done, len(stale))
        reports.append(EmbedReport(label, len(records), len(stale)))
    return reports
