"""The HNSW indexes' settings on a server: m and ef_construction (built into each index),
and ef_search (the database's own setting, which every session of every client starts with)."""

from __future__ import annotations

import weakref
from typing import Any

from rekall.core.errors import StorageError, ValidationError
from rekall.storage.postgres.schema_vectors import raise_build_memory

INDEXES = {"embeddings_hnsw": "embeddings", "embedding_pieces_hnsw": "embedding_pieces"}
# pgvector's own bounds, checked here so a bad value changes nothing and says why.
M_RANGE = (2, 100)
EF_CONSTRUCTION_RANGE = (4, 1000)
# Hybrid search reads 50 candidates from each side with at least twice as many in the list
# (search_repo._run), so a base's ef_search below 100 would be raised on every query.
EF_SEARCH_RANGE = (100, 1000)
# When neither the database, the role nor the server sets hnsw.ef_search. At 100 the ten
# nearest of a short identifier query differed from an exact search's for 3 of 27 stdlib
# queries (3,086 entries), at 200 for 1; recall@10 at 100,000 vectors: 0.982 at 100, 0.989
# at 200 (bench_hnsw_recall.py).
DEFAULT_EF_SEARCH = 200
# pgvector's GUCs exist once its library is loaded; reading a vector loads it.
LOAD_PGVECTOR = "SELECT '[0]'::vector IS NOT NULL"
READ_EF_SEARCH = "SELECT setting, source FROM pg_settings WHERE name = 'hnsw.ef_search'"
# Each pooled connection's ef_search and where it came from, so that a query needing more
# candidates knows whether to raise it (search_repo) without asking the server.
_sessions: weakref.WeakKeyDictionary[Any, tuple[int, str]] = weakref.WeakKeyDictionary()


def start_session(conn: Any) -> None:
    """Set a new connection's ef_search: the one configured for its database, role or
    server (never below the range's floor), else Rekall's default."""
    conn.execute(LOAD_PGVECTOR)
    setting, source = conn.execute(READ_EF_SEARCH).fetchone()
    if source == "default":
        value, source = DEFAULT_EF_SEARCH, "rekall"
    else:
        value = max(EF_SEARCH_RANGE[0], int(setting))
    conn.execute(f"SET hnsw.ef_search = {int(value)}")
    _sessions[conn] = (value, str(source))


def session_ef_search(conn: Any) -> int:
    """The ef_search conn's session runs with (start_session), Rekall's default if unknown."""
    return _sessions.get(conn, (DEFAULT_EF_SEARCH, "rekall"))[0]


def read_settings(conn: Any) -> dict[str, Any]:
    """Each index's m and ef_construction, and the ef_search conn's session started with and
    where it came from (a change by set_ef_search applies to sessions started after it)."""
    rows = conn.execute(
        "SELECT c.relname, coalesce(c.reloptions, '{}') FROM pg_class c "
        "WHERE c.relkind = 'i' AND c.relname = ANY(%s) "
        "AND c.relnamespace = current_schema()::regnamespace",
        (list(INDEXES),),
    ).fetchall()
    found = {str(name): _options(list(options)) for name, options in rows}
    ef_search, source = _sessions.get(conn, (DEFAULT_EF_SEARCH, "rekall"))
    return {
        "indexes": {name: found[name] for name in INDEXES if name in found},
        "ef_search": ef_search,
        "ef_search_source": source,
    }


def _options(options: list[str]) -> dict[str, int]:
    """['m=24', 'ef_construction=200'] → {'m': 24, 'ef_construction': 200}, with pgvector's
    defaults (16, 64) for what the index was built without."""
    found = {"m": 16, "ef_construction": 64}
    for option in options:
        key, _, value = option.partition("=")
        if key in found:
            found[key] = int(value)
    return found


def check_settings(m: int | None, ef_construction: int | None, ef_search: int | None) -> None:
    """Raise ValidationError naming the bound a value is outside of."""
    for name, value, (low, high) in (
        ("--m", m, M_RANGE),
        ("--ef-construction", ef_construction, EF_CONSTRUCTION_RANGE),
        ("--ef-search", ef_search, EF_SEARCH_RANGE),
    ):
        if value is not None and not low <= value <= high:
            raise ValidationError(f"{name} must be between {low} and {high} (got {value})")


def wanted_options(
    current: dict[str, dict[str, int]], m: int | None, ef_construction: int | None
) -> dict[str, tuple[int, int]]:
    """Each index's (m, ef_construction) after the change (an omitted one keeps its value).
    Raises ValidationError when ef_construction would be below twice m, as pgvector does."""
    wanted = {}
    for name in INDEXES:
        options = current.get(name, _options([]))
        links = m if m is not None else options["m"]
        candidates = ef_construction if ef_construction is not None else options["ef_construction"]
        if candidates < 2 * links:
            raise ValidationError(
                f"ef_construction ({candidates}) must be at least twice m ({links}); "
                f"raise --ef-construction to {2 * links} or more"
            )
        wanted[name] = (links, candidates)
    return wanted


def rebuild_indexes(conn: Any, m: int | None, ef_construction: int | None) -> None:
    """Build both HNSW indexes again with these settings (see wanted_options).

    Each new index is built beside the old one, which searches go on using, and takes its
    name only at the end: readers wait for the swap, not the build. Writers wait for the
    whole build (it holds the table's SHARE lock), as in a bulk copy.
    """
    wanted = wanted_options(read_settings(conn)["indexes"], m, ef_construction)
    raise_build_memory(conn)
    for name, table in INDEXES.items():
        links, candidates = wanted[name]
        conn.execute(
            f"CREATE INDEX {name}_new ON {table} USING hnsw (vector vector_cosine_ops) "
            f"WITH (m = {int(links)}, ef_construction = {int(candidates)})"
        )
        conn.execute(f"DROP INDEX IF EXISTS {name}")
        conn.execute(f"ALTER INDEX {name}_new RENAME TO {name}")


def set_ef_search(conn: Any, ef_search: int) -> None:
    """The database's ef_search, for every session that starts on it from now on (pooled
    connections already open keep theirs). Raises StorageError when the connected role may
    not alter the database, naming the statement its owner can run."""
    from psycopg import errors, sql

    database = conn.execute("SELECT current_database()").fetchone()[0]
    statement = sql.SQL("ALTER DATABASE {} SET hnsw.ef_search = {}").format(
        sql.Identifier(database), sql.Literal(int(ef_search))
    )
    try:
        conn.execute(statement)
    except errors.InsufficientPrivilege as exc:
        raise StorageError(
            f"only the owner of database {database} may set ef_search; ask them to run: "
            f"ALTER DATABASE {database} SET hnsw.ef_search = {int(ef_search)}"
        ) from exc
