"""The HNSW indexes' settings on a server: m and ef_construction (built into each index),
and ef_search (the database's own setting, which every session of every client starts with)."""

from __future__ import annotations

import time
import weakref
from typing import Any

from rekall.core.errors import StorageError, ValidationError
from rekall.storage.postgres.schema_vectors import prepare_index_build

INDEXES = {"embeddings_hnsw": "embeddings", "embedding_pieces_hnsw": "embedding_pieces"}
# Rekall's own build settings (schema_vectors.HNSW_INDEX), for an index found missing.
BUILT_WITH = {"m": 16, "ef_construction": 128}
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
# One round trip for a new connection: the vector in WHERE is a constant, folded while the
# statement is planned, so pgvector's library (and its settings) is loaded before pg_settings
# is read; the session's ef_search is then the one configured for its database, role or
# server (never below the floor), else Rekall's. Other settings go in the same statement.
START_SESSION = (
    "SELECT set_config('hnsw.ef_search', CASE WHEN source = 'default' THEN %s "
    "ELSE greatest(%s, setting::int)::text END, false), source, setting{also} "
    "FROM pg_settings WHERE name = 'hnsw.ef_search' AND '[0]'::vector IS NOT NULL"
)
# Each pooled connection's ef_search, where it came from and the value configured, so that
# a query needing more candidates knows whether to raise it without asking the server.
_sessions: weakref.WeakKeyDictionary[Any, tuple[int, str, int]] = weakref.WeakKeyDictionary()
# A connection start_session did not set up runs with Rekall's default.
UNKNOWN_SESSION = (DEFAULT_EF_SEARCH, "rekall", DEFAULT_EF_SEARCH)
# Replacing an index waits for searches under way; new ones queue behind the wait, so it is
# bounded and tried again.
SWAP_LOCK_TIMEOUT = "2s"
SWAP_ATTEMPTS = 10


def start_session(conn: Any, also: dict[str, str]) -> None:
    """Set a new connection's ef_search (START_SESSION) and the settings in also."""
    extra = "".join(", set_config(%s, %s, false)" for _ in also)
    params: list[Any] = [str(DEFAULT_EF_SEARCH), EF_SEARCH_RANGE[0]]
    for name, value in also.items():
        params += [name, value]
    row = conn.execute(START_SESSION.format(also=extra), params).fetchone()
    source = "rekall" if row[1] == "default" else str(row[1])
    _sessions[conn] = (int(row[0]), source, int(row[2]))


def session_ef_search(conn: Any) -> int:
    """The ef_search conn's session runs with (start_session), Rekall's default if unknown."""
    return _sessions.get(conn, UNKNOWN_SESSION)[0]


def session_settings(conn: Any) -> dict[str, Any]:
    """The ef_search conn's session started with, where it came from and the value set there
    (below the floor, it was raised)."""
    value, source, configured = _sessions.get(conn, UNKNOWN_SESSION)
    return {"ef_search": value, "ef_search_source": source, "ef_search_configured": configured}


def built_settings(conn: Any) -> dict[str, dict[str, int]]:
    """Each HNSW index of this base (found through its table, as DDL resolves it) with the m
    and ef_construction it was built with; a missing index is left out."""
    found = {}
    for name, table in INDEXES.items():
        row = conn.execute(
            "SELECT coalesce(c.reloptions, '{}') FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = %s::regclass AND c.relname = %s",
            (table, name),
        ).fetchone()
        if row is not None:
            found[name] = _options(list(row[0]))
    return found


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
    """Each index's (m, ef_construction) after the change (an omitted one keeps its value;
    a missing index gets Rekall's). Raises ValidationError when ef_construction would be
    below twice m, as pgvector does."""
    wanted = {}
    for name in INDEXES:
        options = current.get(name, BUILT_WITH)
        links = m if m is not None else options["m"]
        candidates = ef_construction if ef_construction is not None else options["ef_construction"]
        if candidates < 2 * links:
            raise ValidationError(
                f"ef_construction ({candidates}) must be at least twice m ({links}); "
                f"raise --ef-construction to {2 * links} or more"
            )
        wanted[name] = (links, candidates)
    return wanted


def needs_build(current: dict[str, dict[str, int]], wanted: dict[str, tuple[int, int]]) -> bool:
    """Whether any index is missing or built with other settings than wanted."""
    return any(
        name not in current or (current[name]["m"], current[name]["ef_construction"]) != pair
        for name, pair in wanted.items()
    )


def rebuild_indexes(conn: Any, wanted: dict[str, tuple[int, int]]) -> None:
    """Build both HNSW indexes again with the wanted (m, ef_construction), then swap them in.

    Both new indexes are built beside the old ones, which searches go on using; only then
    does each take its name (_swap). Writers wait for the builds (they hold the tables'
    SHARE lock), as in a bulk copy.
    """
    from psycopg import sql

    prepare_index_build(conn)
    schema = _schema_of(conn)
    for name, table in INDEXES.items():
        links, candidates = wanted[name]
        conn.execute(
            sql.SQL(
                "CREATE INDEX {} ON {} USING hnsw (vector vector_cosine_ops) "
                "WITH (m = {}, ef_construction = {})"
            ).format(
                sql.Identifier(f"{name}_new"),
                sql.Identifier(schema, table),
                sql.Literal(int(links)),
                sql.Literal(int(candidates)),
            )
        )
    _swap(conn, schema)


def _schema_of(conn: Any) -> str:
    """The schema this base's tables are in (as its statements resolve them)."""
    row = conn.execute(
        "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.oid = 'embeddings'::regclass"
    ).fetchone()
    return str(row[0])


def _swap(conn: Any, schema: str) -> None:
    """Drop the old indexes and give the new ones their names, each name qualified with the
    base's schema (another base's index of the same name is never touched). The lock this
    takes waits for searches under way and makes new ones wait behind it: each attempt is
    bounded and undone alone (a savepoint), then tried again."""
    from psycopg import errors, sql

    for attempt in range(1, SWAP_ATTEMPTS + 1):
        try:
            with conn.transaction():
                conn.execute(f"SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'")
                for name in INDEXES:
                    old, new = sql.Identifier(schema, name), sql.Identifier(schema, f"{name}_new")
                    conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(old))
                    conn.execute(
                        sql.SQL("ALTER INDEX {} RENAME TO {}").format(new, sql.Identifier(name))
                    )
            return
        except errors.LockNotAvailable as exc:
            if attempt == SWAP_ATTEMPTS:
                raise StorageError(
                    "the new indexes were built but could not replace the old ones: another "
                    "transaction kept the vectors' tables busy; nothing changed, run it again "
                    "when it has ended"
                ) from exc
            time.sleep(0.5)


def set_ef_search(conn: Any, ef_search: int) -> None:
    """The database's ef_search, for every session that starts on it from now on (pooled
    connections already open keep theirs until they are recycled). Raises StorageError when
    the connected role may not alter the database, naming the statement its owner can run."""
    from psycopg import errors, sql

    database = str(conn.execute("SELECT current_database()").fetchone()[0])
    statement = sql.SQL("ALTER DATABASE {} SET hnsw.ef_search = {}").format(
        sql.Identifier(database), sql.Literal(int(ef_search))
    )
    try:
        conn.execute(statement)
    except errors.InsufficientPrivilege as exc:
        raise StorageError(
            f"only the owner of database {database} may set ef_search; ask them to run: "
            f"{statement.as_string(conn)}"
        ) from exc
