"""PostgreSQL's keyword indexes merge their pending lists early (m010), which their owner sets."""

from __future__ import annotations

from typing import Any

import pytest

from rekall.storage.postgres.database import PostgresDatabase
from rekall.storage.postgres.schema_keyword import KEYWORD_INDEXES, PENDING_LIST_KB
from tests.storage.test_postgres_row_storage import long_body

PAGE_KB = 8


def pending_pages(conn: Any) -> dict[str, int]:
    """How many pages each keyword index's pending list holds (pgstattuple)."""
    conn.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple SCHEMA public")
    return {
        name: int(
            conn.execute(
                "SELECT pending_pages FROM public.pgstatginindex(%s::regclass)", (name,)
            ).fetchone()[0]
        )
        for name in KEYWORD_INDEXES
    }


def index_options(conn: Any) -> dict[str, Any]:
    """Each keyword index's storage options (None: the server's defaults)."""
    rows = conn.execute(
        "SELECT relname, reloptions FROM pg_class WHERE relname = ANY(%s) "
        "AND relnamespace = current_schema()::regnamespace",
        (list(KEYWORD_INDEXES),),
    ).fetchall()
    return dict(rows)


def add_long_entries(conn: Any, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        conn.execute(
            "INSERT INTO entries (id, type, title, content, created_at, updated_at) "
            "VALUES (%s, 'til', %s, %s, 'now', 'now')",
            (f"01JD3P{n:020d}", f"note {n} {long_body(n)[:60]}", long_body(n)),
        )


def test_many_new_entries_never_leave_a_long_pending_list(postgres_url: str) -> None:
    import psycopg

    PostgresDatabase(postgres_url).close()  # a new base, at this schema
    most = 0
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for batch in range(6):  # ~1.2 MB of words in all: the server's 4 MB would keep them
            add_long_entries(conn, 50, batch * 50)
            most = max(most, *pending_pages(conn).values())
        found = conn.execute(
            "SELECT count(*) FROM entries WHERE search @@ to_tsquery('rekall_english', %s)",
            (long_body(123).split()[7],),
        ).fetchone()[0]
    assert 0 < most <= PENDING_LIST_KB // PAGE_KB + 1
    assert found == 1  # merged words are still found


def test_a_base_of_schema_9_gets_its_pending_lists_merged_and_bounded(postgres_url: str) -> None:
    import psycopg

    from rekall.storage.postgres.connection import ensure_vector_extension
    from rekall.storage.postgres.migrations import migrate
    from rekall.storage.postgres.schema import MIGRATIONS

    with psycopg.connect(postgres_url, autocommit=True) as conn:  # a base made before m010
        migrate(conn, postgres_url, MIGRATIONS[:9], lambda c: ensure_vector_extension(c, ""))
        add_long_entries(conn, 60)
        before = pending_pages(conn)
        assert index_options(conn) == dict.fromkeys(KEYWORD_INDEXES)
    assert min(before.values()) > 0
    PostgresDatabase(postgres_url).close()  # upgrades it
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        after = pending_pages(conn)
        options = index_options(conn)
    assert after == dict.fromkeys(KEYWORD_INDEXES, 0)
    assert options == dict.fromkeys(KEYWORD_INDEXES, [f"gin_pending_list_limit={PENDING_LIST_KB}"])


def member_url(url: str, role: str) -> str:
    """url for a new role that may read and write its schema's tables but owns none of them."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        schema = conn.execute("SELECT current_schema()").fetchone()[0]
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f"GRANT USAGE, CREATE ON SCHEMA {schema}, public TO {role}")
        conn.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}"
        )
    return url.replace("postgres:", f"{role}:", 1)


def test_a_member_who_upgrades_first_is_told_to_ask_the_owner(
    postgres_server: str, postgres_url: str
) -> None:
    import uuid

    import psycopg

    from rekall.core.errors import MigrationError
    from rekall.storage.postgres.connection import ensure_vector_extension
    from rekall.storage.postgres.migrations import migrate, schema_version
    from rekall.storage.postgres.schema import MIGRATIONS

    with psycopg.connect(postgres_url, autocommit=True) as conn:  # made by the owner
        migrate(conn, postgres_url, MIGRATIONS[:9], lambda c: ensure_vector_extension(c, ""))
    role = f"member_{uuid.uuid4().hex[:8]}"
    try:
        with pytest.raises(MigrationError) as raised:
            PostgresDatabase(member_url(postgres_url, role))
        message = str(raised.value)
        assert "must be owner of index" in message
        assert "the database is at schema version 9" in message
        assert "run any rekall command once as the role postgres" in message
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            assert schema_version(conn) == 9
        PostgresDatabase(postgres_url).close()  # as the message says: the owner upgrades
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role} CASCADE")
            conn.execute(f"DROP ROLE {role}")
