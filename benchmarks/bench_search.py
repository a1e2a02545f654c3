"""Semantic search figures: cold CLI search, warm search, memory, adding to a big base, backends."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    REKALL,
    bench_env,
    command_line,
    copy_base,
    extended_base,
    median_run,
)

QUERIES = [
    "browser blocks cross-origin request",
    "ENOSPC",
    "how do I keep a job running after logout",
    "postgres deadlock between transactions",
]
PROBE = Path(__file__).resolve().parent / "probe_long_lived.py"


def cold_search(home: Path, runs: int, backend: str = "auto") -> tuple[float, float]:
    """Median wall ms and max of median RSS over the queries, each a fresh process."""
    env = bench_env(home, REKALL_VECTOR_INDEX_BACKEND=backend)
    walls, rss = [], []
    for query in QUERIES:
        wall, peak = median_run([REKALL, "search", query], env, runs)
        walls.append(wall)
        rss.append(peak)
    return sorted(walls)[len(walls) // 2], max(rss)


def long_lived(home: Path, backend: str) -> dict[str, float | str]:
    """Figures of a long-lived service process (see probe_long_lived.py), on a copy: it adds."""
    scratch = copy_base(home, f"scratch-probe-{home.name}")
    result = subprocess.run(
        [sys.executable, str(PROBE), backend],
        env=bench_env(scratch),
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float | str] = json.loads(result.stdout)
    return figures


def cold_add(home: Path, runs: int) -> tuple[float, float]:
    """Median wall ms and RSS of `rekall add` (embedded, searchable) on a scratch copy."""
    scratch = copy_base(home, f"scratch-add-{home.name}")
    env = bench_env(scratch)
    args = [
        REKALL,
        "add",
        "til",
        "Pool size is cores times two",
        "-c",
        "Size the connection pool to the number of cores times two.",
        "-t",
        "bench",
    ]
    return median_run(args, env, runs)


def report(sizes: list[int], runs: int) -> None:
    for count in sizes:
        home = extended_base(count)
        wall, rss = cold_search(home, runs)
        print(f"[{count:>6,}] cold `rekall search` (hybrid): {wall:.0f} ms, max RSS {rss:.0f} MB")
        if count < 10_000:
            continue
        for backend in ("numpy", "sqlite-vec"):
            figures = long_lived(home, backend)
            print(
                f"[{count:>6,}] long-lived, backend {figures['backend']}: "
                f"warm hybrid, new query {figures['warm_search_new_query_ms']:.1f} ms, "
                f"repeated query {figures['warm_search_repeat_ms']:.1f} ms, "
                f"semantic (cached vector) {figures['warm_semantic_cached_ms']:.1f} ms, "
                f"add {figures['warm_add_ms']:.0f} ms"
            )
            print(
                f"[{count:>6,}]   RSS: open {figures['rss_open_mb']:.0f} MB, model+index "
                f"loaded {figures['rss_loaded_mb']:.0f} MB, after idle unload "
                f"{figures['rss_model_unloaded_mb']:.0f} MB, peak {figures['peak_rss_mb']:.0f} MB"
            )
        wall, rss = cold_search(home, runs, "sqlite-vec")
        print(
            f"[{count:>6,}] cold `rekall search` with sqlite-vec: {wall:.0f} ms, "
            f"max RSS {rss:.0f} MB"
        )
        wall, rss = cold_add(home, runs)
        print(
            f"[{count:>6,}] cold `rekall add` (embedded, searchable): {wall:.0f} ms, "
            f"max RSS {rss:.0f} MB"
        )


def note_bases(sizes: list[int]) -> None:
    if any(size > 10_000 for size in sizes):
        print(
            "(bases above 10,000 entries: the 10,000 real embedded entries plus generated "
            "entries carrying copies of real vectors; see benchmarks/common.py)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,50000", help="comma-separated base sizes")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median)")
    args = parser.parse_args()
    print(f"$ {command_line()}")
    note_bases([int(size) for size in args.sizes.split(",")])
    report([int(size) for size in args.sizes.split(",")], args.runs)


if __name__ == "__main__":
    main()
