"""Rebuilding a search index PostgreSQL may not use (as a failed CREATE INDEX CONCURRENTLY
leaves one) while searches and writes go on."""

from __future__ import annotations

from typing import Any

from rekall.core.errors import StorageError
from rekall.storage.postgres.schema_vectors import prepare_index_build
from rekall.storage.postgres.vectors_repo import SEARCH_INDEXES


def rebuild_index(conn: Any, name: str) -> str:
    """REINDEX INDEX CONCURRENTLY this base's index name (one of SEARCH_INDEXES, in the
    current schema) on conn, an autocommit connection of its own that is closed after it:
    CONCURRENTLY cannot run inside a transaction block, so the build's memory and timeout
    are set for the session. Returns the index's qualified name.

    There is no fallback to a plain REINDEX. PostgreSQL refuses CONCURRENTLY only for system
    catalogs, TOAST tables, exclusion constraints and inside a transaction block, none of
    which applies here; any other failure (privilege, lock or statement timeout, memory,
    disk) would stop a plain REINDEX too, which also locks searches out of the index for the
    whole build. Raises StorageError, naming the statement to run, for a role that may not
    rebuild it or when the failed rebuild left an unfinished copy (_raise_with_leftovers);
    psycopg's error for any other failure.
    """
    from psycopg import Error, errors

    if name not in SEARCH_INDEXES:
        raise ValueError(f"not one of Rekall's search indexes: {name}")
    # Quoted as index_state names it, so the statement said matches what `rekall check` says.
    row = conn.execute(
        "SELECT quote_ident(current_schema()) || '.' || quote_ident(%s)", (name,)
    ).fetchone()
    qualified = str(row[0])
    statement = f"REINDEX INDEX CONCURRENTLY {qualified}"
    prepare_index_build(conn, session=True)
    try:
        conn.execute(statement)
    except errors.InsufficientPrivilege as exc:
        raise StorageError(
            "only the owner of its table (on PostgreSQL 17 or newer, also a role granted "
            f"MAINTAIN on it) may rebuild it; ask them to run: {statement}"
        ) from exc
    except Error as exc:
        _raise_with_leftovers(conn, name, exc)
        raise
    return qualified


def _raise_with_leftovers(conn: Any, name: str, exc: Exception) -> None:
    """Raise StorageError naming what a failed REINDEX CONCURRENTLY of name left beside it
    (name_ccnew, an unfinished copy PostgreSQL does not drop), with the statement that drops
    it; return when it left nothing, or the connection cannot tell."""
    from psycopg import Error

    try:
        rows = conn.execute(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE NOT i.indisvalid AND n.nspname = current_schema() AND c.relname ~ %s "
            "ORDER BY c.relname",
            (f"^{name}_cc(new|old)[0-9]*$",),
        ).fetchall()
    except Error:
        return
    if rows:
        reason = str(exc).strip().splitlines()[0]
        # One index per DROP INDEX CONCURRENTLY: PostgreSQL takes no list there.
        drops = "; ".join(f"DROP INDEX CONCURRENTLY {row[0]}" for row in rows)
        raise StorageError(
            f"the server stopped the rebuild ({reason}), leaving an unfinished copy beside "
            f"the index: drop it ({drops}), then run 'rekall check --repair' again"
        ) from exc
