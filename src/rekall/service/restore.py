"""Backups, and restore of a backup after validation, keeping the replaced database."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from rekall.core.errors import MigrationError, StorageError, ValidationError
from rekall.service.leftovers import remove_leftovers
from rekall.storage import maintenance
from rekall.storage.connection import connect, read_generation, write_transaction
from rekall.storage.database import Database
from rekall.storage.migrations import migrate
from rekall.storage.schema import SCHEMA_VERSION


@dataclass(frozen=True)
class RestoreReport:
    """Where the restored data came from and where the replaced database was kept."""

    restored_from: Path
    kept_copy: Path
    schema_version: int
    entries: int


def stamped_path(db_path: Path, label: str) -> Path:
    """A new file beside the database, named with label and the UTC time."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return maintenance.first_free_path(db_path.with_name(f"{db_path.stem}-{label}-{stamp}"), ".db")


def backup(db: Database, target: Path | None = None) -> Path:
    """Copy the base, consistent even while other processes write; return the new file.

    Raises ValidationError when target already exists as a file, StorageError on I/O errors.
    """
    remove_leftovers(db.path.parent)
    if target is None:
        target = stamped_path(db.path, "backup")
    elif target.is_dir():
        target = stamped_path(target / db.path.name, "backup")
    elif target.exists():
        raise ValidationError(f"{target} already exists; choose a new file name")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        source = connect(db.path, readonly=True)
        try:
            maintenance.backup_to(source, target)
        finally:
            source.close()
    except (sqlite3.Error, OSError) as exc:
        raise StorageError(f"could not write the backup {target}: {exc}") from exc
    return target


def restore(db: Database, source: Path) -> RestoreReport:
    """Replace the base with a backup after checking it; the replaced base is kept beside it.

    The backup is checked on a private copy (SQLite file, Rekall schema this version can
    open or upgrade, integrity_check ok) before anything changes. Raises ValidationError
    naming the problem, and then nothing has changed.
    """
    with staged_backup(db.path, source) as (staged, version):
        kept = stamped_path(db.path, "before-restore")
        _replace_live(db, staged, kept)
    with db.read() as conn:
        entries = int(conn.execute("SELECT count(*) FROM entries").fetchone()[0])
    return RestoreReport(source, kept, version, entries)


def restore_over_unusable(db_path: Path, source: Path) -> RestoreReport:
    """Restore when the live file cannot be opened (corrupt, another program's, Rekall
    0.3's): it is moved aside unchanged and the checked backup takes its place.

    Raises ValidationError on a bad backup (nothing changed), StorageError on I/O errors.
    """
    with staged_backup(db_path, source) as (staged, version):
        conn = connect(staged)
        try:
            with write_transaction(conn):  # a new identity: no derived file matches it
                maintenance.stamp_as_successor(conn, 0, [])
            entries = int(conn.execute("SELECT count(*) FROM entries").fetchone()[0])
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        kept = stamped_path(db_path, "unusable")
        try:
            os.replace(db_path, kept)
            for suffix in ("-wal", "-shm"):
                side = db_path.with_name(db_path.name + suffix)
                if side.exists():
                    os.replace(side, kept.with_name(kept.name + suffix))
            os.replace(staged, db_path)
        except OSError as exc:
            raise StorageError(f"restoring into {db_path} failed: {exc}") from exc
    return RestoreReport(source, kept, version, entries)


@contextlib.contextmanager
def staged_backup(db_path: Path, source: Path) -> Iterator[tuple[Path, int]]:
    """A checked private copy of the backup beside the database, and its schema version."""
    if not source.is_file():
        raise ValidationError(f"{source}: no such backup file")
    if not maintenance.has_sqlite_header(source):
        raise ValidationError(f"{source} is not an SQLite database, so not a Rekall backup")
    remove_leftovers(db_path.parent)
    prefix = f"{maintenance.RESTORE_DIR_PREFIX}{os.getpid()}-"
    with tempfile.TemporaryDirectory(prefix=prefix, dir=db_path.parent) as folder:
        staged = Path(folder) / "staged.db"
        shutil.copyfile(source, staged)
        wal = source.with_name(source.name + "-wal")
        if wal.exists():
            shutil.copyfile(wal, staged.with_name(staged.name + "-wal"))
        yield staged, _validate_staged(staged, source)


def _validate_staged(staged: Path, source: Path) -> int:
    """Check the private copy and upgrade it to the current schema; return its old version."""
    conn = sqlite3.connect(staged)
    try:
        problems = maintenance.integrity_problems(conn)
        if problems:
            raise ValidationError(
                f"{source} failed SQLite's integrity check ({'; '.join(problems[:3])}); "
                "it cannot be restored"
            )
        version = maintenance.check_rekall_schema(conn, SCHEMA_VERSION, str(source))
    except sqlite3.DatabaseError as exc:
        raise ValidationError(f"{source} cannot be read as a database ({exc})") from exc
    finally:
        conn.close()
    conn = connect(staged)
    try:
        migrate(conn, staged)
    except MigrationError as exc:
        raise ValidationError(f"{source} cannot be upgraded to this Rekall: {exc}") from exc
    finally:
        conn.close()
    return version


def _replace_live(db: Database, staged: Path, kept: Path) -> None:
    with db.read() as conn:
        generation = read_generation(conn)
        seqs = sorted(maintenance.vector_seqs(conn))
    staged_conn = connect(staged)
    try:
        live = connect(db.path)
    except StorageError:
        staged_conn.close()
        raise
    try:
        with write_transaction(staged_conn):
            maintenance.stamp_as_successor(staged_conn, generation, seqs)
        maintenance.match_page_size(staged_conn, live)
        maintenance.backup_to(live, kept)
        maintenance.copy_into(staged_conn, live)
    except (sqlite3.Error, OSError) as exc:
        raise StorageError(
            f"restoring into {db.path} failed ({exc}); nothing was replaced"
        ) from exc
    finally:
        staged_conn.close()
        live.close()
