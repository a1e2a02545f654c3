"""SQLite unchanged by the PostgreSQL work: cold `rekall search` on a 10K base, three versions."""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from common import BENCH_DIR, ROOT, bench_env, run_measured, source_tree

BASELINE = "f2e9993"
# The console script, for either source tree (chosen by PYTHONPATH).
LAUNCH = "import sys; from rekall.interfaces.cli.main import main; sys.argv[0] = 'rekall'; main()"


def older_schema(db_file: Path, version: int) -> None:
    """Take away what the migrations after version added, for an older Rekall to open."""
    with closing(sqlite3.connect(db_file)) as conn, conn:
        conn.execute("DROP TABLE tokens")
        conn.execute("ALTER TABLE entries DROP COLUMN created_by")
        conn.execute("ALTER TABLE entries DROP COLUMN updated_by")
        conn.execute(f"PRAGMA user_version = {version}")


def sqlite_unchanged(home: Path, runs: int) -> dict[str, tuple[float, float]]:
    """Cold `rekall search` on one 10K SQLite base: this code, main, and the starting commit.

    main is what this work merges into (other work included); the starting commit is where
    this work began. The rounds alternate the three, so load hits them alike.
    """
    main = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "main"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    variants = {"this branch": (ROOT / "src", None), f"main {main}": (source_tree(main), None)}
    variants[f"start {BASELINE}"] = (source_tree(BASELINE), 4)
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    for name, (source, version) in variants.items():
        target = BENCH_DIR / f"sqlite-{name.split()[-1]}"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        with closing(sqlite3.connect(home / "rekall.db")) as conn, conn:
            conn.execute("VACUUM INTO ?", (str(target / "rekall.db"),))
        if version is not None:
            older_schema(target / "rekall.db", version)
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(source)], check=True)
    for _ in range(runs + 1):  # the first round warms the OS cache
        for name, (source, _) in variants.items():
            env = bench_env(BENCH_DIR / f"sqlite-{name.split()[-1]}", PYTHONPATH=str(source))
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            args = [sys.executable, "-c", LAUNCH, "search", "browser blocks cross-origin request"]
            figures[name].append(run_measured(args, env))
    return {
        name: (
            statistics.median(ms for ms, _ in found[1:]),
            statistics.median(mb for _, mb in found[1:]),
        )
        for name, found in figures.items()
    }
