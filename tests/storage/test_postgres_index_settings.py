"""A server base's HNSW settings: shown, rebuilt with new m and ef_construction, ef_search set
for the database, bad values refused with nothing changed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from rekall.core.errors import StorageError, ValidationError
from rekall.service.index_tuning import index_settings
from rekall.storage.postgres.database import PostgresDatabase
from tests.storage.test_postgres_build_memory import store_many_vectors


@pytest.fixture
def db(postgres_url: str) -> Iterator[PostgresDatabase]:
    database = PostgresDatabase(postgres_url)
    try:
        yield database
    finally:
        database.close()


def options_of(db: PostgresDatabase) -> dict[str, list[str]]:
    """Each HNSW index's options as PostgreSQL stores them, and whether both are usable."""
    with db.read() as conn:
        rows = conn.execute(
            "SELECT c.relname, c.reloptions, i.indisvalid FROM pg_class c "
            "JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname LIKE 'embedding%%hnsw%%' "
            "AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
        ).fetchall()
    assert all(row[2] for row in rows)
    return {str(row[0]): sorted(row[1]) for row in rows}


def session_ef_search(db: PostgresDatabase) -> int:
    return int(db.query(lambda conn: conn.execute("SHOW hnsw.ef_search").fetchone()[0]))


def test_a_new_base_shows_rekalls_settings(db: PostgresDatabase) -> None:
    settings = index_settings(db)
    assert settings["indexes"] == {
        "embeddings_hnsw": {"m": 16, "ef_construction": 128},
        "embedding_pieces_hnsw": {"m": 16, "ef_construction": 128},
    }
    assert (settings["ef_search"], settings["ef_search_source"]) == (200, "rekall")
    assert session_ef_search(db) == 200


def test_new_m_and_ef_construction_rebuild_both_indexes(db: PostgresDatabase) -> None:
    settings = index_settings(db, m=24, ef_construction=200)
    wanted = {"m": 24, "ef_construction": 200}
    assert settings["indexes"] == {"embeddings_hnsw": wanted, "embedding_pieces_hnsw": wanted}
    stored = ["ef_construction=200", "m=24"]
    assert options_of(db) == {"embeddings_hnsw": stored, "embedding_pieces_hnsw": stored}
    # One given alone keeps the other's value.
    index_settings(db, m=20)
    assert options_of(db)["embeddings_hnsw"] == ["ef_construction=200", "m=20"]


def test_a_bulk_write_builds_the_index_again_with_the_teams_settings(
    db: PostgresDatabase,
) -> None:
    index_settings(db, m=24, ef_construction=200)
    with db.write() as (conn, generation):
        store_many_vectors(db, conn, generation, seed=3)
    assert options_of(db)["embeddings_hnsw"] == ["ef_construction=200", "m=24"]


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"m": 1}, "--m must be between 2 and 100"),
        ({"ef_construction": 2000}, "--ef-construction must be between 4 and 1000"),
        ({"ef_search": 40}, "--ef-search must be between 100 and 1000"),
        ({"m": 80, "ef_search": 300}, "ef_construction (128) must be at least twice m (80)"),
    ],
)
def test_bad_values_are_refused_and_change_nothing(
    db: PostgresDatabase, changes: dict[str, int], named: str
) -> None:
    before = options_of(db)
    with pytest.raises(ValidationError, match=re.escape(named)):
        index_settings(db, **changes)
    assert options_of(db) == before
    fresh = PostgresDatabase(db.url)
    try:
        assert session_ef_search(fresh) == 200  # ef_search was not set either
    finally:
        fresh.close()


def test_ef_search_set_for_the_database_reaches_new_connections(
    db: PostgresDatabase, postgres_server: str
) -> None:
    import psycopg

    try:
        settings = index_settings(db, ef_search=300)
        assert (settings["ef_search"], settings["ef_search_source"]) == (300, "database")
        other = PostgresDatabase(db.url)  # another client of the base
        try:
            assert session_ef_search(other) == 300
            assert index_settings(other)["ef_search_source"] == "database"
        finally:
            other.close()
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute("ALTER DATABASE postgres RESET hnsw.ef_search")


