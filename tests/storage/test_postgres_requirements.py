"""What Rekall needs of a server, and what it says when a server lacks it: version, pgvector."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import quote

import psycopg
import pytest

from rekall.core.errors import StorageError
from rekall.storage.postgres import connection
from rekall.storage.postgres.database import PostgresDatabase
from tests.conftest import CliInvoker

URL = "postgresql://team:s3cret@db.internal/rekall"


def test_version_numbers_read_as_people_say_them() -> None:
    assert connection.major_version(180001) == "18"
    assert connection.major_version(140000) == "14"
    assert connection.major_version(90624) == "9.6"


def test_a_server_older_than_14_is_refused_with_the_fix() -> None:
    assert connection.server_problem(140000, URL) is None
    assert connection.server_problem(180001, URL) is None
    problem = connection.server_problem(130012, URL)
    assert problem is not None
    assert "is version 13; Rekall needs 14 or newer: upgrade the server" in problem
    assert "team:***@db.internal" in problem and "s3cret" not in problem


def test_a_pgvector_without_hnsw_is_refused_with_the_fix() -> None:
    assert connection.pgvector_problem("0.5.0", URL) is None
    assert connection.pgvector_problem("0.8.2", URL) is None
    problem = connection.pgvector_problem("0.4.4", URL)
    assert problem is not None
    assert "version 0.4.4; Rekall needs 0.5.0 or newer" in problem
    assert "ALTER EXTENSION vector UPDATE" in problem


def tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchall()
    return [row[0] for row in rows]


def test_the_real_server_below_the_minimum_is_refused_before_anything_is_written(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with psycopg.connect(postgres_url) as conn:
        real = int(conn.info.server_version)
    # The server running the tests is new enough: ask for one version more than it has.
    monkeypatch.setattr(connection, "MIN_SERVER_VERSION", (real // 10000 + 1) * 10000)
    with pytest.raises(StorageError) as caught:
        PostgresDatabase(postgres_url)
    assert f"is version {real // 10000}; Rekall needs {real // 10000 + 1} or newer" in str(
        caught.value
    )
    assert tables(postgres_url) == []


@pytest.fixture
def without_extension_rights(postgres_server: str) -> Iterator[str]:
    """A URL for a new database without pgvector, as a user who owns it but may not add
    extensions (pgvector is not a trusted extension: only a superuser may create it)."""
    name = f"plain_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {name} LOGIN")
        admin.execute(f"CREATE DATABASE {name} OWNER {name}")
    url = postgres_server.replace("postgres:@", f"{name}:@", 1).replace("/postgres?", f"/{name}?")
    try:
        yield url
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
            admin.execute(f"DROP ROLE {name}")


def test_a_user_who_may_not_add_pgvector_is_told_to_ask_an_administrator(
    without_extension_rights: str, cli: CliInvoker
) -> None:
    with pytest.raises(StorageError, match="ask an administrator to run CREATE EXTENSION vector"):
        PostgresDatabase(without_extension_rights)
    result = cli("stats", env={"REKALL_DATABASE_URL": without_extension_rights})
    assert result.exit_code == 1
    assert "ask an administrator to run CREATE EXTENSION vector" in result.stderr
    assert "Traceback" not in result.stderr
    assert tables(without_extension_rights) == []


@pytest.fixture
def fresh_database(postgres_server: str) -> Iterator[str]:
    """A URL for a new database without pgvector, with schemas team_a, team_b, team_c."""
    name = f"shared_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = postgres_server.replace("/postgres?", f"/{name}?")
    with psycopg.connect(url, autocommit=True) as conn:
        for schema in ("team_a", "team_b", "team_c"):
            conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield url
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def in_schemas(url: str, path: str) -> str:
    return f"{url}&options={quote(f'-csearch_path={path}')}"


def test_bases_in_schemas_of_one_database_share_pgvector_in_public(fresh_database: str) -> None:
    for schema in ("team_a", "team_b"):
        PostgresDatabase(in_schemas(fresh_database, f"{schema},public")).close()
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        where = conn.execute(
            "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'vector'"
        ).fetchone()
        assert where == ("public",)
        conn.execute("DROP SCHEMA team_a CASCADE")  # one team leaves: the other keeps pgvector
    PostgresDatabase(in_schemas(fresh_database, "team_b,public")).close()
    with pytest.raises(StorageError) as refused:
        PostgresDatabase(in_schemas(fresh_database, "team_c"))
    assert "pgvector is installed in the schema public" in str(refused.value)
    assert "options=-csearch_path=BASE_SCHEMA,public" in str(refused.value)
    assert tables(in_schemas(fresh_database, "team_c")) == []
