"""Four writer processes (CLI and MCP servers) and readers on one database lose nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.faults.crash_harness import REKALL
from tests.faults.load_harness import missing_ids, run_load

pytestmark = pytest.mark.model

OPS_PER_WRITER = 5


def test_concurrent_writers_and_readers_lose_no_write_and_never_report_a_lock(
    tmp_path: Path, isolated_env: Path
) -> None:
    env = dict(os.environ)
    subprocess.run([REKALL, "add", "til", "warm-up"], env=env, check=True, capture_output=True)
    tally, seconds = run_load(env, isolated_env / "rekall.db", tmp_path, OPS_PER_WRITER)
    assert tally.failures == []
    assert len(tally.ids) == 4 * OPS_PER_WRITER and len(set(tally.ids)) == len(tally.ids)
    assert missing_ids(isolated_env / "rekall.db", tally.ids) == []
    assert tally.reads > 0 and seconds > 0
