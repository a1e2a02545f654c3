"""Fixtures for service tests: a small realistic base and a second process to write with."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

from rekall.config import Config
from rekall.service import Rekall
from tests.service.server_indexes import schema_of

BASE = [
    (
        "bug",
        "CORS fails on Safari",
        "cors,safari,fetch",
        "webapp",
        "Safari drops cross-site cookies unless fetch is called with credentials: 'include'.",
    ),
    (
        "til",
        "nohup keeps a job alive after logout",
        "shell,linux",
        None,
        "Closing the terminal sends SIGHUP to its jobs. Start with `nohup cmd &` or `disown -h`.",
    ),
    (
        "pitfall",
        "useEffect runs twice in StrictMode",
        "react",
        "webapp",
        "React 18 mounts, unmounts and remounts components in development to surface bugs.",
    ),
    (
        "config",
        "Postgres max_connections too low",
        "postgres",
        "api",
        "FATAL: sorry, too many clients already. Raise max_connections or use pgbouncer.",
    ),
    (
        "snippet",
        "Retry with exponential backoff in Python",
        "python,retry",
        "api",
        "```python\nfor attempt in range(5):\n    time.sleep(2 ** attempt)\n```",
    ),
    (
        "bug",
        "ENOSPC: file watchers limit reached",
        "linux,node",
        "webapp",
        "Increase fs.inotify.max_user_watches with sysctl when the dev server crashes.",
    ),
]


def fill(service: Rekall) -> dict[str, str]:
    """Add the base; return title → id."""
    ids = {}
    for kind, title, tags, project, content in BASE:
        ids[title] = service.add(kind, title, content, (tags,), project).id
    return ids


@pytest.fixture
def opened() -> Iterator[list[Rekall]]:
    """Bases opened by a test, closed at the end even when it fails."""
    bases: list[Rekall] = []
    yield bases
    for base in bases:
        base.close()


@pytest.fixture
def filled(service: Rekall) -> dict[str, str]:
    """The service fixture, filled with the small base."""
    return fill(service)


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed `rekall` in a separate process on this test's data dir."""
    command = [str(Path(sys.executable).parent / "rekall"), *args]
    result = subprocess.run(
        command,
        input=stdin,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def long_lived() -> Iterator[Rekall]:
    """A long-lived service (as in the TUI or MCP server) with a tiny query cache."""
    service = Rekall(Config(cache_max_size=2), long_lived=True)
    try:
        yield service
    finally:
        service.close()


@pytest.fixture
def other(tmp_path: Path) -> Iterator[Rekall]:
    """A second, empty base in its own file."""
    base = Rekall(db_file=tmp_path / "other" / "rekall.db")
    try:
        yield base
    finally:
        base.close()


@pytest.fixture
def team(postgres_url: str) -> Iterator[Rekall]:
    base = Rekall(Config(database_url=postgres_url))
    try:
        fill(base)
        yield base
    finally:
        base.close()


@pytest.fixture
def member_url(postgres_server: str, team: Rekall) -> Iterator[str]:
    """A URL for a role that reads and writes team's base but owns none of it (no MAINTAIN)."""
    import uuid

    import psycopg

    schema = schema_of(team)
    role = f"member_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        vectors = conn.execute(
            "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'vector'"
        ).fetchone()[0]
        conn.execute(f"CREATE ROLE {role} LOGIN")
        # No CREATE on the schema: a member adds rows, never tables.
        conn.execute(f"GRANT USAGE ON SCHEMA {schema}, {vectors} TO {role}")
        conn.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}"
        )
        conn.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}")
    parts = urlsplit(postgres_server)
    netloc = parts.netloc.replace("postgres:", f"{role}:", 1)
    separator = "&" if parts.query else ""
    query = parts.query + separator + "options=" + quote(f"-csearch_path={schema},{vectors}")
    try:
        yield urlunsplit(parts._replace(netloc=netloc, query=query))
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role} CASCADE")
            conn.execute(f"DROP ROLE {role}")


@pytest.fixture(params=["sqlite", "postgres"])
def target_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a copy writes: a SQLite file, then a schema on the test server."""
    if request.param == "sqlite":
        return str(tmp_path / "target.db")
    url: str = request.getfixturevalue("postgres_url")
    return url
