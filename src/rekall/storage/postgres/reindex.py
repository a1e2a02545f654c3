"""Rebuilding a search index PostgreSQL may not use (as a failed CREATE INDEX CONCURRENTLY
leaves one) while searches and writes go on, and dropping the copies a stopped rebuild
leaves beside an index."""

from __future__ import annotations

import re
from typing import Any

from rekall.core.errors import StorageError
from rekall.storage.postgres.schema_vectors import prepare_index_build
from rekall.storage.postgres.vectors_repo import SEARCH_INDEXES

# What a stopped REINDEX or CREATE INDEX CONCURRENTLY of a search index leaves beside it:
# name_ccnew (the unfinished copy, before the swap) or name_ccold (the old index, after it),
# a digit added when the name is taken.
LEFTOVER = f"^({'|'.join(SEARCH_INDEXES)})_cc(new|old)[0-9]*$"


def rebuild_index(conn: Any, name: str) -> str:
    """REINDEX INDEX CONCURRENTLY this base's index name (one of SEARCH_INDEXES, in the
    current schema) on conn, an autocommit connection of its own that is closed after it:
    CONCURRENTLY cannot run inside a transaction block, so the build's memory and timeout
    are set for the session. Returns the index's qualified name.

    There is no fallback to a plain REINDEX. PostgreSQL refuses CONCURRENTLY only for system
    catalogs, TOAST tables, exclusion constraints and inside a transaction block, none of
    which applies here; any other failure (privilege, lock or statement timeout, memory,
    disk) would stop a plain REINDEX too, which also locks searches out of the index for the
    whole build. Raises StorageError, saying what was not done and naming the statement to
    run, for a role that may not rebuild it or when the stopped rebuild left a copy beside
    it (_raise_with_leftovers); psycopg's error for any other failure.
    """
    from psycopg import Error, errors

    if name not in SEARCH_INDEXES:
        raise ValueError(f"not one of Rekall's search indexes: {name}")
    qualified = _qualified(conn, name)
    statement = f"REINDEX INDEX CONCURRENTLY {qualified}"
    prepare_index_build(conn, session=True)
    try:
        conn.execute(statement)
    except errors.InsufficientPrivilege as exc:
        raise StorageError(
            f"could not rebuild index {qualified}: only the owner of its table (on PostgreSQL "
            f"17 or newer, also a role granted MAINTAIN on it) may rebuild it; ask them to "
            f"run: {statement}"
        ) from exc
    except Error as exc:
        _raise_with_leftovers(conn, name, exc)
        raise
    return qualified


def _qualified(conn: Any, name: str) -> str:
    """name in the current schema, quoted as index_state names it, so the statements said
    match what `rekall check` says."""
    row = conn.execute(
        "SELECT quote_ident(current_schema()) || '.' || quote_ident(%s)", (name,)
    ).fetchone()
    return str(row[0])


def _raise_with_leftovers(conn: Any, name: str, exc: Exception) -> None:
    """Raise StorageError naming what a stopped REINDEX CONCURRENTLY of name left beside it,
    with the statement that drops it: an unfinished copy (name_ccnew, the index was not
    rebuilt) or the old index (name_ccold only: it was rebuilt, its old copy not dropped).
    Return when it left nothing, or the connection cannot tell."""
    from psycopg import Error

    try:
        left = [
            index for index in leftover_indexes(conn) if index["name"].rpartition("_cc")[0] == name
        ]
    except Error:
        return
    if not left:
        return
    qualified = _qualified(conn, name)
    reason = str(exc).strip().splitlines()[0]
    # One index per DROP INDEX CONCURRENTLY: PostgreSQL takes no list there.
    drops = "; ".join(f"DROP INDEX CONCURRENTLY {index['qualified']}" for index in left)
    if all("_ccold" in index["name"] for index in left):
        raise StorageError(
            f"could not drop the old copy of index {qualified} after rebuilding it "
            f"({reason}): drop it ({drops}), or run 'rekall check --repair' again"
        ) from exc
    raise StorageError(
        f"could not rebuild index {qualified}: the server stopped the rebuild ({reason}), "
        f"leaving an unfinished copy beside the index: drop it ({drops}), or run "
        "'rekall check --repair' again, which drops it first"
    ) from exc


def leftover_indexes(conn: Any) -> list[dict[str, Any]]:
    """The invalid copies stopped rebuilds left beside this base's search indexes (LEFTOVER):
    unusable, yet the server updates them on every write. Each with index_state's keys
    (valid false), and building: whether another session is
    building an index on its table now (an in-progress REINDEX's copy is invalid until its
    swap), as far as this role may see (pg_stat_progress_create_index)."""
    rows = conn.execute(
        "SELECT c.relname, quote_ident(n.nspname) || '.' || quote_ident(c.relname), "
        "am.amname, coalesce(array_to_string(c.reloptions, ', '), ''), "
        "pg_relation_size(c.oid), EXISTS (SELECT 1 FROM pg_stat_progress_create_index p "
        "WHERE p.relid = i.indrelid AND p.pid <> pg_backend_pid()) "
        "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE NOT i.indisvalid AND n.nspname = current_schema() AND c.relname ~ %s "
        "ORDER BY c.relname",
        (LEFTOVER,),
    ).fetchall()
    return [
        {
            "name": str(r[0]),
            "qualified": str(r[1]),
            "method": r[2],
            "settings": str(r[3]),
            "bytes": int(r[4]),
            "valid": False,
            "building": bool(r[5]),
        }
        for r in rows
    ]


def drop_leftover(conn: Any, name: str) -> str:
    """DROP INDEX CONCURRENTLY the leftover name (one of leftover_indexes) on conn, an
    autocommit connection of its own, unless an index build on its table is in progress
    (the copy may be that build's). Returns its qualified name. Raises StorageError saying
    why it was not dropped and, when the server refused, the statement to run."""
    from psycopg import Error, errors

    if re.match(LEFTOVER, name) is None:
        raise ValueError(f"not a copy left beside a search index: {name}")
    found = {index["name"]: index for index in leftover_indexes(conn)}
    if name not in found:  # another session's rebuild finished, or someone dropped it
        raise StorageError(
            f"could not drop leftover index {_qualified(conn, name)}: it is no longer there"
        )
    qualified = str(found[name]["qualified"])
    if found[name]["building"]:
        raise StorageError(
            f"could not drop leftover index {qualified}: an index build on its table is in "
            "progress; run 'rekall check --repair' again after it"
        )
    statement = f"DROP INDEX CONCURRENTLY {qualified}"
    prepare_index_build(conn, session=True)  # no statement timeout: it waits for writers
    try:
        conn.execute(statement)
    except errors.InsufficientPrivilege as exc:
        raise StorageError(
            f"could not drop leftover index {qualified}: only the owner of its table may "
            f"drop it; ask them to run: {statement}"
        ) from exc
    except Error as exc:
        reason = str(exc).strip().splitlines()[0]
        raise StorageError(
            f"could not drop leftover index {qualified} ({reason}); run: {statement}"
        ) from exc
    return qualified
