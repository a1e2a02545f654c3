"""One open PostgreSQL base: a small connection pool, read and write scopes, the generation."""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from rekall.core.errors import StorageError
from rekall.storage.contract import Repositories
from rekall.storage.postgres import connection as pg
from rekall.storage.postgres import index_settings
from rekall.storage.postgres.migrations import migrate
from rekall.storage.postgres.pooling import ServerPool, open_pool
from rekall.storage.refusals import refused_write, server_refused

T = TypeVar("T")
CHANNEL = "rekall_writes"
# How long counting an access waits for a lock (the entry's row, being edited) before it is
# skipped: a read must not wait behind a long write.
ACCESS_WAIT_MS = 100
READ_BEGIN = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
# The payload is '<writer>:<generation>': a listener tells its own process's writes by the
# writer, never by the number, which another process reuses when a write here rolls back.
BUMP_AND_NOTIFY = (
    "WITH bumped AS (UPDATE meta SET value = value + 1 WHERE key = 'generation' "
    "RETURNING value) SELECT value, pg_notify(%s, %s::text || ':' || value::text) FROM bumped"
)


class PostgresDatabase:
    """A thread-safe handle on a PostgreSQL base; every SQL call goes through read() or write().

    Writers serialise on the generation row (taken first in every write), so two edits never
    interleave and each write transaction sees every write committed before it.
    """

    kind = "postgres"
    snapshot_taken = None

    def __init__(self, url: str) -> None:
        self.url = url
        self.location = pg.mask_url(url)
        pg.check_url(url)  # first: a URL of another database is wrong, psycopg or not
        self.psycopg = pg.import_psycopg()
        self.pgvector_version = self._prepare()
        self.repos = _repositories()
        with self._translate_errors():
            self._pool = ServerPool(
                lambda: open_pool(url, self.pgvector_version),
                lambda: self._connect(autocommit=True).close(),
                self.location,
            )
        self._listener: Any = None
        self._listener_lock = threading.Lock()
        # Names this handle's writes in their notifications: its listener skips them.
        self.writer = secrets.token_hex(8)

    def _prepare(self) -> str:
        with self._translate_errors(), self._connect(autocommit=True) as conn:
            pg.check_server(conn, self.url)
            migrate(conn, self.url, prepare=lambda c: pg.ensure_vector_extension(c, self.url))
            return pg.extension_version(conn, "vector") or "?"

    def _connect(self, autocommit: bool = False) -> Any:
        return self.psycopg.connect(
            self.url, autocommit=autocommit, connect_timeout=pg.CONNECT_TIMEOUT_S
        )

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[Any]:
        """A pooled connection inside BEGIN … COMMIT (ROLLBACK on any exception).

        A connection the server dropped while it sat in the pool fails at BEGIN, before
        anything ran: that is the one moment a retry is always safe, so it is retried once,
        after the pool has replaced every dead connection it held (a restart drops them
        all). A drop later in the transaction is reported; the server rolls the transaction
        back, so nothing is half-written, and nothing that may have committed runs twice.
        """
        for attempt in (1, 2):
            with self._pool.connection() as conn:
                try:
                    conn.execute(begin)
                except self.psycopg.OperationalError:
                    if attempt == 2:
                        raise
                else:
                    try:
                        yield conn
                    except BaseException:
                        if not conn.closed:
                            with contextlib.suppress(self.psycopg.Error):
                                conn.execute("ROLLBACK")
                        raise
                    conn.execute("COMMIT")
                    return
            self._pool.check()

    @contextmanager
    def read(self) -> Iterator[Any]:
        """A consistent read-only snapshot: several SELECTs see the same state."""
        with self._translate_errors(), self._transaction(READ_BEGIN) as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[tuple[Any, int]]:
        """A transaction with the generation bumped and announced; yields (connection, gen)."""
        with self._translate_errors(), self._transaction("BEGIN") as conn:
            # The NOTIFY is delivered at commit only: listeners never hear of a rollback.
            row = conn.execute(BUMP_AND_NOTIFY, (CHANNEL, self.writer)).fetchone()
            yield conn, int(row[0])

    def record_access(self, entry_id: str, now: str) -> bool:
        """Count one access of an entry, outside the write scope: no generation row taken,
        no bump, no NOTIFY (no cache holds access counts), so a colleague's reading wakes
        no one and waits for no write but one of that very row, ACCESS_WAIT_MS at most.
        False when the count was skipped: for a lock, or for a role or server that may read
        the base but not write it (a standby, a read-only role): a reading must work there."""
        errors = self.psycopg.errors
        with self._translate_errors():
            try:
                with self._transaction("BEGIN") as conn:
                    conn.execute(f"SET LOCAL lock_timeout = {ACCESS_WAIT_MS}")
                    self.repos.entries.record_access(conn, entry_id, now)
            except (
                errors.LockNotAvailable,
                errors.InsufficientPrivilege,
                errors.ReadOnlySqlTransaction,
            ):
                return False
        return True

    def query(self, work: Callable[[Any], T]) -> T:
        """Run read-only work outside a transaction: one round trip per statement, no BEGIN
        or COMMIT. For work of one statement (several would each see their own moment).

        A connection the server dropped while it sat in the pool fails on the first
        statement; reading again is always safe, so it is retried once, after the pool has
        replaced every dead connection it held.
        """
        with self._translate_errors():
            for attempt in (1, 2):
                with self._pool.connection() as conn:
                    try:
                        return work(conn)
                    except self.psycopg.OperationalError:
                        if attempt == 2 or not conn.broken:
                            raise
                self._pool.check()
            raise AssertionError("unreachable")  # pragma: no cover

    def generation(self) -> int:
        """The current write generation; any write on any machine increases it.

        One statement, no BEGIN or COMMIT: a single row is read atomically, and every search
        reads it (searches are kept per generation), so it is one round trip, not three.
        """
        return self.query(
            lambda conn: int(
                conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0]
            )
        )

    def uid(self) -> int:
        """The base's random identity, fixed at creation."""
        with self.read() as conn:
            return int(conn.execute("SELECT value FROM meta WHERE key = 'uid'").fetchone()[0])

    def listen(self, callback: Callable[[int], None]) -> None:
        """Call callback(generation), from a background thread, after each write that another
        process (on this machine or any other) commits, and after the listener reconnects
        (writes made meanwhile were not heard)."""
        from rekall.storage.postgres.listener import Listener

        def unless_own(generation: int, writer: str | None) -> None:
            if writer != self.writer:
                callback(generation)

        with self._listener_lock:
            if self._listener is None:
                self._listener = Listener(self.url, CHANNEL)
                self._listener.start()
            self._listener.subscribe(unless_own)

    def server_figures(self) -> dict[str, Any]:
        """Server version, pgvector version, the state of the search indexes and the copies
        stopped rebuilds left beside them (reindex.leftover_indexes)."""
        from rekall.storage.postgres import reindex, vectors_repo

        with self.read() as conn:
            return {
                "server_version": str(conn.execute("SHOW server_version").fetchone()[0]),
                "pgvector_version": pg.extension_version(conn, "vector"),
                "indexes": vectors_repo.index_state(conn),
                "leftovers": reindex.leftover_indexes(conn),
            }

    def index_settings(self) -> dict[str, Any]:
        """The HNSW indexes' m and ef_construction, and the ef_search a new connection of
        this client starts with (asked on a fresh one: a change since the pool's were
        opened, or a setting of this role, shows)."""
        with self.read() as conn:
            indexes = index_settings.built_settings(conn)
        with self._translate_errors(), self._connect(autocommit=True) as fresh:
            index_settings.start_session(fresh, {})
            return {"indexes": indexes, **index_settings.session_settings(fresh)}

    def tune_indexes(
        self,
        m: int | None,
        ef_construction: int | None,
        ef_search: int | None,
        before_build: Callable[[], None] | None = None,
    ) -> bool:
        """Set the database's ef_search, then build the HNSW indexes again with m and
        ef_construction where they differ, each when given, in one transaction: all of it
        or nothing. before_build is called just before a build. True when one was built."""
        with self.write() as (conn, _):
            if ef_search is not None:  # first: a role that may not set it waits for no build
                index_settings.set_ef_search(conn, ef_search)
            if m is None and ef_construction is None:
                return False
            current = index_settings.built_settings(conn)
            wanted = index_settings.wanted_options(current, m, ef_construction)
            if not index_settings.needs_build(current, wanted):
                return False
            if before_build is not None:
                before_build()
            index_settings.rebuild_indexes(conn, wanted)
            return True

    def reindex(self, name: str) -> str:
        """Rebuild this base's search index name while searches go on (reindex.py), on a
        connection of its own, closed after it with the session settings the build took.
        Returns its qualified name. Raises StorageError naming the statement to run for a
        role that may not, or saying why the server stopped it."""
        from rekall.storage.postgres import reindex

        with self._translate_errors(), self._connect(autocommit=True) as conn:
            return reindex.rebuild_index(conn, name)

    def drop_leftover(self, name: str) -> str:
        """Drop the copy a stopped rebuild left beside a search index (reindex.py), on a
        connection of its own. Returns its qualified name. Raises StorageError saying why
        not: an index build on its table in progress, or the statement to ask for."""
        from rekall.storage.postgres import reindex

        with self._translate_errors(), self._connect(autocommit=True) as conn:
            return reindex.drop_leftover(conn, name)

    def close(self) -> None:
        """Stop listening and close the pool."""
        with self._listener_lock:
            if self._listener is not None:
                self._listener.stop()
                self._listener = None
        self._pool.close()

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        psycopg = self.psycopg
        try:
            yield
        except psycopg.errors.IntegrityError:
            raise
        except StorageError:
            raise
        except psycopg.Error as exc:
            if server_refused(exc):  # a trigger's RAISE or a row-level security policy
                raise refused_write(self.location, exc) from exc
            raise pg.describe_error(self.url, exc) from exc
        except self._pool_timeout() as exc:
            raise pg.describe_error(self.url, exc) from exc

    @staticmethod
    def _pool_timeout() -> type[Exception]:
        from psycopg_pool import PoolTimeout

        return PoolTimeout


def _repositories() -> Repositories:
    from rekall.storage.postgres import search_repo
    from rekall.storage.repositories import AREAS

    # Each area's module is imported when first used, as on SQLite.
    modules = {area: f"rekall.storage.postgres.{area}_repo" for area in AREAS}
    return Repositories(modules, vector_search=search_repo)
