"""Tests for the BERT math against straightforward float64 implementations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rekall.search import bert_math
from rekall.search.bert_math import BertWeights, LayerWeights


def reference_gelu(x: np.ndarray) -> np.ndarray:
    erf = np.vectorize(math.erf)
    values = x.astype(np.float64)
    return 0.5 * values * (1.0 + erf(values / math.sqrt(2.0)))


def test_half_erfc_matches_math_erfc() -> None:
    a = np.concatenate(
        [np.linspace(0.0, 12.0, 50_001, dtype=np.float32), np.float32([30, 1e4, 3e38, np.inf])]
    )
    expected = np.array([math.erfc(float(v) / math.sqrt(2)) / 2 for v in a])
    with np.errstate(over="ignore"):
        got = bert_math.half_erfc_scaled(a).astype(np.float64)
    # float32 arithmetic: a few ulps of 0.5 at most (GELU then multiplies this by |x|, so
    # near 0, where the error peaks, it vanishes), and small relative error in the tail.
    assert np.max(np.abs(got - expected)) < 3e-7
    tail = expected > 1e-30
    assert np.max(np.abs(got[tail] - expected[tail]) / expected[tail]) < 2e-5


def test_gelu_matches_the_erf_form() -> None:
    rng = np.random.default_rng(3)
    x = np.concatenate(
        [
            rng.standard_normal(20_000).astype(np.float32) * 3,
            np.linspace(-12, 12, 10_001, dtype=np.float32),
            np.array([0.0, -0.0, 1e-30, -1e-30, 40.0, -40.0], dtype=np.float32),
        ]
    )
    # gelu_ works on 2-D blocks; an odd number of rows exercises the last partial block.
    matrix = np.resize(x, (x.size // 131, 131)).astype(np.float32)
    expected = reference_gelu(matrix)
    got = bert_math.gelu_(matrix.copy())
    assert got.dtype == np.float32
    assert np.max(np.abs(got - expected) / np.maximum(np.abs(expected), 1.0)) < 5e-7


def test_layer_norm_matches_definition() -> None:
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((37, 384)) * 5 + 2).astype(np.float32)
    weight = rng.standard_normal(384).astype(np.float32)
    bias = rng.standard_normal(384).astype(np.float32)
    values = x.astype(np.float64)
    mean = values.mean(axis=1, keepdims=True)
    var = values.var(axis=1, keepdims=True)
    expected = (values - mean) / np.sqrt(var + 1e-12) * weight + bias
    got = bert_math.layer_norm(x, (weight, bias), 1e-12)
    assert np.max(np.abs(got - expected)) < 1e-5


def test_softmax_with_shared_shift_matches_rows() -> None:
    rng = np.random.default_rng(5)
    scores = (rng.standard_normal((6, 7, 7)) * 8).astype(np.float32)
    expected = np.exp(scores - scores.max(axis=-1, keepdims=True))
    expected /= expected.sum(axis=-1, keepdims=True)
    got = scores.copy()
    assert bert_math.softmax_(got)
    assert np.max(np.abs(got - expected)) < 1e-6


def test_softmax_reports_underflow_and_rows_version_handles_it() -> None:
    scores = np.zeros((1, 2, 3), dtype=np.float32)
    scores[0, 1] = [-200.0, -201.0, -202.0]  # far below the other row's maximum
    assert not bert_math.softmax_(scores.copy())
    bert_math.softmax_rows_(scores)
    expected = np.exp(-np.arange(3.0)) / np.exp(-np.arange(3.0)).sum()
    assert np.allclose(scores[0, 1], expected, atol=1e-7)
    assert np.allclose(scores[0, 0], 1 / 3, atol=1e-7)


def random_weights(rng: np.random.Generator, hidden: int = 16, heads: int = 4) -> BertWeights:
    def matrix(rows: int, cols: int) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) / math.sqrt(cols)).astype(np.float32)

    def vector(size: int, centre: float = 0.0) -> np.ndarray:
        return (centre + 0.1 * rng.standard_normal(size)).astype(np.float32)

    def pair(rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
        return matrix(rows, cols), vector(rows)

    def norm() -> tuple[np.ndarray, np.ndarray]:
        return vector(hidden, 1.0), vector(hidden)

    inner = 4 * hidden
    layers = tuple(
        LayerWeights(
            query=pair(hidden, hidden),
            key=pair(hidden, hidden),
            value=pair(hidden, hidden),
            attention_output=pair(hidden, hidden),
            attention_norm=norm(),
            intermediate=pair(inner, hidden),
            output=pair(hidden, inner),
            output_norm=norm(),
        )
        for _ in range(2)
    )
    return BertWeights(
        word_embeddings=matrix(50, hidden),
        position_embeddings=matrix(40, hidden),
        token_type_embeddings=matrix(2, hidden),
        embedding_norm=norm(),
        layers=layers,
        heads=heads,
        eps=1e-12,
    )


def reference_encode(weights: BertWeights, ids: list[int]) -> np.ndarray:
    """One unpadded sequence, float64, written as plainly as possible."""

    def f64(a: np.ndarray) -> np.ndarray:
        return a.astype(np.float64)

    def norm(x: np.ndarray, params: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        var = x.var(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(var + weights.eps) * f64(params[0]) + f64(params[1])

    def dense(x: np.ndarray, params: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        return x @ f64(params[0]).T + f64(params[1])

    seq = len(ids)
    h = f64(weights.word_embeddings[ids]) + f64(weights.position_embeddings[:seq])
    h = norm(h + f64(weights.token_type_embeddings[0]), weights.embedding_norm)
    size = h.shape[1] // weights.heads
    for layer in weights.layers:
        heads = []
        q, k, v = dense(h, layer.query), dense(h, layer.key), dense(h, layer.value)
        for i in range(weights.heads):
            cols = slice(i * size, (i + 1) * size)
            scores = q[:, cols] @ k[:, cols].T / math.sqrt(size)
            probs = np.exp(scores - scores.max(axis=1, keepdims=True))
            probs /= probs.sum(axis=1, keepdims=True)
            heads.append(probs @ v[:, cols])
        h = norm(
            dense(np.concatenate(heads, axis=1), layer.attention_output) + h, layer.attention_norm
        )
        inner = reference_gelu(dense(h, layer.intermediate))
        h = norm(dense(inner, layer.output) + h, layer.output_norm)
    pooled = h.mean(axis=0)
    return pooled / np.linalg.norm(pooled)


@pytest.mark.parametrize("lengths", [[5], [3, 9, 1, 9], [2, 30, 7]])
def test_padded_batch_matches_reference_per_sequence(lengths: list[int]) -> None:
    rng = np.random.default_rng(sum(lengths))
    weights = random_weights(rng)
    sequences = [list(rng.integers(0, 50, size=n)) for n in lengths]
    seq = max(lengths)
    ids = np.zeros((len(lengths), seq), dtype=np.int64)
    mask = np.zeros((len(lengths), seq), dtype=np.float32)
    for row, tokens in enumerate(sequences):
        ids[row, : len(tokens)] = tokens
        mask[row, : len(tokens)] = 1
    got = bert_math.embed_tokens(weights, ids, mask)
    assert got.dtype == np.float32
    assert got.shape == (len(lengths), 16)
    for row, tokens in enumerate(sequences):
        assert np.max(np.abs(got[row] - reference_encode(weights, tokens))) < 2e-6


def test_attention_falls_back_when_a_row_underflows(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    rows_softmax = bert_math.softmax_rows_

    def counting(scores: np.ndarray) -> None:
        calls.append(scores.shape)
        rows_softmax(scores)

    monkeypatch.setattr(bert_math, "softmax_rows_", counting)
    rng = np.random.default_rng(9)
    weights = random_weights(rng)
    # Huge query weights make one head's rows differ by far more than exp's range.
    layer = weights.layers[0]
    scaled = LayerWeights(
        query=(layer.query[0] * np.float32(400), layer.query[1]),
        key=layer.key,
        value=layer.value,
        attention_output=layer.attention_output,
        attention_norm=layer.attention_norm,
        intermediate=layer.intermediate,
        output=layer.output,
        output_norm=layer.output_norm,
    )
    weights = BertWeights(
        weights.word_embeddings,
        weights.position_embeddings,
        weights.token_type_embeddings,
        weights.embedding_norm,
        (scaled,),
        weights.heads,
        weights.eps,
    )
    tokens = list(rng.integers(0, 50, size=12))
    ids = np.array([tokens], dtype=np.int64)
    got = bert_math.embed_tokens(weights, ids, np.ones((1, 12), dtype=np.float32))
    assert calls, "the fallback was not exercised"
    assert np.all(np.isfinite(got))
    assert np.max(np.abs(got[0] - reference_encode(weights, tokens))) < 1e-5
