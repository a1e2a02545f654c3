"""One short sequence (a query) through the encoder: no padding, no batch, few numpy calls."""

from __future__ import annotations

import importlib
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from rekall.search import bert_math

if TYPE_CHECKING:
    from rekall.search.bert_math import BertWeights, Floats, Ints, LayerWeights

# Up to this many tokens a single text takes this path: measured 7-35% faster than the padded
# batch path from 2 to 128 tokens, even at 150, and 3-4% slower from 192 (decision 012).
MAX_TOKENS = 128
# Rows of W per BLAS product, the largest that fits the limits below and divides W's rows.
# For a few tokens OpenBLAS packs a whole weight matrix before multiplying, which costs more
# than the product; its small-matrix kernels, which do not pack, take a product of a block of
# rows by seq tokens over K inputs only while rows * seq <= 1200 and rows * seq * K <= 1e6.
# Past either limit a query's forward pass measured 20-40% slower (decision 012). All blocks
# go to numpy in one matmul over a [blocks, K, rows] view, so the loop over them runs in C.
BLOCK_ROWS = (48, 32, 16, 8)
_KERNEL_OUTPUTS = 1200
_KERNEL_PRODUCTS = 1_000_000
# On x86 CPUs with AVX2 and no AVX-512, OpenBLAS runs its Haswell kernels, which have no
# small-matrix path: every product packs W first, ~3 ms of a query whatever its length.
# Up to this many tokens, one matrix-vector product per token per piece of W, the piece
# read from memory once and from the cache for the other tokens, measured 10-40% faster
# there (3% at 8 tokens, which the packed products take in even steps of 4); from 12
# tokens even or slower (decision 012, tenth round).
TOKEN_BY_TOKEN_MAX = 11
# Bytes of W per piece: well inside a 1 MiB L2 cache (pieces of 24-384 KB measured alike).
_PIECE_BYTES = 192 * 1024


def token_by_token(cpu_features: Mapping[str, bool]) -> bool:
    """Whether a few tokens go through W token by token: an x86 CPU with AVX2, no AVX-512.

    With the AVX-512 group Skylake-X brought (numpy's AVX512_SKX: F, CD, BW, DQ, VL),
    OpenBLAS runs kernels with a small-matrix path, and the blocks below stay as they were
    tuned there. Other AVX-512 CPUs and other architectures were not measured and stay on
    the blocks too. Measured with the OpenBLAS numpy's wheels carry; another BLAS was not.
    """
    avx512 = cpu_features.get("AVX512F") or cpu_features.get("AVX512_SKX")
    return bool(cpu_features.get("AVX2")) and not avx512


def _cpu_features() -> Mapping[str, bool]:
    """What numpy found this CPU to support (numpy 2 moved the module to _core)."""
    for name in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):
        try:
            features: Mapping[str, bool] = importlib.import_module(name).__cpu_features__
        except (ImportError, AttributeError):
            continue
        return features
    return {}


TOKEN_BY_TOKEN = token_by_token(_cpu_features())


def prefetch(weight: Floats) -> None:
    """Read weight once, front to back, so that the product finds it in the CPU cache.

    The products for a few tokens read W in many short interleaved runs, which the CPU's
    prefetchers do not see coming: from memory they ran at ~8 GB/s. A dot product of W with
    itself streams it at ~29 GB/s, and the product then reads it from the cache (decision
    012). The result is not used.
    """
    flat = weight.reshape(-1)
    np.dot(flat, flat)


def embed_sequence(weights: BertWeights, ids: Ints) -> Floats:
    """The mean-pooled, L2-normalised vector [hidden] of one unpadded sequence of ids."""
    seq = ids.shape[0]
    h = weights.word_embeddings[ids]
    h += weights.position_embeddings[:seq]
    h += weights.token_type_embeddings[0]
    h = bert_math.layer_norm(h, weights.embedding_norm, weights.eps)
    for layer in weights.layers:
        h = encoder_layer(h, layer, weights)
    pooled: Floats = np.full(seq, 1.0 / seq, dtype=np.float32) @ h
    pooled /= np.float32(max(float(np.linalg.norm(pooled)), 1e-12))
    return pooled


