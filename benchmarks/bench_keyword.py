"""Keyword figures: cold `rekall search --mode keyword` on 10K entries, `--help`, bulk insert."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REKALL, bench_env, command_line, median_run  # noqa: E402

from rekall.core.ids import new_id  # noqa: E402
from rekall.storage import entries_repo  # noqa: E402
from rekall.storage.database import open_database  # noqa: E402
from rekall.testdata import generate_entries  # noqa: E402

QUERIES = ["timeout", "docker layer cache", "ENOSPC", "connection refused postgres"]


def insert_rate(home: Path, count: int) -> float:
    """Entries per second inserted through the storage API in one transaction."""
    entries = list(generate_entries(count, seed=42))
    db = open_database(home / "rekall.db")
    started = time.perf_counter()
    with db.write() as (conn, _):
        for entry in entries:
            entries_repo.insert_entry(conn, new_id(), entry, "2026-01-01T00:00:00+00:00")
    elapsed = time.perf_counter() - started
    db.close()
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"$ {command_line()}")
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch)
        rate = insert_rate(home, args.count)
        print(
            f"bulk insert of {args.count:,} entries (storage API, one transaction): "
            f"{rate:,.0f} entries/s"
        )
        env = bench_env(home)
        walls, rss = [], []
        for query in QUERIES:
            wall, peak = median_run([REKALL, "search", query, "--mode", "keyword"], env, args.runs)
            walls.append(wall)
            rss.append(peak)
            print(
                f"cold keyword search {query!r} on {args.count:,}: {wall:.0f} ms, "
                f"max RSS {peak:.0f} MB"
            )
        print(
            f"cold keyword search, median over queries: {sorted(walls)[len(walls) // 2]:.0f} ms,"
            f" max RSS {max(rss):.0f} MB (median of {args.runs} runs each)"
        )
        wall, peak = median_run([REKALL, "--help"], env, args.runs)
        print(f"rekall --help: {wall:.0f} ms, max RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
