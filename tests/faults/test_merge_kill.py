"""A merge killed with SIGKILL in the middle of its transaction leaves no trace of itself."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rekall.core.records import EntryContext
from rekall.core.review import ReviewState
from rekall.service import Rekall
from rekall.storage import context_repo, review_repo

Dump = Callable[[Path], Sequence[str]]

# Runs `rekall merge` with the storage step that deprecates each merged entry wrapped: after
# the first one, with content, tags, links, context and review state already written inside
# the open transaction, it says so and waits to be killed.
MERGE_SCRIPT = """
import sys, time
from rekall.storage import merge_repo

real = merge_repo.supersede

def supersede_then_wait(*args):
    real(*args)
    if sys.argv[1] == "pause":
        print("IN_TRANSACTION", flush=True)
        time.sleep(300)

merge_repo.supersede = supersede_then_wait
from rekall.interfaces.cli.main import cli
cli(sys.argv[2:], prog_name="rekall")
"""


def make_base() -> dict[str, str]:
    service = Rekall()
    try:
        ids = {
            name: service.add("bug", title, f"{title}: body", (name,)).id
            for name, title in (
                ("keep", "CORS fails on Safari"),
                ("dup1", "Safari blocks CORS"),
                ("dup2", "Cross-origin fetch fails in Safari"),
                ("other", "Retry with backoff"),
            )
        }
        service.link(ids["dup1"], ids["other"], "related")
        service.link(ids["other"], ids["dup2"], "derived_from")
        service.link(ids["keep"], ids["dup1"], "related")
        with service.db.write() as (conn, _):
            review_repo.write_state(
                conn, ids["dup2"], ReviewState(2, 6, 2.5, "2030-01-01T00:00:00+00:00")
            )
            context_repo.write_context(
                conn, ids["dup1"], EntryContext({"error": "E"}, None, ("k",))
            )
        return ids
    finally:
        service.close()


def run_merge(mode: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", MERGE_SCRIPT, mode, "merge", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


def test_a_merge_killed_mid_transaction_leaves_the_base_as_before(
    db_file: Path, logical_dump: Dump
) -> None:
    ids = make_base()
    before = logical_dump(db_file)
    process = run_merge("pause", ids["keep"], ids["dup1"], ids["dup2"])
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip() == "IN_TRANSACTION", process.stderr.read() if process.stderr else ""
        process.kill()  # SIGKILL on POSIX: no handler, no cleanup, no rollback by Python
    finally:
        process.wait(timeout=60)
        process.stdout.close() if process.stdout else None
        process.stderr.close() if process.stderr else None
    assert process.returncode != 0
    conn = sqlite3.connect(db_file)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    assert logical_dump(db_file) == before


def test_the_same_merge_left_to_finish_shows_every_change(
    db_file: Path, logical_dump: Dump
) -> None:
    ids = make_base()
    before = logical_dump(db_file)
    process = run_merge("finish", ids["keep"], ids["dup1"], ids["dup2"])
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert out.strip() == ids["keep"] and logical_dump(db_file) != before
    service = Rekall()
    try:
        kept = service.get(ids["keep"], record_access=False)
        assert kept.tags == ("dup1", "dup2", "keep")
        assert kept.content.count("(merged from ") == 2
        for name in ("dup1", "dup2"):
            merged = service.get(ids[name], record_access=False)
            assert (merged.status, merged.superseded_by) == ("deprecated", ids["keep"])
        links = {(k.source_id, k.target_id, k.type) for k in service.links(ids["other"])}
        assert links == {
            (ids["keep"], ids["other"], "related"),
            (ids["other"], ids["keep"], "derived_from"),
        }
        with service.db.read() as conn:
            assert (
                review_repo.read_state(conn, ids["keep"]).next_review == "2030-01-01T00:00:00+00:00"
            )  # type: ignore[union-attr]
            assert context_repo.read_contexts(conn, [ids["keep"]])[ids["keep"]].keywords == ("k",)
    finally:
        service.close()
