"""Four writer processes (CLI and MCP servers) and readers on one database lose nothing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.crash_harness import REKALL
from tests.faults.load_harness import missing_ids, run_load

OPS_PER_WRITER = 5


@pytest.mark.model
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
    kinds = " ".join(tally.read_kinds)
    assert "--mode semantic" in kinds and "--mode hybrid" in kinds, tally.read_kinds


@pytest.mark.skipif(
    not (3, 12) <= sys.version_info < (3, 14), reason="only asyncio 3.12 and 3.13 warn here"
)
def test_the_child_watcher_warning_asyncio_leaks_from_threads_is_not_an_error() -> None:
    """asyncio hides this warning behind catch_warnings(), which a second thread can undo.

    Calling it directly under the suite's filters is what such a thread sees.
    """
    policy = asyncio.get_event_loop_policy()
    policy.get_child_watcher()  # type: ignore[attr-defined]
