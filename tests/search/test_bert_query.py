"""Tests for the single-sequence forward pass against the float64 reference and the batch path."""

from __future__ import annotations

import math
import platform

import numpy as np
import pytest

from rekall.search import bert_query
from rekall.search.embedder import load_embedder
from tests.search.test_bert_math import random_weights, reference_encode
from tests.search.test_embedder import real_model_dir


@pytest.mark.parametrize("blocks", [(8,), (48,), bert_query.BLOCK_ROWS])
@pytest.mark.parametrize("length", [1, 2, 7, 32, 40])
def test_one_sequence_matches_reference(
    monkeypatch: pytest.MonkeyPatch, blocks: tuple[int, ...], length: int
) -> None:
    # hidden 16, inner 64: blocks of 8 rows go through the blocked products, 48 through
    # the whole-matrix fallback, the default through blocks of 16 and 32.
    monkeypatch.setattr(bert_query, "BLOCK_ROWS", blocks)
    got, reference = embedded_with_reference(length)
    assert got.dtype == np.float32
    assert got.shape == (16,)
    assert np.max(np.abs(got - reference)) < 2e-6


def embedded_with_reference(length: int) -> tuple[np.ndarray, np.ndarray]:
    """A random sequence of length tokens through random weights: bert_query's vector and
    the float64 reference's."""
    rng = np.random.default_rng(length)
    weights = random_weights(rng)
    tokens = list(rng.integers(0, 50, size=length))
    got = bert_query.embed_sequence(weights, np.array(tokens, dtype=np.int64))
    return got, reference_encode(weights, tokens)


@pytest.mark.parametrize("token_by_token", [False, True])
@pytest.mark.parametrize("length", [1, 2, 7, 11, 12])
def test_both_ways_through_w_match_reference(
    monkeypatch: pytest.MonkeyPatch, token_by_token: bool, length: int
) -> None:
    monkeypatch.setattr(bert_query, "TOKEN_BY_TOKEN", token_by_token)
    got, reference = embedded_with_reference(length)
    assert got.dtype == np.float32
    assert np.max(np.abs(got - reference)) < 2e-6


@pytest.mark.model
def test_both_ways_through_the_real_model_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    embedder = load_embedder(real_model_dir())
    weights = embedder._weights
    assert weights is not None
    rng = np.random.default_rng(15)
    per_token = bert_query.per_token
    calls: list[int] = []

    def counted(*args: object) -> object:
        calls.append(1)
        return per_token(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(bert_query, "per_token", counted)
    try:
        for length in (1, 2, 5, 8, bert_query.TOKEN_BY_TOKEN_MAX):
            ids = rng.integers(1000, 30000, size=length)
            vectors = []
            for token_by_token in (False, True):
                monkeypatch.setattr(bert_query, "TOKEN_BY_TOKEN", token_by_token)
                calls.clear()
                vectors.append(bert_query.embed_sequence(weights, ids))
                assert len(calls) == (36 if token_by_token else 0)  # 6 products, 6 layers
            assert np.max(np.abs(vectors[0] - vectors[1])) < 1e-6, length
    finally:
        embedder.close()


@pytest.mark.parametrize(
    ("features", "expected"),
    [
        ({"AVX2": True, "AVX512F": False, "AVX512_SKX": False}, True),  # Haswell to Zen 3
        ({"AVX2": True, "AVX512F": True, "AVX512_SKX": True}, False),  # Skylake-X on, Zen 4
        ({"AVX2": True, "AVX512F": True, "AVX512_SKX": False}, False),  # Knights Landing
        ({"AVX": True, "AVX2": False, "AVX512_SKX": False}, False),  # before AVX2
        ({"ASIMD": True, "NEON": True}, False),  # ARM: not measured, left as it was
    ],
)
def test_token_by_token_on_avx2_without_avx512(features: dict[str, bool], expected: bool) -> None:
    assert bert_query.token_by_token(features) is expected


def test_numpy_names_the_features_the_choice_reads() -> None:
    # A renamed key would silently leave every CPU on one path.
    features = bert_query._cpu_features()
    if platform.machine().lower() in ("x86_64", "amd64"):
        assert {"AVX2", "AVX512_SKX"} <= set(features)
    assert bert_query.TOKEN_BY_TOKEN is bert_query.token_by_token(features)


@pytest.mark.parametrize("token_by_token", [False, True])
@pytest.mark.parametrize("seq", [1, 5, 20, 32])
def test_linear_blocks_fill_every_column(
    monkeypatch: pytest.MonkeyPatch, token_by_token: bool, seq: int
) -> None:
    # Token by token, the 192 x 1536 W goes in six pieces of 32 rows (up to 11 tokens).
    monkeypatch.setattr(bert_query, "TOKEN_BY_TOKEN", token_by_token)
    rng = np.random.default_rng(seq)
    weight = rng.standard_normal((192, 1536)).astype(np.float32)
    bias = rng.standard_normal(192).astype(np.float32)
    x = rng.standard_normal((seq, 1536)).astype(np.float32)
    expected = x.astype(np.float64) @ weight.T.astype(np.float64) + bias
    assert np.max(np.abs(bert_query.linear(x, (weight, bias)) - expected)) < 1e-4


@pytest.mark.parametrize(
    ("rows", "columns", "seq", "block"),
    [
        (384, 384, 8, 48),
        (1536, 384, 24, 48),
        (1536, 384, 32, 32),  # 48 * 32 outputs is over the small kernels' 1200
        (384, 1536, 13, 48),
        (384, 1536, 16, 32),  # 48 * 16 * 1536 is over their 1e6 products
        (384, 1536, 32, 16),
        (20, 384, 8, None),  # no block divides the rows: one product
    ],
)
def test_blocks_fit_the_small_matrix_kernels(
    rows: int, columns: int, seq: int, block: int | None
) -> None:
    assert bert_query.block_rows(rows, columns, seq) == block


def test_heads_far_apart_do_not_underflow() -> None:
    # Huge query weights put one head's rows far below another's: each row is shifted by
    # its own maximum, so none underflows to 0/0.
    rng = np.random.default_rng(9)
    weights = random_weights(rng)
    layer = weights.layers[0]
    scaled = layer._replace(query=(layer.query[0] * np.float32(400), layer.query[1]))
    weights = weights._replace(layers=(scaled,))
    tokens = list(rng.integers(0, 50, size=12))
    got = bert_query.embed_sequence(weights, np.array(tokens, dtype=np.int64))
    assert np.all(np.isfinite(got))
    assert np.max(np.abs(got - reference_encode(weights, tokens))) < 1e-5
    assert math.isclose(float(np.linalg.norm(got)), 1.0, rel_tol=1e-6)
