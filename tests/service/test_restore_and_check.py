"""`check` beside busy writers, and the leftovers of a restore or backup killed midway."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rekall.service import Rekall
from rekall.storage import maintenance as storage_maintenance


def hold_the_write_lock(db_file: Path, holding: threading.Event, seconds: float) -> None:
    """Another process's writer: takes the lock, writes, commits after `seconds`."""
    conn = sqlite3.connect(db_file, isolation_level=None, timeout=30)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
        holding.set()
        time.sleep(seconds)
        conn.execute("COMMIT")
    finally:
        conn.close()


def test_a_busy_database_is_not_reported_as_a_corrupt_index(service: Rekall, db_file: Path) -> None:
    service.add("bug", "CORS fails on Safari", "credentials include")
    holding = threading.Event()
    writer = threading.Thread(target=hold_the_write_lock, args=(db_file, holding, 2.0))
    writer.start()
    assert holding.wait(30)
    report = service.check(repair=False)
    writer.join()
    found = {finding.name: finding for finding in report.findings}
    assert found["keyword index"].ok, found["keyword index"].detail
    assert report.healthy


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def plant_leftovers(folder: Path, pid: int) -> tuple[Path, Path]:
    staged = folder / f".restore-{pid}-k2j4xq_a"
    staged.mkdir()
    (staged / "staged.db").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    partial = folder / f"rekall-before-restore-20261202T120000Z.db.{pid}.partial"
    partial.write_bytes(b"half a copy")
    return staged, partial


def test_check_and_restore_remove_what_a_killed_restore_left(
    service: Rekall, db_file: Path
) -> None:
    service.add("til", "SQLite WAL mode")
    folder = db_file.parent
    dead = plant_leftovers(folder, dead_pid())
    alive = plant_leftovers(folder, os.getppid())  # a restore still running elsewhere
    legacy_old = folder / "rekall-backup-20250101T000000Z.db.partial"
    legacy_old.write_bytes(b"0.4 leftover")
    os.utime(legacy_old, (time.time() - 7200, time.time() - 7200))
    legacy_new = folder / ".restore-abcdefgh"
    legacy_new.mkdir()

    report = service.check(repair=False)
    assert not any(path.exists() for path in (*dead, legacy_old))
    assert all(path.exists() for path in (*alive, legacy_new))
    assert any("interrupted restore" in line for line in report.repairs)

    dead_again = plant_leftovers(folder, dead_pid())
    backup = service.backup()
    service.restore(backup)
    assert not any(path.exists() for path in dead_again)
    assert all(path.exists() for path in alive)


def test_a_partial_copy_is_named_with_its_writers_pid(
    service: Rekall, db_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    real_replace = os.replace

    def spy(source: str | Path, target: str | Path) -> None:
        seen.append(Path(source).name)
        real_replace(source, target)

    monkeypatch.setattr(storage_maintenance.os, "replace", spy)
    target = service.backup()
    assert seen == [f"{target.name}.{os.getpid()}.partial"]
