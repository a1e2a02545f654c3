"""The BERT encoder forward pass in float32 numpy, matching the reference implementation."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:  # numpy.typing costs a cold search ~0.5 ms; annotations only
    from numpy.typing import NDArray

    Floats = NDArray[np.float32]
    Ints = NDArray[np.int64]

# erfc(z) = t * exp(-z*z + P(t)) with t = 1 / (1 + 0.441 z), z >= 0. P was fitted by
# Chebyshev least squares against math.erfc for z in [0, 6] (beyond, erfc < 3e-17 and the
# formula still tends to 0): absolute error below 4e-8 in float64, so GELU in float32 stays
# within an ulp or two of the exact erf form. With z = |x|/sqrt 2 folded into t's slope and
# the GELU's factor 1/2 folded into P's constant term (- ln 2), the function below yields
# erfc(|x|/sqrt 2)/2 directly.
_T_SLOPE = np.float32(0.441 / math.sqrt(2.0))
_HALF_ERFC_COEFFICIENTS = tuple(
    np.float32(c)
    for c in (
        -1.3895589365057015 - math.log(2.0),
        0.9756687973692901,
        0.5678263551898708,
        -0.4748875896861422,
        1.3279154428721787,
        -1.8095684301820363,
        1.010032621164602,
        -0.20742828014466871,
    )
)
# Rows of the [tokens, 1536] activation processed at once by GELU: small enough for the
# temporaries to stay in the CPU cache, which makes the elementwise passes ~2x faster.
_GELU_BLOCK_ROWS = 64
# Bytes of attention scores computed at once.
_ATTENTION_BUDGET = 256 * 1024
_MASKED = np.float32(-1e30)
# A row whose exponentials sum below this lost precision to underflow (e**-57).
_UNDERFLOW = 1e-25
# Up to this many rows (a query), W @ x.T measured ~12% faster than x @ W.T.
_SKINNY_ROWS = 32
# ...and ~20% faster again when W goes to BLAS this many rows at a time: OpenBLAS then skips
# packing the weights, which for a few rows costs more than the product (decision 012).
_SKINNY_BLOCK = 48


class LayerWeights(NamedTuple):
    """Weights of one encoder layer; matrices are [out, in] as stored in the checkpoint."""

    query: tuple[Floats, Floats]
    key: tuple[Floats, Floats]
    value: tuple[Floats, Floats]
    attention_output: tuple[Floats, Floats]
    attention_norm: tuple[Floats, Floats]
    intermediate: tuple[Floats, Floats]
    output: tuple[Floats, Floats]
    output_norm: tuple[Floats, Floats]


class BertWeights(NamedTuple):
    """All weights of the encoder plus the hyper-parameters the math needs."""

    word_embeddings: Floats
    position_embeddings: Floats
    token_type_embeddings: Floats
    embedding_norm: tuple[Floats, Floats]
    layers: tuple[LayerWeights, ...]
    heads: int
    eps: float


def half_erfc_scaled(magnitude: Floats) -> Floats:
    """erfc(a / sqrt 2) / 2 for an array of a >= 0, in a new array."""
    t = magnitude * _T_SLOPE
    t += np.float32(1.0)
    np.reciprocal(t, out=t)
    acc = t * _HALF_ERFC_COEFFICIENTS[-1]
    acc += _HALF_ERFC_COEFFICIENTS[-2]
    for coefficient in _HALF_ERFC_COEFFICIENTS[-3::-1]:
        acc *= t
        acc += coefficient
    square = magnitude * np.float32(-0.5)
    square *= magnitude
    acc += square
    np.exp(acc, out=acc)
    acc *= t
    return acc


def gelu_(x: Floats) -> Floats:
    """GELU, erf form (x/2 * (1 + erf(x/sqrt 2))), in place on a 2-D array; returns x."""
    for start in range(0, x.shape[0], _GELU_BLOCK_ROWS):
        block = x[start : start + _GELU_BLOCK_ROWS]
        magnitude = np.abs(block)
        # With h = erfc(|x|/sqrt 2)/2, GELU is x - |x|h for x >= 0 and -|x|h for x < 0.
        h = half_erfc_scaled(magnitude)
        h *= magnitude
        np.maximum(block, np.float32(0.0), out=block)
        block -= h
    return x


def layer_norm(x: Floats, norm: tuple[Floats, Floats], eps: float) -> Floats:
    """LayerNorm over the last axis of a 2-D x, in a new array."""
    weight, bias = norm
    centred: Floats = x - row_means(x)
    variance = row_means(np.square(centred))
    variance += np.float32(eps)
    np.sqrt(variance, out=variance)
    centred /= variance
    centred *= weight
    centred += bias
    return centred


def row_means(x: Floats) -> Floats:
    """Means over the last axis of a contiguous array, as a [..., 1] column."""
    return _rows_dot(x, 1.0 / x.shape[-1])


def row_sums(x: Floats) -> Floats:
    """Sums over the last axis of a contiguous array, as a [..., 1] column."""
    return _rows_dot(x, 1.0)


def _rows_dot(x: Floats, weight: float) -> Floats:
    # A BLAS matrix-vector product: numpy's reduction over a short last axis is ~7x slower.
    size = x.shape[-1]
    flat = x.reshape(-1, size) @ np.full(size, weight, dtype=np.float32)
    return flat.reshape(*x.shape[:-1], 1)


def linear(x: Floats, params: tuple[Floats, Floats]) -> Floats:
    """x @ W.T + b for a 2-D x; BLAS reads the mapped W in place, without a copy."""
    weight, bias = params
    if x.shape[0] <= _SKINNY_ROWS:
        rows, columns = x.T, np.empty((weight.shape[0], x.shape[0]), dtype=np.float32)
        for start in range(0, weight.shape[0], _SKINNY_BLOCK):
            block = slice(start, start + _SKINNY_BLOCK)
            np.matmul(weight[block], rows, out=columns[block])
        out: Floats = np.ascontiguousarray(columns.T)
    else:
        out = x @ weight.T
    out += bias
    return out


def softmax_(scores: Floats) -> bool:
    """Softmax over the last axis of [heads, seq, seq], in place.

    Softmax is invariant to the shift, so each matrix is shifted by its own maximum: ~10x
    cheaper than a maximum per row. Returns False, leaving scores unusable, when a row
    lies so far below its matrix's maximum that it underflowed; use softmax_rows_ then.
    """
    scores -= scores.reshape(scores.shape[0], -1).max(axis=1)[:, None, None]
    np.exp(scores, out=scores)
    sums = row_sums(scores)
    if float(sums.min()) < _UNDERFLOW:
        return False
    scores /= sums
    return True


def softmax_rows_(scores: Floats) -> None:
    """Softmax over the last axis, in place, shifting each row by its own maximum."""
    scores -= scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)


def split_heads(x: Floats, batch: int, heads: int, scale: float = 1.0) -> Floats:
    """[batch*seq, heads*size] -> contiguous [batch*heads, seq, size], times scale."""
    seq, size = x.shape[0] // batch, x.shape[1] // heads
    out = np.empty((batch, heads, seq, size), dtype=np.float32)
    np.multiply(
        x.reshape(batch, seq, heads, size).transpose(0, 2, 1, 3), np.float32(scale), out=out
    )
    return out.reshape(batch * heads, seq, size)


def attend(query: Floats, key: Floats, value: Floats, bias: Floats) -> Floats:
    """softmax(query @ key.T + bias) @ value for a stack of [seq, size] matrices."""
    scores: Floats = query @ key.transpose(0, 2, 1)
    scores += bias
    if not softmax_(scores):
        scores = query @ key.transpose(0, 2, 1)
        scores += bias
        softmax_rows_(scores)
    return scores @ value


def self_attention(h: Floats, layer: LayerWeights, mask: Floats, heads: int) -> Floats:
    """Multi-head self-attention of h [batch*seq, hidden]; mask is [batch, seq] of 0/1."""
    batch, seq = mask.shape
    hidden = h.shape[1]
    query = split_heads(linear(h, layer.query), batch, heads, 1.0 / np.sqrt(hidden // heads))
    key = split_heads(linear(h, layer.key), batch, heads)
    value = split_heads(linear(h, layer.value), batch, heads)
    bias = np.repeat(np.where(mask > 0, np.float32(0.0), _MASKED), heads, axis=0)[:, None, :]
    context = np.empty_like(query)
    # A few [seq, seq] score matrices at a time, so that they stay in the CPU cache.
    step = max(1, _ATTENTION_BUDGET // (seq * seq * 4))
    for start in range(0, batch * heads, step):
        part = slice(start, start + step)
        context[part] = attend(query[part], key[part], value[part], bias[part])
    merged = (
        context.reshape(batch, heads, seq, -1).transpose(0, 2, 1, 3).reshape(batch * seq, hidden)
    )
    return linear(merged, layer.attention_output)


def encoder_layer(h: Floats, layer: LayerWeights, mask: Floats, weights: BertWeights) -> Floats:
    """One transformer layer: attention, add & norm, feed-forward, add & norm."""
    attended = self_attention(h, layer, mask, weights.heads)
    attended += h
    h = layer_norm(attended, layer.attention_norm, weights.eps)
    inner = gelu_(linear(h, layer.intermediate))
    out = linear(inner, layer.output)
    out += h
    return layer_norm(out, layer.output_norm, weights.eps)


def embed_tokens(weights: BertWeights, ids: Ints, mask: Floats) -> Floats:
    """Mean-pooled, L2-normalised sentence vectors [batch, hidden] for padded token ids."""
    batch, seq = ids.shape
    h = weights.word_embeddings[ids.reshape(-1)]
    h = h.reshape(batch, seq, -1)
    h += weights.position_embeddings[:seq]
    # Single-sentence input: every token has type 0.
    h += weights.token_type_embeddings[0]
    h = layer_norm(h.reshape(batch * seq, -1), weights.embedding_norm, weights.eps)
    for layer in weights.layers:
        h = encoder_layer(h, layer, mask, weights)
    return normalise(mean_pool(h.reshape(batch, seq, -1), mask))


def mean_pool(h: Floats, mask: Floats) -> Floats:
    """Average of the token vectors [batch, seq, hidden] where mask [batch, seq] is 1."""
    summed: Floats = np.einsum("bsh,bs->bh", h, mask)
    summed /= np.maximum(mask.sum(axis=1, keepdims=True), np.float32(1e-9))
    return summed


def normalise(vectors: Floats) -> Floats:
    """Scale each row to unit L2 norm (rows of zeros stay zero)."""
    norms: Floats = np.linalg.norm(vectors, axis=1, keepdims=True)
    np.maximum(norms, np.float32(1e-12), out=norms)
    return (vectors / norms).astype(np.float32, copy=False)
