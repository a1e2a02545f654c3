"""Moving a base: `rekall import` of a JSON export with its vectors (reused) and without."""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sqlite3
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH_DIR, REKALL, bench_env, command_line, generated_base, run_timed  # noqa: E402


def export(source: Path, target: Path, *extra: str) -> int:
    """Export the base in source to target; return the file's size in bytes."""
    run_timed([REKALL, "export", "-o", str(target), *extra], bench_env(source))
    return target.stat().st_size


def timed_import(export_file: Path, home: Path, cache: Path) -> tuple[float, float, int]:
    """(wall s, CPU s, vectors stored) of one import into a new, empty base in home.

    Every import shares one model cache, where the weights were verified beforehand, so
    neither side pays that one-time cost.
    """
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    env = bench_env(home, REKALL_CACHE_DIR=str(cache))
    wall, cpu, _ = run_timed([REKALL, "import", str(export_file)], env)
    with contextlib.closing(sqlite3.connect(home / "rekall.db")) as conn:
        stored = int(conn.execute("SELECT count(*) FROM embeddings").fetchone()[0])
    return wall / 1000, cpu / 1000, stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=2000, help="entries in the base")
    parser.add_argument("--runs", type=int, default=1, help="imports of each file (median)")
    args = parser.parse_args()
    source = generated_base(args.entries)
    work = BENCH_DIR / "import-vectors"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    files = {"with vectors": work / "with.json", "without vectors": work / "without.json"}
    sizes = {
        "with vectors": export(source, files["with vectors"]),
        "without vectors": export(source, files["without vectors"], "--no-vectors"),
    }
    cache = work / "cache"
    run_timed(  # verifies the weights once, into the shared cache
        [REKALL, "search", "warm up", "--mode", "semantic"],
        bench_env(source, REKALL_CACHE_DIR=str(cache)),
    )
    results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in files}
    for _ in range(args.runs):  # interleaved, so both sides see the same load
        for name, path in files.items():
            results[name].append(timed_import(path, work / "home", cache))
    print(f"$ {command_line()}")
    for name, runs in results.items():
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        stored = min(r[2] for r in runs)
        print(
            f"import of {args.entries:,} entries {name} ({sizes[name] / 1e6:.1f} MB): "
            f"{wall:.1f} s wall, {cpu:.1f} s CPU, {stored:,} vectors stored"
        )
    reuse, embed = (statistics.median(r[0] for r in results[n]) for n in files)
    print(f"reusing the vectors: {embed / reuse:.0f}x faster (wall, median of {args.runs})")
    shutil.rmtree(work, ignore_errors=True)
    if any(r[2] != args.entries for runs in results.values() for r in runs):
        sys.exit("an import left entries without a vector")


if __name__ == "__main__":
    main()
