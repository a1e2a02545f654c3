"""Bases older code can search: a twin of a PostgreSQL base taken back to an older schema.

A twin is made right before the comparison, while the base itself may have been rewritten
by this code's migrations just before too: both are vacuumed and analysed (settled()) so
neither side starts on pages without hint bits, an empty visibility map or stale statistics.
"""

from __future__ import annotations

import re
from pathlib import Path

from common import ROOT


def schema_of(source: Path) -> int:
    """How many PostgreSQL migrations the code in source knows."""
    folder = source / "rekall" / "storage" / "postgres"
    texts = [path.read_text() for path in folder.glob("schema*.py")]
    return sum(len(re.findall(r"^def m\d{3}_", text, re.MULTILINE)) for text in texts)


# What undoes each later migration, for a twin of the base an older Rekall can open.
UNDO = {
    7: [
        "DROP TRIGGER entries_words_in ON entries",
        "DROP TRIGGER entries_words_changed ON entries",
        "DROP TRIGGER entries_words_out ON entries",
        "DROP FUNCTION rekall_sum_search_words()",
        "DELETE FROM meta WHERE key = 'search_words'",
    ],
    5: ["DROP INDEX entries_head_search"],
    3: [
        "ALTER TABLE entries DROP COLUMN context_search",
        "DROP TRIGGER entries_counted_in ON entries",
        "DROP TRIGGER entries_counted_out ON entries",
        "DROP FUNCTION rekall_count_entries()",
        "DELETE FROM meta WHERE key = 'entries'",
    ],
}


def undo_keeping_stop_words() -> list[str]:
    """What undoes m008 (stop words kept); imported here, as the older code run with this
    script lacks the module."""
    from rekall.storage.postgres.schema_keyword import ENGLISH, head_vector, search_vector, words

    return [
        "DROP INDEX entries_head_search",
        "ALTER TABLE entries DROP COLUMN search, DROP COLUMN context_search, "
        f"ADD COLUMN search tsvector GENERATED ALWAYS AS ({search_vector(ENGLISH)}) STORED, "
        "ADD COLUMN context_search tsvector "
        f"GENERATED ALWAYS AS ({words('context_keys', ENGLISH)}) STORED",
        "CREATE INDEX entries_search ON entries USING gin (search)",
        f"CREATE INDEX entries_head_search ON entries USING gin ({head_vector(ENGLISH)})",
        "UPDATE meta SET value = (SELECT coalesce(sum(length(search)), 0) FROM entries) "
        "WHERE key = 'search_words'",
        "DROP TEXT SEARCH CONFIGURATION rekall_english",
        "DROP TEXT SEARCH DICTIONARY rekall_english_stem",
        "ANALYZE entries",
    ]


def undo(later: int) -> list[str]:
    """What undoes migration later; m008's and m009's imported only here, as the older code
    run with this script lacks their module."""
    if later == 9:  # search words kept in the row: made again with the type's storage
        from rekall.storage.postgres.schema_keyword import TS_CONFIG, remade_search_columns

        return [remade_search_columns(TS_CONFIG)]
    return undo_keeping_stop_words() if later == 8 else UNDO.get(later, [])


def settled(url: str) -> None:
    """This code's migrations applied to the base, then VACUUM ANALYZE: hint bits set, the
    visibility map made and statistics taken, as on a base in use."""
    import psycopg

    from rekall.storage.postgres.database import PostgresDatabase

    PostgresDatabase(url).close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def base_for(url: str, before: Path) -> str:
    """The base the code in before searches: this one when it knows the same schema, else
    a twin taken back to its schema (m004's index is kept: searching it is the same)."""
    version, current = schema_of(before), schema_of(ROOT / "src")
    if version == current:
        return url
    if version not in (2, 4, 6, 7, 8):
        raise SystemExit("--before: only a commit at schema 2, 4, 6, 7, 8 or this one works")
    return twin_at(url, version, current)


def twin_at(url: str, version: int, current: int) -> str:
    """A copy of the base taken back to schema version, for older code to search."""
    import psycopg

    name = url.split("?")[0].rsplit("/", 1)[1]
    twin = url.replace(f"/{name}?", f"/{name}_schema{version}?")
    with psycopg.connect(url.replace(f"/{name}?", "/postgres?"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}_schema{version} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}_schema{version} TEMPLATE {name}")
    with psycopg.connect(twin) as conn:
        # The base may not have been opened by this code yet: undo what it holds.
        row = conn.execute("SELECT max(version) FROM rekall_schema").fetchone()
        applied = min(current, int(row[0])) if row and row[0] is not None else current
        for later in range(applied, version, -1):
            for statement in undo(later):
                conn.execute(statement)
        conn.execute("DELETE FROM rekall_schema WHERE version > %s", (version,))
    with psycopg.connect(twin, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return twin
