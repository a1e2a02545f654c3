"""Opening the database: pragmas, write transactions and the write generation."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from rekall.core.errors import StorageError, UnusableDatabaseError

BUSY_TIMEOUT_MS = 10_000
BUSY_TIMEOUT_ENV = "REKALL_BUSY_TIMEOUT_MS"


def busy_timeout_ms() -> int:
    """How long to wait for another process's lock: REKALL_BUSY_TIMEOUT_MS, else 10 s.

    Raises StorageError when the variable is not a whole number of milliseconds >= 0.
    """
    raw = os.environ.get(BUSY_TIMEOUT_ENV, "").strip()
    if not raw:
        return BUSY_TIMEOUT_MS
    if not raw.isdigit() or int(raw) > 3_600_000:
        raise StorageError(
            f"{BUSY_TIMEOUT_ENV}={raw!r} is not a number of milliseconds from 0 to 3600000; "
            "fix or unset it"
        )
    return int(raw)


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open path with Rekall's pragmas. Raises StorageError with what to do on failure."""
    timeout_ms = busy_timeout_ms()
    if not readonly:
        _ensure_writable_dir(path.parent)
    elif not path.exists():
        raise StorageError(f"database {path} does not exist")
    uri = f"{path.resolve().as_uri()}?mode={'ro' if readonly else 'rwc'}"
    try:
        conn = sqlite3.connect(
            uri,
            uri=True,
            isolation_level=None,
            timeout=timeout_ms / 1000,
            check_same_thread=False,
        )
    except sqlite3.DatabaseError as exc:
        raise describe_database_error(path, exc) from exc
    try:
        _configure(conn, timeout_ms, readonly)
    except sqlite3.DatabaseError as exc:
        # A corrupt file fails here, after the open: close at once rather than leave the
        # handle to the garbage collector (Python 3.13 warns about unclosed connections).
        conn.close()
        raise describe_database_error(path, exc) from exc
    return conn


def _configure(conn: sqlite3.Connection, timeout_ms: int, readonly: bool) -> None:
    """Apply the pragmas and read the schema once, so a corrupt file fails here."""
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {timeout_ms}")
    conn.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        _set_journal_mode(conn)
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()


def describe_database_error(path: Path, exc: sqlite3.Error) -> StorageError:
    """Turn a sqlite3 error into a message that says what is wrong and what to do."""
    text = str(exc)
    if "not a database" in text or "malformed" in text or "disk image" in text:
        return UnusableDatabaseError(
            f"{path} is not a valid Rekall database or is corrupt ({text}); "
            "restore a backup with 'rekall restore FILE' (backups are the rekall-backup-*.db "
            "files 'rekall backup' writes beside the database; restore checks FILE first and "
            "keeps this file), or move the file away to start fresh"
        )
    if "locked" in text or "busy" in text:
        return StorageError(
            f"{path} stayed locked by another process for {busy_timeout_ms() / 1000:g} s; "
            "close the other Rekall process or try again"
        )
    if "readonly" in text or "read-only" in text:
        return StorageError(f"{path} is read-only; make it writable or set REKALL_HOME elsewhere")
    if "disk is full" in text or "full" in text:
        return StorageError(f"the disk holding {path} is full; free space and try again")
    if "unable to open" in text:
        return StorageError(
            f"cannot open {path} ({text}); check the directory exists and is writable, "
            "or set REKALL_HOME"
        )
    return StorageError(f"database error on {path}: {text}")


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[int]:
    """BEGIN IMMEDIATE, bump the write generation, yield it; commit or roll back.

    Taking the write lock first avoids the deadlock-prone upgrade from a read lock, and
    bumping the generation inside the same transaction lets every cache in every process
    tell that something changed.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
        generation = int(
            conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0]
        )
        yield generation
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def write_aside(conn: sqlite3.Connection, work: Callable[[], None], wait_ms: int) -> bool:
    """Run one autocommit write outside a write transaction, waiting at most wait_ms for
    another process's lock; False (nothing written) when the lock stayed taken.

    For bookkeeping that no cache depends on (access counts): it bumps no generation, and
    a long write elsewhere (an import) must not make a read wait behind it.
    """
    usual = int(conn.execute("PRAGMA busy_timeout").fetchone()[0])
    conn.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
    try:
        work()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return False
        raise
    finally:
        conn.execute(f"PRAGMA busy_timeout = {usual}")
    return True


def read_generation(conn: sqlite3.Connection) -> int:
    """The current write generation; any write by any process increases it."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    return int(row[0]) if row else 0


def read_uid(conn: sqlite3.Connection) -> int:
    """The database's random identity, fixed at creation."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'uid'").fetchone()
    return int(row[0]) if row else 0


class Identity(NamedTuple):
    """What derived files (vector snapshot, sqlite-vec index) must match to be trusted.

    uid is fixed at creation (and replaced by a restore); token changes on every restore,
    index rebuild and detected copy-back; generation counts writes.
    """

    uid: int
    token: int
    generation: int

    @property
    def lineage(self) -> str:
        """uid and token as one string: one history of this database."""
        return f"{self.uid}.{self.token}"


def read_identity(conn: sqlite3.Connection) -> Identity:
    """The database's uid, token and generation, read together."""
    values = {
        str(row[0]): int(row[1])
        for row in conn.execute(
            "SELECT key, value FROM meta WHERE key IN ('uid', 'token', 'generation')"
        )
    }
    return Identity(values.get("uid", 0), values.get("token", 0), values.get("generation", 0))


def rotate_token(conn: sqlite3.Connection) -> None:
    """Give the database a new token (inside the caller's write transaction).

    Every derived file stamped with the old token stops being trusted, in every process.
    """
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('token', abs(random())) "
        "ON CONFLICT (key) DO UPDATE SET value = abs(random())"
    )


def _set_journal_mode(conn: sqlite3.Connection) -> None:
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    if str(mode).lower() != "wal":
        conn.execute("PRAGMA journal_mode = WAL")


def _ensure_writable_dir(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"cannot create the data directory {directory} ({exc.strerror}); "
            "set REKALL_HOME to a writable directory"
        ) from exc
