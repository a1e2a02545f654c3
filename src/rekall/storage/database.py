"""One open Rekall database: a migrated connection, a lock for threads, read and write scopes."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from rekall.storage import migrations
from rekall.storage.connection import (
    connect,
    describe_database_error,
    read_generation,
    read_uid,
    write_aside,
    write_transaction,
)

if TYPE_CHECKING:
    from rekall.storage.repositories import Repositories

T = TypeVar("T")
# How long counting an access waits for another process's write lock before it is skipped.
ACCESS_WAIT_MS = 100


class Database:
    """A thread-safe handle on the SQLite file; every SQL call goes through read() or write()."""

    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)
        self._lock = threading.RLock()
        migrations.refuse_foreign(path)
        self._conn = connect(path)
        try:
            self.snapshot_taken = migrations.migrate(self._conn, path)
        except BaseException:
            self._conn.close()
            raise

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent read: one transaction, so several SELECTs see the same state."""
        with self._lock, self._translate_errors():
            self._conn.execute("BEGIN")
            try:
                yield self._conn
            finally:
                self._conn.execute("COMMIT")

    @contextmanager
    def write(self) -> Iterator[tuple[sqlite3.Connection, int]]:
        """BEGIN IMMEDIATE with the generation bumped; yields (connection, new generation)."""
        with self._lock, self._translate_errors(), write_transaction(self._conn) as generation:
            yield self._conn, generation

    def query(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run read-only work in a read transaction (the server backend saves round trips)."""
        with self.read() as conn:
            return work(conn)

    def record_access(self, entry_id: str, now: str) -> bool:
        """Count one access of an entry, outside the write scope: the generation stays (no
        cache holds access counts), and a write lock held elsewhere is waited for at most
        ACCESS_WAIT_MS. False when the count was skipped for that lock."""
        with self._lock, self._translate_errors():
            return write_aside(
                self._conn,
                lambda: self.repos.entries.record_access(self._conn, entry_id, now),
                ACCESS_WAIT_MS,
            )

    def generation(self) -> int:
        """The current write generation (cheap: one indexed row)."""
        with self._lock, self._translate_errors():
            return read_generation(self._conn)

    def uid(self) -> int:
        """The database's random identity, fixed at creation."""
        with self._lock, self._translate_errors():
            return read_uid(self._conn)

    @cached_property
    def repos(self) -> Repositories:
        """The SQLite implementation of every area of the storage contract."""
        from rekall.storage.repositories import Repositories

        # Each module is imported when first used: a search needs four of the nine.
        return Repositories(
            {
                "entries": "rekall.storage.entries_repo",
                "links": "rekall.storage.links_repo",
                "keyword": "rekall.storage.fts_repo",
                "vectors": "rekall.storage.embeddings_repo",
                "review": "rekall.storage.review_repo",
                "transfer": "rekall.storage.transfer_repo",
                "meta": "rekall.storage.maintenance",
                "tokens": "rekall.storage.tokens_repo",
                "merge": "rekall.storage.merge_repo",
            }
        )

    def close(self) -> None:
        """Close the connection; the WAL is checkpointed by SQLite on last close."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.IntegrityError:
            raise
        except sqlite3.OperationalError as exc:
            raise describe_database_error(self.path, exc) from exc
        except sqlite3.DatabaseError as exc:
            raise describe_database_error(self.path, exc) from exc


def open_database(path: Path) -> Database:
    """Open (creating and migrating as needed) the database at path. Raises StorageError."""
    try:
        return Database(path)
    except sqlite3.Error as exc:
        raise describe_database_error(path, exc) from exc