def test_ef_search_configured_outside_rekall_is_kept_above_the_floor(postgres_url: str) -> None:
    for configured, used in (("400", 400), ("40", 100)):
        # As a role's or the server's own setting would: the session starts with it.
        db = PostgresDatabase(postgres_url + quote(f" -chnsw.ef_search={configured}"))
        try:
            assert session_ef_search(db) == used
            assert index_settings(db)["ef_search"] == used
        finally:
            db.close()


def test_sqlite_has_nothing_to_tune(service: object) -> None:
    from rekall.service import Rekall

    assert isinstance(service, Rekall)
    with pytest.raises(StorageError, match="nothing to tune"):
        service.index_settings(m=24)


def test_searches_go_on_until_both_new_indexes_are_built(
    db: PostgresDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    from rekall.storage.postgres import index_settings as settings_module

    swap = settings_module._swap
    searched: list[int] = []

    def search_then_swap(conn: object, schema: str) -> None:
        # Both new indexes are built: another client's vector search must not wait.
        with psycopg.connect(db.url, autocommit=True) as other:
            other.execute("SET lock_timeout = '500ms'")
            row = other.execute("SELECT count(*) FROM embeddings").fetchone()
            other.execute("SELECT count(*) FROM embedding_pieces")
            searched.append(int(row[0]) if row else -1)
        swap(conn, schema)

    monkeypatch.setattr(settings_module, "_swap", search_then_swap)
    index_settings(db, m=24, ef_construction=200)
    assert searched == [0]
    assert options_of(db)["embedding_pieces_hnsw"] == ["ef_construction=200", "m=24"]


def test_settings_already_built_are_not_built_again(db: PostgresDatabase) -> None:
    def index_oids() -> list[int]:
        with db.read() as conn:
            rows = conn.execute(
                "SELECT indexrelid::int FROM pg_index WHERE indrelid IN "
                "('embeddings'::regclass, 'embedding_pieces'::regclass) ORDER BY 1"
            ).fetchall()
        return [int(row[0]) for row in rows]

    before = index_oids()
    assert index_settings(db, m=16, ef_construction=128)["rebuilt"] is False
    assert index_oids() == before
    assert index_settings(db, m=20)["rebuilt"] is True
    assert index_oids() != before


@pytest.fixture
def second_schema(postgres_server: str) -> Iterator[str]:
    """Another schema of the same database, with a mixed-case name, dropped afterwards."""
    import uuid

    import psycopg

    schema = f"Team_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def test_another_bases_index_of_the_same_name_is_never_touched(
    db: PostgresDatabase, second_schema: str
) -> None:
    first_schema = db.query(lambda conn: conn.execute("SELECT current_schema()").fetchone()[0])
    # A second base in a mixed-case schema, the first base's schema after it in the path.
    path = quote(f'-csearch_path="{second_schema}",{first_schema},public')
    url = db.url.split("options=")[0] + f"options={path}"
    team = PostgresDatabase(url)
    try:
        with team.write() as (conn, _):
            conn.execute("DROP INDEX embedding_pieces_hnsw")  # lost on the second base
        shown = index_settings(team)
        assert "embedding_pieces_hnsw" not in shown["indexes"]
        after = index_settings(team, m=20)
        assert after["indexes"]["embedding_pieces_hnsw"] == {"m": 20, "ef_construction": 128}
        shown_by_stats = {index["name"] for index in team.server_figures()["indexes"]}
        assert shown_by_stats == {
            "embeddings_hnsw",
            "embedding_pieces_hnsw",
            "entries_head_search",
            "entries_search",
        }
    finally:
        team.close()
    assert sorted(options_of(db)) == ["embedding_pieces_hnsw", "embeddings_hnsw"]
    assert options_of(db)["embedding_pieces_hnsw"] == ["ef_construction=128", "m=16"]


