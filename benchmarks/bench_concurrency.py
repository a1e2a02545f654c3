"""Concurrency: 2 CLI writers and 2 `rekall mcp` servers adding entries, with readers, on one DB."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import BENCH_DIR, REKALL, bench_env, command_line, copy_base, generated_base  # noqa: E402

from tests.faults.crash_harness import check_problems, storage_problems  # noqa: E402
from tests.faults.load_harness import missing_ids, run_load  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ops", type=int, default=25, help="writes per writer process")
    parser.add_argument("--readers", type=int, default=2, help="reader loops")
    parser.add_argument("--base", type=int, default=1000, help="entries already in the base")
    args = parser.parse_args()
    home = copy_base(generated_base(args.base), "scratch-concurrency")
    logs = BENCH_DIR / "concurrency-logs"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir()
    env = bench_env(home)
    subprocess.run([REKALL, "stats"], env=env, check=True, capture_output=True)
    tally, seconds = run_load(env, home / "rekall.db", logs, args.ops, args.readers)
    lost = missing_ids(home / "rekall.db", tally.ids)
    expected = 4 * args.ops
    # Healthy as the writers left it, or only after check --repair: counted apart from losses.
    problems = storage_problems(home / "rekall.db")
    found, repaired = check_problems(env, True)
    problems += found
    print(f"$ {command_line()}")
    print(
        f"{len(tally.ids)}/{expected} writes acknowledged, {len(lost)} lost, "
        f"{len(tally.failures)} errors shown to a user "
        f"({sum('locked' in f for f in tally.failures)} 'database is locked')"
    )
    health = "needed check --repair" if repaired else "passes rekall check as left"
    print(f"afterwards the database {health}; problems left: {len(problems)}")
    print(
        f"{seconds:.1f} s: {len(tally.ids) / seconds:.1f} writes/s, {tally.reads / seconds:.1f} "
        f"reads/s, {(len(tally.ids) + tally.reads) / seconds:.1f} operations/s "
        f"(each a whole process or MCP tool call, on a {args.base:,}-entry base, real model)"
    )
    for failure in tally.failures:
        print(f"FAILURE {failure}")
    for problem in problems:
        print(f"PROBLEM {problem}")
    shutil.rmtree(home, ignore_errors=True)
    failed = lost or tally.failures or problems or repaired or len(tally.ids) != expected
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
