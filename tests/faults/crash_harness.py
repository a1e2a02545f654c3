"""Kill -9 bulk writes at random moments and check that every committed write survived."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rekall.core.entries import content_hash
from rekall.search.model_files import MODEL_ID
from rekall.service.generation import BATCH as GENERATE_BATCH
from rekall.storage import embeddings_repo, maintenance
from rekall.storage.database import open_database

REKALL = str(Path(sys.executable).parent / ("rekall.exe" if os.name == "nt" else "rekall"))
MARKER = "crash-marked"
VECTORS_ONLY_MISSING = re.compile(r"^\d+ entries have no vector, 0 have a stale vector;")


@dataclass
class CrashTally:
    """What a series of kills did: kills, runs that finished first, and every problem seen.

    A kill survived when it left a database that `rekall check` passes as it is; one that
    `check --repair` had to fix is counted apart (repaired), never as survived.
    """

    kills: int = 0
    survived: int = 0
    finished: int = 0
    repaired: int = 0
    lost_writes: int = 0
    problems: list[str] = field(default_factory=list)

    def record(self, killed: bool, label: str, problems: list[str], repaired: bool = False) -> None:
        """Count one run: survived, repaired (fixed by check --repair), or with problems."""
        self.kills += killed
        self.finished += not killed
        self.survived += killed and not problems and not repaired
        self.repaired += killed and not problems and repaired
        self.problems.extend(f"{label}: {problem}" for problem in problems)


def fill_vectors(db_file: Path, seed: int = 7) -> int:
    """Give each entry without a vector a random unit vector stamped with its text's hash.

    This stands in for embedding a few thousand entries (minutes on two cores): the crash
    checks are about storage consistency, which does not depend on the vectors' values.
    """
    rng = np.random.default_rng(seed)
    db = open_database(db_file)
    try:
        with db.read() as conn:
            pending = [p for p, stored in embeddings_repo.texts_with_hashes(conn, MODEL_ID)]
        rows = []
        for item in pending:
            text = item.embedding_text()
            vector = rng.standard_normal(384).astype(np.float32)
            vector /= np.linalg.norm(vector)
            rows.append((item.seq, MODEL_ID, 384, content_hash(text), vector.tobytes()))
        with db.write() as (conn, generation):
            embeddings_repo.upsert_vectors(conn, rows, generation)
    finally:
        db.close()
    return len(rows)


def write_marked_export(env: dict[str, str], target: Path) -> int:
    """Export the base in env, with every entry moved to project MARKER; return the count."""
    subprocess.run([REKALL, "export", "-o", str(target)], env=env, check=True, timeout=120)
    document = json.loads(target.read_text(encoding="utf-8"))
    for entry in document["entries"]:
        entry["project"] = MARKER
    target.write_text(json.dumps(document), encoding="utf-8")
    return len(document["entries"])


def count_rows(db_file: Path, where: str = "1", args: tuple[str, ...] = ()) -> int:
    """Committed entries matching where, read by a connection of its own."""
    conn = sqlite3.connect(db_file, timeout=30)
    try:
        return int(conn.execute(f"SELECT count(*) FROM entries WHERE {where}", args).fetchone()[0])
    finally:
        conn.close()


def storage_problems(db_file: Path) -> list[str]:
    """SQLite integrity, FTS5 integrity, foreign keys and vectors without an entry."""
    problems = []
    conn = sqlite3.connect(db_file, timeout=30, isolation_level=None)
    try:
        integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if integrity != ["ok"]:
            problems.append(f"integrity_check: {integrity[:3]}")
        try:
            conn.execute(
                "INSERT INTO entries_fts (entries_fts, rank) VALUES ('integrity-check', 1)"
            )
        except sqlite3.DatabaseError as exc:
            problems.append(f"FTS5 integrity-check: {exc}")
        if conn.execute("PRAGMA foreign_key_check").fetchall():
            problems.append("foreign_key_check reports rows")
        if orphans := maintenance.orphan_vectors(conn):
            problems.append(f"{orphans} vectors belong to no entry")
    finally:
        conn.close()
    return problems


def check_problems(env: dict[str, str], vectors_complete: bool) -> tuple[list[str], bool]:
    """`rekall check`: exit 0, or fixed by --repair; without a model, only missing vectors.

    Returns the problems left and whether --repair was needed.
    """
    result = subprocess.run(
        [REKALL, "check", "--json"], env=env, capture_output=True, text=True, timeout=120
    )
    if "Traceback" in result.stderr:
        return [f"rekall check crashed: {result.stderr[-300:]}"], False
    findings = json.loads(result.stdout)["findings"]
    bad = [f for f in findings if not f["ok"]]
    if not vectors_complete:
        bad = [
            f
            for f in bad
            if not (f["name"] == "vectors" and VECTORS_ONLY_MISSING.match(f["detail"]))
        ]
        return [f"check: {f['name']}: {f['detail']}" for f in bad], False
    if result.returncode == 0:
        return [], False
    repaired = subprocess.run(
        [REKALL, "check", "--repair"], env=env, capture_output=True, timeout=600
    )
    return ([] if repaired.returncode == 0 else [f"check --repair failed: {bad}"]), True


def kill_at_random(args: list[str], env: dict[str, str], delay: float) -> bool:
    """Run args, SIGKILL it after delay seconds; True when it finished (exit 0) first."""
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _, err = process.communicate(timeout=delay)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return False
    if process.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed: {err.decode(errors='replace')[-500:]}")
    return True


def reset_home(pristine: Path, home: Path) -> Path:
    """A fresh copy of the pristine database file as home/rekall.db."""
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    shutil.copyfile(pristine, home / "rekall.db")
    return home / "rekall.db"


def timed_import(pristine: Path, home: Path, export: Path, env: dict[str, str]) -> float:
    """Seconds one unkilled `rekall import --strategy replace` takes on a fresh copy."""
    reset_home(pristine, home)
    started = time.perf_counter()
    kill_at_random(import_args(export), env, 600)
    return time.perf_counter() - started


def import_args(export: Path) -> list[str]:
    return [REKALL, "import", str(export), "--strategy", "replace"]


def crash_import(
    pristine: Path, home: Path, export: Path, env: dict[str, str], delay: float, tally: CrashTally
) -> None:
    """One import of the marked export killed after delay; the transaction is all or nothing."""
    db_file = reset_home(pristine, home)
    total = count_rows(db_file)
    finished = kill_at_random(import_args(export), env, delay)
    problems = storage_problems(db_file)
    marked = count_rows(db_file, "project = ?", (MARKER,))
    if finished and marked != total:
        tally.lost_writes += total - marked
        problems.append(f"acknowledged import left {marked}/{total} marked")
    elif marked not in (0, total):
        problems.append(f"torn import, {marked}/{total} marked")
    found, repaired = check_problems(env, True)
    tally.record(not finished, f"import killed at {delay:.2f} s", problems + found, repaired)


class CommittedCounter(threading.Thread):
    """Polls the entry count from its own connection: the highest count seen was committed."""

    def __init__(self, db_file: Path) -> None:
        super().__init__(daemon=True)
        self.db_file = db_file
        self.highest = 0
        self.stop = threading.Event()

    def run(self) -> None:
        conn = sqlite3.connect(self.db_file, timeout=30)
        try:
            while not self.stop.is_set():
                row = conn.execute("SELECT count(*) FROM entries").fetchone()
                self.highest = max(self.highest, int(row[0]))
                time.sleep(0.002)
        finally:
            conn.close()


def crash_generate(
    db_file: Path, env: dict[str, str], count: int, delay: float, tally: CrashTally
) -> None:
    """`rekall test generate` killed after delay: whole batches only, nothing seen is lost."""
    before = count_rows(db_file)
    counter = CommittedCounter(db_file)
    counter.start()
    args = [
        REKALL,
        "test",
        "generate",
        "--into-current",
        "--count",
        str(count),
        "--seed",
        str(before),
    ]
    finished = kill_at_random(args, env, delay)
    counter.stop.set()
    counter.join()
    problems = storage_problems(db_file)
    after = count_rows(db_file)
    added = after - before
    if counter.highest > after or (finished and added != count):
        lost = max(counter.highest - after, count - added if finished else 0)
        tally.lost_writes += lost
        problems.append(f"{lost} committed entries lost")
    if added % GENERATE_BATCH and added != count:
        problems.append(f"{added} added, not whole batches of {GENERATE_BATCH}")
    found, repaired = check_problems(env, False)
    tally.record(not finished, f"generate killed at {delay:.2f} s", problems + found, repaired)


def run_series(
    pristine: Path, work: Path, env: dict[str, str], kills: int, seed: int
) -> tuple[CrashTally, dict[str, float]]:
    """kills kills, alternating import and generate runs; returns the tally and durations."""
    rng = random.Random(seed)
    conn = sqlite3.connect(pristine)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    export = work / "marked-export.json"
    write_marked_export({**env, "REKALL_HOME": str(pristine.parent)}, export)
    import_home = work / "import-home"
    import_env = {**env, "REKALL_HOME": str(import_home)}
    durations = {"import": timed_import(pristine, import_home, export, import_env)}
    no_model = {**env, "REKALL_MODEL_PATH": str(work / "no-model")}
    (work / "no-model").mkdir(exist_ok=True)
    generate_db = reset_home(pristine, work / "generate-home")
    generate_env = {**no_model, "REKALL_HOME": str(generate_db.parent)}
    started = time.perf_counter()
    kill_at_random(
        [REKALL, "test", "generate", "--into-current", "--count", "1500"], generate_env, 600
    )
    durations["generate"] = time.perf_counter() - started
    tally = CrashTally()
    while tally.kills < kills:
        if rng.random() < 0.5:
            delay = rng.uniform(0.05, durations["import"] * 1.1)
            crash_import(pristine, import_home, export, import_env, delay, tally)
        else:
            delay = rng.uniform(0.05, durations["generate"] * 1.1)
            crash_generate(generate_db, generate_env, 1500, delay, tally)
    return tally, durations
