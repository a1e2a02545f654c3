"""One [512, 384] @ [384, 1536] product, one thread: numpy, ONNX Runtime fp32 and int8 schemes.

    python benchmarks/bench_int8_product.py [--rounds 5] [--repeats 20]

Needs the onnx extra (pip install 'rekall[onnx]'). Schemes of `MatMulInteger` (activations
uint8 in every one):
  u8xs8   int8 weights, the engine's scheme on VNNI and ARM;
  u8xu8   the same weights as uint8 around a zero point of 128 per column (same grid);
  u8xs7   weights in [-64, 64] (7 bits): no pair of products can leave 16 bits;
  u7xs8   activations in [0, 127], int8 weights: likewise;
  u8xs8+p u8xs8 with the session option session.x64quantprecision (ORT's own u8xu8 rewrite).
Each round times every variant in turn (interleaved, so the machine's load hits all alike);
figures are medians over the rounds of GOPS per CPU-second (2·M·K·N per product). Before
timing, each integer scheme's result is compared with the exact integer product of the same
codes: `max error` is the largest difference (0 when exact), `wrong` the share of results
that differ. Codes are drawn over the full range, the worst case for 16-bit sums.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import command_line, require_onnx  # noqa: E402

M, K, N = 512, 384, 1536


def _session(node: Any, inputs: list[Any], weights: Any, precise: bool = False) -> Any:
    import onnx
    import onnxruntime

    graph = onnx.helper.make_graph([node], "product", inputs, [_out(node)], weights)
    model = onnx.helper.make_model(
        graph, opset_imports=[onnx.helper.make_opsetid("", 20)], ir_version=9
    )
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if precise:
        options.add_session_config_entry("session.x64quantprecision", "1")
    return onnxruntime.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def _out(node: Any) -> Any:
    import onnx

    kind = onnx.TensorProto.FLOAT if node.op_type == "MatMul" else onnx.TensorProto.INT32
    return onnx.helper.make_tensor_value_info("y", kind, [M, N])


def _integer(a_codes: np.ndarray, b_codes: np.ndarray, b_zero: int, precise: bool = False) -> Any:
    """A session computing a_codes @ (B - b_zero) with B the constant b_codes."""
    import onnx
    from onnx import numpy_helper

    a_kind = onnx.TensorProto.UINT8
    weights = [numpy_helper.from_array(b_codes, "b")]
    inputs = ["a", "b"]
    if b_zero:
        zero = np.full(N, b_zero, dtype=b_codes.dtype)
        weights.append(numpy_helper.from_array(zero, "bz"))
        inputs += ["", "bz"]
    node = onnx.helper.make_node("MatMulInteger", inputs, ["y"])
    a_info = onnx.helper.make_tensor_value_info("a", a_kind, [M, K])
    return _session(node, [a_info], weights, precise)


def variants(rng: np.random.Generator) -> dict[str, tuple[Any, np.ndarray, np.ndarray | None]]:
    """Name -> (run function, its input, the exact result for integer schemes)."""
    import onnx
    from onnx import numpy_helper

    x = rng.standard_normal((M, K), dtype=np.float32)
    w = rng.standard_normal((K, N), dtype=np.float32)
    node = onnx.helper.make_node("MatMul", ["a", "b"], ["y"])
    a_info = onnx.helper.make_tensor_value_info("a", onnx.TensorProto.FLOAT, [M, K])
    fp32 = _session(node, [a_info], [numpy_helper.from_array(w, "b")])
    u8 = rng.integers(0, 256, (M, K), dtype=np.uint8)
    u7 = rng.integers(0, 128, (M, K), dtype=np.uint8)
    s8 = rng.integers(-127, 128, (K, N), dtype=np.int8)
    s7 = rng.integers(-64, 65, (K, N), dtype=np.int8)
    as_u8 = (s8.astype(np.int16) + 128).astype(np.uint8)

    def exact(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a.astype(np.int64) @ b.astype(np.int64)

    def run(session: Any) -> Any:
        return lambda a: session.run(["y"], {"a": a})[0]

    return {
        "numpy fp32": (lambda a: a @ w, x, None),
        "ORT fp32": (run(fp32), x, None),
        "u8xs8": (run(_integer(u8, s8, 0)), u8, exact(u8, s8)),
        "u8xu8": (run(_integer(u8, as_u8, 128)), u8, exact(u8, s8)),
        "u8xs7": (run(_integer(u8, s7, 0)), u8, exact(u8, s7)),
        "u7xs8": (run(_integer(u7, s8, 0)), u7, exact(u7, s8)),
        "u8xs8+p": (run(_integer(u8, s8, 0, precise=True)), u8, exact(u8, s8)),
    }


def measure(rounds: int, repeats: int) -> None:
    from threadpoolctl import threadpool_limits

    found = variants(np.random.default_rng(0))
    print(f"{'product':<12}{'max error':>12}{'wrong':>10}")
    for name, (fn, a, expected) in found.items():
        if expected is not None:
            error = np.abs(fn(a).astype(np.int64) - expected)
            print(f"{name:<12}{int(error.max()):>12}{float((error > 0).mean()):>10.4f}")
    gops: dict[str, list[float]] = {name: [] for name in found}
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(rounds):
            for name, (fn, a, _expected) in found.items():
                fn(a)
                cpu = time.process_time()
                for _ in range(repeats):
                    fn(a)
                cpu = time.process_time() - cpu
                gops[name].append(2 * M * K * N * repeats / cpu / 1e9)
    base = statistics.median(gops["ORT fp32"])
    print(f"{'product':<12}{'GOPS/CPU-s':>12}{'x ORT fp32':>12}   (median of {rounds} rounds)")
    for name, runs in gops.items():
        median = statistics.median(runs)
        print(f"{name:<12}{median:>12.1f}{median / base:>12.2f}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=20, help="products per timing")
    args = parser.parse_args()
    print(f"$ {command_line()}")
    require_onnx(__file__)
    print(f"load average at the start: {os.getloadavg()[0]:.1f}, cpu cores: {os.cpu_count()}")
    measure(args.rounds, args.repeats)


if __name__ == "__main__":
    main()
