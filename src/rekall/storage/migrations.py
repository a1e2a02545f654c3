"""Schema upgrades: snapshot first, one transaction per step, refusal of newer files."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from rekall.core.errors import MigrationError, NewerSchemaError, UnusableDatabaseError
from rekall.storage.maintenance import first_free_path
from rekall.storage.schema import MIGRATIONS, Migration


def schema_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in PRAGMA user_version (0 for a new file)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def refuse_foreign(path: Path) -> None:
    """Refuse, before anything opens it for writing, a database Rekall must not convert.

    A non-empty SQLite file without a schema version belongs to another program, and
    Rekall 0.3's knowledge.db is brought over by import, not upgraded in place. Raises
    UnusableDatabaseError saying what to do; an unreadable file is left to connect() to describe.
    """
    if not path.is_file() or path.stat().st_size == 0:
        return
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return
    try:
        version = schema_version(conn)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type='table'")}
        legacy = "context_compressed" in {r[1] for r in conn.execute("PRAGMA table_info(entries)")}
    except sqlite3.DatabaseError:
        return
    finally:
        conn.close()
    if legacy:
        raise UnusableDatabaseError(
            f"{path} is a knowledge.db of the earlier Rekall 0.3, which this Rekall does not "
            "open in place; move it elsewhere (or set REKALL_HOME to another folder), then "
            "bring its entries over with: rekall import --from-db PATH-OF-THE-MOVED-FILE"
        )
    if version == 0 and tables:
        shown = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
        raise UnusableDatabaseError(
            f"{path} is an SQLite database of another program (tables: {shown}), not a "
            "Rekall one, and Rekall will not change it; move it away or set REKALL_HOME "
            "to another folder"
        )


def migrate(
    conn: sqlite3.Connection, db_file: Path, migrations: Sequence[Migration] = MIGRATIONS
) -> Path | None:
    """Apply pending migrations; return the snapshot path taken first, if any.

    Raises NewerSchemaError when the file is newer than this code, MigrationError when a
    step fails (that step is rolled back; the snapshot is kept beside the database).
    """
    current = schema_version(conn)
    target = len(migrations)
    if current > target:
        raise NewerSchemaError(
            f"{db_file} has schema version {current} but this Rekall understands up to "
            f"{target}; upgrade Rekall (pip install -U rekall) to open it"
        )
    if current == target:
        return None
    snapshot = _take_snapshot(conn, db_file, current) if current > 0 else None
    for version in range(current + 1, target + 1):
        _apply_one(conn, migrations[version - 1], version, db_file, snapshot)
    return snapshot


def _apply_one(
    conn: sqlite3.Connection,
    step: Migration,
    version: int,
    db_file: Path,
    snapshot: Path | None,
) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have migrated while we waited for the lock.
        if schema_version(conn) >= version:
            conn.execute("ROLLBACK")
            return
        step(conn)
        conn.execute(f"PRAGMA user_version = {version}")
    except Exception as exc:
        conn.execute("ROLLBACK")
        kept = (
            f"; to go back to the copy taken before the upgrade, run 'rekall restore {snapshot}'"
            if snapshot
            else ""
        )
        # Earlier steps of this run are committed: say where the file really stands.
        raise MigrationError(
            f"upgrading {db_file} to schema version {version} ({step.__name__}) failed: "
            f"{exc}. That step was rolled back and the database is at schema version "
            f"{version - 1}{kept}"
        ) from exc
    conn.execute("COMMIT")


def _take_snapshot(conn: sqlite3.Connection, db_file: Path, version: int) -> Path:
    """VACUUM INTO a consistent copy beside the database before changing its schema."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    target = first_free_path(db_file.with_name(f"{db_file.name}.v{version}-{stamp}"), ".bak")
    try:
        conn.execute("VACUUM INTO ?", (str(target),))
    except sqlite3.Error as exc:
        raise MigrationError(
            f"could not write a snapshot of {db_file} to {target} before upgrading ({exc}); "
            "free disk space or make the directory writable, then try again"
        ) from exc
    return target