@pytest.fixture
def role_url(postgres_server: str, second_schema: str) -> Iterator[str]:
    """A URL for a role that owns its schema (and so its base) but not the database."""
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    role = f"app_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f'ALTER SCHEMA "{second_schema}" OWNER TO {role}')
        # pgvector as an administrator enables it, where the role can use it.
        row = conn.execute(
            "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'vector'"
        ).fetchone()
        if row is None:
            conn.execute(f'CREATE EXTENSION vector SCHEMA "{second_schema}"')
        else:
            conn.execute(f"GRANT USAGE ON SCHEMA {row[0]} TO {role}")
    vector_schema = f'"{second_schema}"' if row is None else row[0]
    parts = urlsplit(postgres_server)
    netloc = parts.netloc.replace("postgres:", f"{role}:", 1)
    separator = "&" if parts.query else ""
    path = quote(f'-csearch_path="{second_schema}",{vector_schema}')
    query = parts.query + separator + "options=" + path
    try:
        yield urlunsplit(parts._replace(netloc=netloc, query=query))
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role} CASCADE")
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{second_schema}"')  # its own cleanup
            conn.execute(f"DROP ROLE {role}")


def test_a_role_that_may_not_set_ef_search_waits_for_no_build(
    role_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rekall.storage.postgres import index_settings as settings_module

    db = PostgresDatabase(role_url)
    built: list[object] = []
    monkeypatch.setattr(settings_module, "rebuild_indexes", lambda *args: built.append(args))
    try:
        with pytest.raises(StorageError, match="only the owner of database postgres") as raised:
            index_settings(db, m=24, ef_construction=200, ef_search=300)
        assert 'ALTER DATABASE "postgres" SET hnsw.ef_search = 300' in str(raised.value)
        assert built == []
        assert options_of(db)["embeddings_hnsw"] == ["ef_construction=128", "m=16"]
    finally:
        db.close()


def test_a_roles_own_ef_search_is_what_its_clients_are_shown(
    role_url: str, postgres_server: str
) -> None:
    import psycopg

    role = role_url.split("//", 1)[1].split(":", 1)[0]
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"ALTER ROLE {role} SET hnsw.ef_search = 60")
    db = PostgresDatabase(role_url)
    try:
        shown = index_settings(db)
        assert (shown["ef_search"], shown["ef_search_source"]) == (100, "user")
        assert shown["ef_search_configured"] == 60  # raised to the floor, and said so
        assert session_ef_search(db) == 100
    finally:
        db.close()


def test_a_statement_the_server_times_out_is_not_called_unreachable(
    db: PostgresDatabase,
) -> None:
    stopped = pytest.raises(StorageError, match="stopped the statement")
    with stopped as raised, db.read() as conn:
        # As a server's, database's or role's statement_timeout would.
        conn.execute("SET LOCAL statement_timeout = 50")
        conn.execute("SELECT pg_sleep(2)")
    assert "cannot reach" not in str(raised.value)
    assert "statement_timeout" in str(raised.value)


def test_an_unusable_index_is_named_with_its_schema_for_reindex(db: PostgresDatabase) -> None:
    from rekall.service.server_check import check_server

    schema = db.query(lambda conn: conn.execute("SELECT current_schema()").fetchone()[0])
    with db.write() as (conn, _):  # as a failed CREATE INDEX CONCURRENTLY leaves it
        conn.execute(
            "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'embeddings_hnsw'::regclass"
        )
    report = check_server(db, "m")
    found = {finding.name: finding for finding in report.findings}["index embeddings_hnsw"]
    assert not found.ok
    assert found.detail.endswith(f"(REINDEX INDEX CONCURRENTLY {schema}.embeddings_hnsw)")
