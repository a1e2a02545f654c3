"""`rekall db copy` of a base with many body pieces into a new PostgreSQL database: this tree
against another commit, alternated.

The base: the perturbed 10K base of bench_postgres.py with its long entries' body pieces
embedded by `rekall index rebuild` (made once, cached under .bench; ~20 min on 2 busy cores).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    REKALL,
    ROOT,
    base_with_pieces,
    bench_env,
    command_line,
    count_pieces,
    source_tree,
)
from pg_bases import fresh_database, perturbed_base, start_server  # noqa: E402


def timed_copy(home: Path, url: str, tree: Path) -> float:
    """Wall seconds of `rekall db copy --from BASE --to URL`, run from tree's sources."""
    started = time.perf_counter()
    subprocess.run(
        [REKALL, "db", "copy", "--from", str(home / "rekall.db"), "--to", url, "--json"],
        env=bench_env(home, PYTHONPATH=str(tree)),
        stdout=subprocess.PIPE,
        check=True,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--against", required=True, help="the commit to compare with")
    args = parser.parse_args()
    home = base_with_pieces(perturbed_base(args.size))
    server = start_server()
    trees = {args.against: source_tree(args.against), "this tree": ROOT / "src"}
    times: dict[str, list[float]] = {side: [] for side in trees}
    print(command_line())
    long_entries, pieces = count_pieces(home)
    print(f"base: {long_entries:,} entries with body pieces, {pieces:,} pieces")
    for run in range(args.runs):
        for side, tree in trees.items():
            url = fresh_database(server, "bench_copy_pieces")
            seconds = timed_copy(home, url, tree)
            times[side].append(seconds)
            load = os.getloadavg()[0]
            print(f"run {run + 1}  {side:>10}: {seconds:6.1f} s  (load {load:.1f})", flush=True)
    for side, seconds in times.items():
        print(f"{side:>10}: median {statistics.median(seconds):.1f} s")
    print("load average (1, 5, 15 min): " + " ".join(f"{n:.1f}" for n in os.getloadavg()))


if __name__ == "__main__":
    main()
