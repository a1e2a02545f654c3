"""kill -9 of bulk imports and `rekall test generate` at random moments loses nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.faults.crash_harness import REKALL, CrashTally, fill_vectors, run_series

KILLS = 10


def make_pristine_base(home: Path, count: int) -> Path:
    """A base of count generated entries, each with a vector of its current text."""
    env = {**os.environ, "REKALL_HOME": str(home), "REKALL_MODEL_PATH": str(home / "none")}
    (home / "none").mkdir(parents=True)
    args = [REKALL, "test", "generate", "--count", str(count), "--into-current"]
    subprocess.run(args, env=env, check=True, capture_output=True, timeout=120)
    fill_vectors(home / "rekall.db")
    return home / "rekall.db"


def test_random_kills_lose_no_committed_write_and_leave_a_sound_database(tmp_path: Path) -> None:
    pristine = make_pristine_base(tmp_path / "pristine", 1500)
    work = tmp_path / "work"
    work.mkdir()
    tally, durations = run_series(pristine, work, dict(os.environ), KILLS, seed=2024)
    assert tally.problems == []
    assert tally.lost_writes == 0
    assert tally.kills == KILLS and tally.survived + tally.repaired == KILLS
    assert durations["import"] > 0 and durations["generate"] > 0


def test_a_run_that_needed_a_repair_is_not_counted_as_survived() -> None:
    tally = CrashTally()
    tally.record(True, "clean kill", [])
    tally.record(True, "kill fixed by check --repair", [], repaired=True)
    tally.record(True, "kill with a torn import", ["torn import, 3/10 marked"])
    tally.record(False, "finished first", [])
    assert (tally.kills, tally.survived, tally.repaired, tally.finished) == (3, 1, 1, 1)
    assert tally.problems == ["kill with a torn import: torn import, 3/10 marked"]
