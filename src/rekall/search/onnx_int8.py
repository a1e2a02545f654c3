"""int8 matrix products for the ONNX Runtime engine: per-token asymmetric codes, fp32 outliers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # bert_math's array types exist for the type checker only
    from rekall.search import bert_math

    Params = tuple[bert_math.Floats, bert_math.Floats]
    Linear = Callable[[Any, str, Params], str]

# Input channels of each product kept in fp32: the ones with the largest activations on the
# calibration texts. Decision 013: 32 keep min cosine ≥ 0.999 even on one-character texts.
OUTLIERS = 32

# The largest code of the weights (int8, symmetric) and of the activations (uint8 over each
# token's range). benchmarks/bench_int8_schemes.py lowers them to 7 bits, which no 16-bit sum
# of two products can overflow; on an AVX2 CPU that lost the cosine bar (decision 013).
WEIGHT_MAX = 127.0
ACTIVATION_MAX = 255.0

# Texts whose activations choose the outlier channels: unrelated to any benchmark set.
CALIBRATION_TEXTS = (
    "Deploy checklist: run the migrations, restart the workers, watch the error rate.",
    "def merge(a: dict, b: dict) -> dict:\n    return {**a, **b}  # b wins on conflicts",
    "La sauvegarde nocturne échoue quand le disque est plein ; purger /var/tmp avant.",
    "Postgres vacuum keeps the table bloat down; autovacuum thresholds are per table.",
    "git rebase -i HEAD~3 then squash the fixups, force-push only to your own branch.",
    "TIL: Python's sorted() is stable, so sorting by a secondary key first works.",
    "Error: connection refused on port 5432 — the container was not on the network.",
    "Meeting notes: the cache TTL goes from 5 to 15 minutes; measure hit rate next week.",
)


def exact_int8_products() -> bool:
    """Whether this CPU multiplies uint8 by int8 without saturating: ARM, or x86 with VNNI.

    Without VNNI, x86 kernels add pairs of u8 x s8 products in 16 bits, which overflow for
    large codes (decision 013); /proc/cpuinfo is how Linux tells, so x86 elsewhere is refused.
    """
    import platform

    if platform.machine().lower() not in ("x86_64", "amd64", "i386", "i686", "x86"):
        return True
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            flags = next((line for line in info if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_vnni" in flags or "avx_vnni" in flags


def quantized_linear(outliers: list[np.ndarray] | None, probes: list[str] | None = None) -> Linear:
    """int8 products, each keeping the input channels outliers[i] (in call order) in fp32.

    With outliers None, no channel is kept and, if probes is given, each product also
    outputs the largest |activation| of each input channel (to choose the outliers).
    """
    calls = iter(outliers) if outliers is not None else None

    def linear(graph: Any, x: str, params: Params) -> str:
        if probes is not None:
            peak = graph.op("ReduceMax", [graph.op("Abs", [x]), graph.axes(0, 1)], keepdims=0)
            probes.append(peak)
        kept = next(calls) if calls is not None else np.zeros(0, dtype=np.int64)
        return _int8_product(graph, x, params, kept)

    return linear


def choose_outliers(maxima: list[np.ndarray], count: int = OUTLIERS) -> list[np.ndarray]:
    """The count channels of largest activation for each product, sorted."""
    return [np.sort(np.argsort(peak)[-count:]).astype(np.int64) for peak in maxima]


def _int8_product(graph: Any, x: str, params: Params, outliers: np.ndarray) -> str:
    """x @ W.T + b: the outlier channels in fp32, the rest as uint8 codes times int8 weights
    (a scale per output)."""
    weight, bias = params
    transposed = np.ascontiguousarray(weight.T)
    rest = transposed.copy()
    rest[outliers] = 0.0
    weight_scale = np.maximum(np.abs(rest).max(axis=0) / WEIGHT_MAX, 1e-12).astype(np.float32)
    codes_w = np.clip(np.round(rest / weight_scale), -WEIGHT_MAX, WEIGHT_MAX).astype(np.int8)
    rows = graph.op("Reshape", [x, graph.const(np.array([-1, len(rest)], dtype=np.int64))])
    codes, scale, zero = _token_codes(graph, rows, outliers, len(rest))
    # MatMulInteger takes one zero point for all rows: the per-token ones are taken off below.
    counts = graph.op("MatMulInteger", [codes, graph.const(codes_w)])
    # The weights' scale right after the Cast: ONNX Runtime fuses MatMulInteger, Cast and this
    # Mul into MatMulIntegerToFloat, which takes the Mul's operand as one scale for all rows.
    # A per-token scale there came out wrong (decision 013), so it is applied after.
    product = graph.op("Mul", [graph.op("Cast", [counts], to=1), graph.const(weight_scale)])
    product = graph.op("Mul", [product, scale])
    # The kept channels, the zero points and the bias in one small fp32 product:
    # [x_kept, zero * scale, 1] @ [W_kept; -column sums of the int8 weights; b].
    ones = graph.op(
        "Expand", [graph.const(np.ones((1, 1), np.float32)), graph.op("Shape", [scale])]
    )
    columns = [graph.op("Mul", [zero, scale]), ones]
    if len(outliers):
        columns.insert(0, graph.op("Gather", [rows, graph.const(outliers)], axis=1))
    sums = codes_w.astype(np.int64).sum(axis=0) * weight_scale
    extra = np.concatenate([transposed[outliers], -sums[None, :], bias[None, :]]).astype(np.float32)
    exact = graph.op("MatMul", [graph.op("Concat", columns, axis=1), graph.const(extra)])
    product = graph.op("Add", [product, exact])
    outputs = graph.const(np.array([weight.shape[0]], dtype=np.int64))
    shape = graph.op("Concat", [graph.op("Shape", [x], end=-1), outputs], axis=0)
    return str(graph.op("Reshape", [product, shape]))


def _token_codes(graph: Any, rows: str, outliers: np.ndarray, inputs: int) -> tuple[str, str, str]:
    """uint8 codes of rows [tokens, inputs] without the outlier channels, and each token's
    scale and zero point [tokens, 1].

    Asymmetric, over the token's own range: GELU outputs are nearly all positive, and a
    symmetric scale would leave half the codes unused.
    """
    others = rows
    if len(outliers):
        keep = np.ones(inputs, dtype=np.float32)
        keep[outliers] = 0.0
        others = graph.op("Mul", [rows, graph.const(keep)])
    low = graph.op("ReduceMin", [others, graph.axes(1)], keepdims=1)
    low = graph.op("Min", [low, graph.const(np.float32(0))])
    high = graph.op("ReduceMax", [others, graph.axes(1)], keepdims=1)
    span = graph.op("Max", [graph.op("Sub", [high, low]), graph.const(np.float32(1e-12))])
    scale = graph.op("Div", [span, graph.const(np.float32(ACTIVATION_MAX))])
    zero = graph.op("Round", [graph.op("Div", [graph.op("Neg", [low]), scale])])
    flat = graph.axes(-1)
    zero_codes = graph.op("Cast", [graph.op("Reshape", [zero, flat])], to=2)  # TensorProto.UINT8
    codes = graph.op(
        "QuantizeLinear", [others, graph.op("Reshape", [scale, flat]), zero_codes], axis=0
    )
    return str(codes), str(scale), str(zero)