def encoder_layer(h: Floats, layer: LayerWeights, weights: BertWeights) -> Floats:
    """One transformer layer on [seq, hidden]: attention, add & norm, feed-forward, add & norm."""
    attended = self_attention(h, layer, weights.heads)
    attended += h
    h = bert_math.layer_norm(attended, layer.attention_norm, weights.eps)
    inner = bert_math.gelu_(linear(h, layer.intermediate))
    out = linear(inner, layer.output)
    out += h
    return bert_math.layer_norm(out, layer.output_norm, weights.eps)


def self_attention(h: Floats, layer: LayerWeights, heads: int) -> Floats:
    """Multi-head self-attention of one sequence h [seq, hidden], every token attended."""
    seq, hidden = h.shape
    size = hidden // heads
    query = by_heads(h, layer.query, heads)
    key = by_heads(h, layer.key, heads)
    value = by_heads(h, layer.value, heads)
    scores: Floats = query @ key.transpose(0, 2, 1)
    scores *= np.float32(1.0 / math.sqrt(size))
    bert_math.softmax_rows_(scores)
    context = np.empty((seq, heads, size), dtype=np.float32)
    # Written through a [heads, seq, size] view: the heads come out side by side, merged.
    np.matmul(scores, value, out=context.transpose(1, 0, 2))
    return linear(context.reshape(seq, hidden), layer.attention_output)


def by_heads(x: Floats, params: tuple[Floats, Floats], heads: int) -> Floats:
    """x @ W.T + b split into heads, [heads, seq, size]: each head's rows of W as one block."""
    weight, bias = params
    size = weight.shape[0] // heads
    if few_tokens(x.shape[0]):
        out: Floats = per_token(x, weight, size)
    else:
        prefetch(weight)
        out = np.matmul(x, weight.reshape(heads, size, -1).transpose(0, 2, 1))
    out += bias.reshape(heads, 1, size)
    return out


def linear(x: Floats, params: tuple[Floats, Floats]) -> Floats:
    """x @ W.T + b for a few rows of x, W read in place in blocks of BLOCK_ROWS rows."""
    weight, bias = params
    rows, columns = weight.shape
    seq = x.shape[0]
    piece = math.gcd(rows, max(1, _PIECE_BYTES // (4 * columns)))
    # Pieces of a few rows would cost one BLAS call per row and token: the blocks instead.
    if few_tokens(seq) and piece >= 8:
        out: Floats = per_token(x, weight, piece).transpose(1, 0, 2).reshape(seq, rows)
        out += bias
        return out
    prefetch(weight)
    block = block_rows(rows, columns, seq)
    if block is None:
        out = x @ weight.T
    else:
        out = np.empty((seq, rows), dtype=np.float32)
        blocks = weight.reshape(-1, block, columns).transpose(0, 2, 1)
        # out viewed as [blocks, seq, block]: each block's product lands in its columns.
        np.matmul(x, blocks, out=out.reshape(seq, -1, block).transpose(1, 0, 2))
    out += bias
    return out


def block_rows(rows: int, columns: int, seq: int) -> int | None:
    """Rows of W per product for seq tokens (see BLOCK_ROWS); None: W in one product."""
    for block in BLOCK_ROWS:
        fits = block * seq <= _KERNEL_OUTPUTS and block * seq * columns <= _KERNEL_PRODUCTS
        if fits and rows % block == 0:
            return block
    return None


def few_tokens(seq: int) -> bool:
    """Whether seq tokens go through W token by token here (see TOKEN_BY_TOKEN_MAX)."""
    return TOKEN_BY_TOKEN and seq <= TOKEN_BY_TOKEN_MAX


def per_token(x: Floats, weight: Floats, piece: int) -> Floats:
    """x @ W.T as [pieces, seq, piece]: W in pieces of piece rows, each times every token.

    One matmul over a [pieces, 1, piece, K] view of W and x as [seq, K, 1] columns: numpy
    runs one BLAS matrix-vector product per piece and token, tokens innermost, so a piece
    is read from memory once and from the cache for the other tokens. Nothing is packed.
    (With out= laid out as [seq, rows], numpy put the pieces innermost: 30% slower.)
    """
    pieces = weight.reshape(-1, 1, piece, weight.shape[1])
    out: Floats = np.matmul(pieces, x[:, :, None])[..., 0]
    return out
