"""Sentence-encoder throughput and quality: each variant beside the float model in one run.

    python bench/text_encoder.py [BUNDLE_DIR] [--texts N] [--queries Q] [--rounds R]

The served encoder runs in bfloat16 where the CPU multiplies it in hardware (AMX or AVX-512
BF16; `MAESTRO_ENCODER_PRECISION`); every variant here names its precision, so the table is
the same whatever the machine picks by default.

Embeds N node texts of the bundle (projects and artifacts, as `train` does) with every
variant, rounds interleaved so a busy machine slows all of them alike, and prints texts/s,
the speed-up over the float model, the mean and worst cosine between each variant's vector
and the float one, and search quality: for Q fixed queries (project descriptions held out
of the corpus), how many of the float model's top 10 each variant also returns.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from maestro_graph.ml.text_embedding import MiniLMEmbedder, native_bfloat16, node_text

DEFAULT_BUNDLE = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "debian-bullseye"


def bundle_texts(bundle: Path) -> list[str]:
    texts: list[str] = []
    for name in ("projects.csv.gz", "artifacts.csv.gz"):
        with gzip.open(bundle / name, "rt", newline="") as handle:
            texts.extend(node_text(row["name"], row.get("description")) for row in csv.DictReader(handle))
    return texts


def overlap_at_10(
    reference: np.ndarray, candidate: np.ndarray, corpus_ref: np.ndarray, corpus_cand: np.ndarray
) -> float:
    """Mean share of each query's top 10 under `reference` that `candidate` also ranks in its top 10."""
    top_ref = np.argsort(-(reference @ corpus_ref.T), axis=1)[:, :10]
    top_cand = np.argsort(-(candidate @ corpus_cand.T), axis=1)[:, :10]
    return float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(top_ref, top_cand, strict=True)]))


def int8_dynamic(embedder: MiniLMEmbedder) -> MiniLMEmbedder:
    """The same packaged weights with every linear layer quantised dynamically to int8
    (weights int8, activations quantised per batch): nothing extra shipped or downloaded."""
    import torch

    embedder._model = torch.ao.quantization.quantize_dynamic(embedder._load(), {torch.nn.Linear}, dtype=torch.qint8)
    return embedder


class InChunks:
    """`embedder` called on consecutive chunks of `size` texts in the order given, as
    `embed_nodes` did before it sorted a run's texts by length: the encoder pads each batch
    to its longest text, so a chunk of mixed lengths pays for padding the sorted whole avoids."""

    def __init__(self, embedder: MiniLMEmbedder, size: int = 256):
        self.embedder, self.size = embedder, size

    def __call__(self, texts: list[str]) -> np.ndarray:
        return np.vstack([self.embedder(texts[i : i + self.size]) for i in range(0, len(texts), self.size)])


def truncated(embedder: MiniLMEmbedder, tokens: int) -> MiniLMEmbedder:
    """The same model reading at most `tokens` word pieces of each text (the packaged default: 256)."""
    embedder._load().max_seq_length = tokens
    return embedder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bundle", nargs="?", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--texts", type=int, default=4000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    texts = bundle_texts(args.bundle)
    rng.shuffle(texts)
    queries, corpus = texts[: args.queries], texts[args.queries : args.queries + args.texts]

    variants: dict[str, Callable[[list[str]], np.ndarray]] = {
        "float32 (batch 128)": MiniLMEmbedder(precision="float32"),
        "bfloat16 (batch 128)": MiniLMEmbedder(precision="bfloat16"),
        "float32 (batch 32)": MiniLMEmbedder(batch_size=32, precision="float32"),
        "float32, chunks of 256": InChunks(MiniLMEmbedder(precision="float32")),
        "float32, 128 tokens": truncated(MiniLMEmbedder(precision="float32"), 128),
        "int8 dynamic (batch 128)": int8_dynamic(MiniLMEmbedder(precision="float32")),
    }
    for embedder in variants.values():  # load outside the timed rounds
        embedder(["warm up"])

    seconds: dict[str, list[float]] = {name: [] for name in variants}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(args.rounds):
        for name, embedder in variants.items():
            started = time.perf_counter()
            vectors[name] = embedder(corpus)
            seconds[name].append(time.perf_counter() - started)
    query_vectors = {name: embedder(queries) for name, embedder in variants.items()}

    reference = "float32 (batch 128)"
    base_rate = len(corpus) / statistics.median(seconds[reference])
    import torch

    print(f"{len(corpus)} texts, {args.queries} queries, median of {args.rounds} interleaved rounds")
    print(f"CPU multiplies bfloat16 in hardware: {native_bfloat16()}; torch threads: {torch.get_num_threads()}")
    print(f"{'variant':26} {'texts/s':>8} {'speed-up':>9} {'cos mean':>9} {'cos min':>8} {'top-10 kept':>12}")
    for name in variants:
        rate = len(corpus) / statistics.median(seconds[name])
        cosines = np.sum(vectors[name] * vectors[reference], axis=1)
        kept = overlap_at_10(query_vectors[reference], query_vectors[name], vectors[reference], vectors[name])
        print(f"{name:26} {rate:8.0f} {rate / base_rate:8.2f}x {cosines.mean():9.4f} {cosines.min():8.4f} {kept:12.3f}")


if __name__ == "__main__":
    main()
