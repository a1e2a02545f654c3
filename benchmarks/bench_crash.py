"""Crash safety: kill -9 bulk imports and `rekall test generate` at random moments, then check."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import BENCH_DIR, bench_env, command_line, generated_base  # noqa: E402

from tests.faults.crash_harness import run_series  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=100, help="kill -9 this many runs")
    parser.add_argument("--entries", type=int, default=3000, help="entries in the import file")
    parser.add_argument("--seed", type=int, default=1, help="seed of the kill moments")
    args = parser.parse_args()
    work = BENCH_DIR / "crash"
    shutil.rmtree(work, ignore_errors=True)
    (work / "pristine").mkdir(parents=True)
    pristine = work / "pristine" / "rekall.db"
    shutil.copyfile(generated_base(args.entries) / "rekall.db", pristine)
    env = bench_env(work / "pristine")
    started = time.perf_counter()
    tally, durations = run_series(pristine, work, env, args.kills, args.seed)
    seconds = time.perf_counter() - started
    print(f"$ {command_line()}")
    print(
        f"unkilled run: import of {args.entries:,} entries {durations['import']:.2f} s, "
        f"generate of 1,500 entries {durations['generate']:.2f} s"
    )
    print(
        f"kills: {tally.kills}, survived as they were: {tally.survived}, "
        f"needed check --repair: {tally.repaired}, writes lost: {tally.lost_writes}, "
        f"runs that finished before their kill: {tally.finished} ({seconds:.0f} s)"
    )
    for problem in tally.problems:
        print(f"PROBLEM {problem}")
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if tally.problems or tally.lost_writes else 0)


if __name__ == "__main__":
    main()
