"""Node feature matrices: text embeddings plus simple structure.

Structure features are cheap and label-free: log degrees per relation, a
hashed one-hot of the section (hashed so unseen sections in other data still
map somewhere without a fitted vocabulary) and a hashed bag of tags.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from maestro_graph.ml.text_embedding import Embedder, embed_texts
from maestro_graph.ml.usage_graph import UsageGraph

SECTION_BUCKETS = 32
TAG_BUCKETS = 64


@dataclass
class NodeFeatures:
    project: np.ndarray  # (n_projects, d_p) float32
    artifact: np.ndarray  # (n_artifacts, d_a) float32
    person: np.ndarray  # (n_people, d_h) float32


def _bucket(token: str, buckets: int) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little") % buckets


def hashed_onehot(values: list[str], buckets: int) -> np.ndarray:
    out = np.zeros((len(values), buckets), dtype=np.float32)
    for row, value in enumerate(values):
        if value:
            out[row, _bucket(value.lower(), buckets)] = 1.0
    return out


def hashed_tags(tag_strings: list[str], buckets: int) -> np.ndarray:
    """Bag of tags; each tag and its facet (the part before '::') gets a bucket."""
    out = np.zeros((len(tag_strings), buckets), dtype=np.float32)
    for row, tags in enumerate(tag_strings):
        for tag in (t.strip().lower() for t in tags.split(",")):
            if not tag:
                continue
            out[row, _bucket(tag, buckets)] = 1.0
            out[row, _bucket("facet:" + tag.split("::")[0], buckets)] = 1.0
    return out


def log_degree(index: np.ndarray, size: int) -> np.ndarray:
    return np.log1p(np.bincount(index, minlength=size)).astype(np.float32)[:, None]


def text_vectors(graph: UsageGraph, embedder: Embedder | None, cache_dir=None) -> tuple[np.ndarray, np.ndarray]:
    """Project and artifact text embeddings, or zero-width arrays when no embedder is given."""
    if embedder is None:
        return (np.zeros((graph.num_projects, 0), np.float32), np.zeros((graph.num_artifacts, 0), np.float32))
    vectors = embed_texts(graph.project_text + graph.artifact_text, embedder, cache_dir)
    return vectors[: graph.num_projects], vectors[graph.num_projects :]


def node_features(graph: UsageGraph, project_text: np.ndarray, artifact_text: np.ndarray) -> NodeFeatures:
    """Features from the (training) graph's structure and precomputed text vectors."""
    n_p, n_a, n_h = graph.num_projects, graph.num_artifacts, graph.num_people
    n_tags = np.array([len([t for t in tags.split(",") if t.strip()]) for tags in graph.project_tags])
    project = np.hstack(
        [
            project_text,
            log_degree(graph.uses[:, 0], n_p),
            log_degree(graph.members[:, 1], n_p),
            np.log1p(n_tags).astype(np.float32)[:, None],
            hashed_onehot(graph.project_section, SECTION_BUCKETS),
            hashed_tags(graph.project_tags, TAG_BUCKETS),
        ]
    )
    artifact = np.hstack(
        [
            artifact_text,
            log_degree(graph.uses[:, 1], n_a),
            log_degree(graph.created[:, 1], n_a),
            log_degree(graph.derived[:, 0], n_a),
            log_degree(graph.derived[:, 1], n_a),
            hashed_onehot(graph.artifact_section, SECTION_BUCKETS),
            hashed_onehot(graph.artifact_kind, 8),
        ]
    )
    person = np.hstack(
        [
            log_degree(graph.members[:, 0], n_h),
            log_degree(graph.created[:, 0], n_h),
            graph.person_is_team.astype(np.float32)[:, None],
        ]
    )
    return NodeFeatures(
        project=project.astype(np.float32), artifact=artifact.astype(np.float32), person=person.astype(np.float32)
    )
