"""Environment faults: a held lock, no or a corrupt model, a read-only or full disk."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.faults.crash_harness import REKALL, count_rows

LOCK_HOLDER = (
    "import sqlite3, sys\n"
    "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
    "conn.execute('BEGIN EXCLUSIVE')\n"
    "print('held', flush=True)\n"
    "sys.stdin.read()\n"
)


def rekall(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The console script as a real process, with extra environment variables."""
    return subprocess.run(
        [REKALL, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=300
    )


def assert_clear_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 1, an 'Error:' line last naming the problem, no traceback."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: "), result.stderr
    for word in words:
        assert word in last, result.stderr


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Mount small tmpfs file systems (root only); unmounted afterwards."""
    mounted: list[Path] = []

    def mount(name: str, size: str = "4m") -> Path:
        target = tmp_path / name
        target.mkdir()
        args = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target)]
        if sys.platform != "linux" or os.geteuid() != 0:
            pytest.skip("mounting a tmpfs needs root on Linux")
        if subprocess.run(args, capture_output=True).returncode != 0:
            pytest.skip("mount -t tmpfs is not permitted here")
        mounted.append(target)
        return target

    yield mount
    for target in mounted:
        subprocess.run(["umount", "-l", str(target)], check=True)


def test_a_lock_held_longer_than_the_timeout_gives_a_clear_message_and_loses_nothing(
    db_file: Path, db_fingerprint: Callable[[Path], str]
) -> None:
    assert rekall("add", "til", "before the lock").returncode == 0
    before = db_fingerprint(db_file)
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(db_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        blocked = rekall("add", "til", "while locked", REKALL_BUSY_TIMEOUT_MS="300")
    finally:
        holder.communicate("")
    assert_clear_error(blocked, "locked by another process for 0.3 s")
    assert db_fingerprint(db_file) == before
    assert rekall("add", "til", "after the lock").returncode == 0
    assert count_rows(db_file) == 2


@pytest.mark.parametrize("value", ["abc", "-5", "99999999999"])
def test_an_invalid_busy_timeout_is_refused_clearly(value: str) -> None:
    assert_clear_error(rekall("list", REKALL_BUSY_TIMEOUT_MS=value), "REKALL_BUSY_TIMEOUT_MS")


def corrupt_model(tmp_path: Path, real_model_dir: Path) -> Path:
    """A copy of the installed model folder with its weights cut in half."""
    target = tmp_path / "corrupt-model"
    shutil.copytree(real_model_dir, target)
    weights = target / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    return target


@pytest.mark.model
@pytest.mark.parametrize("kind", ["missing", "corrupt"])
def test_without_a_usable_model_writes_are_kept_and_search_says_why(
    kind: str, tmp_path: Path, db_file: Path, real_model_dir: Path
) -> None:
    model = tmp_path / "empty" if kind == "missing" else corrupt_model(tmp_path, real_model_dir)
    model.mkdir(exist_ok=True)
    added = rekall(
        "add",
        "bug",
        "Kafka consumer lag",
        "-c",
        "lower max.poll.records",
        REKALL_MODEL_PATH=str(model),
    )
    assert added.returncode == 0 and "Traceback" not in added.stderr
    assert "without a vector" in added.stderr
    semantic = rekall(
        "search", "queue reader behind", "--mode", "semantic", REKALL_MODEL_PATH=str(model)
    )
    # By design the search falls back to keywords and says why, naming the broken file.
    assert semantic.returncode == 0 and "Traceback" not in semantic.stderr
    assert "Semantic search is unavailable" in semantic.stderr
    assert ("config.json is missing" if kind == "missing" else "truncated or corrupt") in (
        semantic.stderr
    )
    keyword = rekall("search", "kafka", "--mode", "keyword", REKALL_MODEL_PATH=str(model))
    assert keyword.returncode == 0 and added.stdout.strip() in keyword.stdout
    assert count_rows(db_file) == 1


def test_a_read_only_file_system_refuses_writes_clearly_and_keeps_the_data(
    tmpfs: Callable[..., Path], db_fingerprint: Callable[[Path], str]
) -> None:
    mount = tmpfs("ro")
    home = str(mount / "data")
    assert rekall("add", "til", "kept on a read-only disk", REKALL_HOME=home).returncode == 0
    before = db_fingerprint(mount / "data" / "rekall.db")
    subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
    try:
        assert_clear_error(rekall("add", "til", "refused", REKALL_HOME=home), "rekall.db")
        listed = rekall("list", REKALL_HOME=home)
        assert listed.returncode == 0 or listed.stderr.startswith("Error: ")
        assert "Traceback" not in listed.stderr
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(mount)], check=True)
    assert db_fingerprint(mount / "data" / "rekall.db") == before
    assert count_rows(mount / "data" / "rekall.db") == 1


def test_a_full_disk_refuses_the_write_clearly_and_keeps_every_acknowledged_one(
    tmpfs: Callable[..., Path], tmp_path: Path
) -> None:
    mount = tmpfs("full", size="1m")
    env = {"REKALL_HOME": str(mount / "data"), "REKALL_MODEL_PATH": str(tmp_path / "none")}
    (tmp_path / "none").mkdir()
    acknowledged: list[str] = []
    result = rekall("list", **env)
    for index in range(40):
        content = f"entry {index} " + "x" * 60_000
        result = rekall("add", "til", f"filler {index}", "-c", content, **env)
        if result.returncode != 0:
            break
        acknowledged.append(result.stdout.strip())
    assert_clear_error(result, "full")
    db_file = mount / "data" / "rekall.db"
    conn = sqlite3.connect(db_file)
    try:
        held = {row[0] for row in conn.execute("SELECT id FROM entries")}
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    assert acknowledged and set(acknowledged) <= held
