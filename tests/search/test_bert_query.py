"""Tests for the single-sequence forward pass against the float64 reference and the batch path."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rekall.search import bert_query
from tests.search.test_bert_math import random_weights, reference_encode


@pytest.mark.parametrize("blocks", [(8,), (48,), bert_query.BLOCK_ROWS])
@pytest.mark.parametrize("length", [1, 2, 7, 32, 40])
def test_one_sequence_matches_reference(
    monkeypatch: pytest.MonkeyPatch, blocks: tuple[int, ...], length: int
) -> None:
    # hidden 16, inner 64: blocks of 8 rows go through the blocked products, 48 through
    # the whole-matrix fallback, the default through blocks of 16 and 32.
    monkeypatch.setattr(bert_query, "BLOCK_ROWS", blocks)
    rng = np.random.default_rng(length)
    weights = random_weights(rng)
    tokens = list(rng.integers(0, 50, size=length))
    got = bert_query.embed_sequence(weights, np.array(tokens, dtype=np.int64))
    assert got.dtype == np.float32
    assert got.shape == (16,)
    assert np.max(np.abs(got - reference_encode(weights, tokens))) < 2e-6


@pytest.mark.parametrize("seq", [1, 5, 20, 32])
def test_linear_blocks_fill_every_column(seq: int) -> None:
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
