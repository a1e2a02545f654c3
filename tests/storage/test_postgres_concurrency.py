"""Many writers on many connections, edits of one entry at once, and connections that drop."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest

from rekall.config import Config
from rekall.core.errors import StorageError
from rekall.service import Rekall

WRITERS = 6
EACH = 15


def no_model(url: str, tmp_path: Path) -> Config:
    """Entries without vectors: the race is about rows, and six models would crowd 2 cores."""
    return Config(database_url=url, model_path=str(tmp_path / "no-model"), allow_download=False)


def test_writers_on_separate_connections_lose_nothing(postgres_url: str, tmp_path: Path) -> None:
    bases = [Rekall(no_model(postgres_url, tmp_path)) for _ in range(WRITERS)]
    shared = bases[0].add("til", "edited by everyone")
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def write(number: int, base: Rekall) -> None:
        try:
            start.wait(30)
            for item in range(EACH):
                with base.acting_as(f"writer-{number}"):
                    base.add("til", f"writer {number} entry {item}", tags=("race",))
                    base.update(shared.id, content=f"writer {number} pass {item}")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n, b)) for n, b in enumerate(bases)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    try:
        assert errors == []
        added = bases[0].list_entries(limit=1000)
        titles = [e.title for e in added if e.id != shared.id]
        assert sorted(titles) == sorted(
            f"writer {n} entry {i}" for n in range(WRITERS) for i in range(EACH)
        )
        assert len({e.id for e in added}) == len(added)
        # Last writer wins: the entry holds one writer's last edit, and names that writer.
        final = bases[0].get(shared.id, record_access=False)
        assert final.content.endswith(f"pass {EACH - 1}")
        assert final.content.startswith(final.updated_by.replace("-", " "))  # type: ignore[union-attr]
        assert bases[0].db.generation() >= 1 + 2 * WRITERS * EACH
    finally:
        for base in bases:
            base.close()


def test_a_dropped_connection_is_replaced_before_the_next_command(
    postgres_url: str, postgres_server: str, tmp_path: Path
) -> None:
    base = Rekall(no_model(postgres_url, tmp_path))
    try:
        entry = base.add("til", "survives a server restart of its connections")
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE pid <> pg_backend_pid() AND application_name <> 'keep' "
                "AND backend_type = 'client backend' AND query NOT ILIKE '%LISTEN%'"
            )
        # The pool checks each connection as it hands it out and reconnects a dead one.
        assert base.get(entry.id, record_access=False).title == entry.title
        base.update(entry.id, content="written after the drop")
        assert base.get(entry.id, record_access=False).content == "written after the drop"
    finally:
        base.close()


def test_a_drop_inside_a_transaction_is_reported_and_rolled_back(
    postgres_url: str, postgres_server: str, tmp_path: Path
) -> None:
    base = Rekall(no_model(postgres_url, tmp_path))
    try:
        entry = base.add("til", "before")
        with (
            pytest.raises(StorageError, match=r"PostgreSQL at postgresql://"),
            base.db.write() as (conn, _),
        ):
            base.db.repos.entries.update_entry(conn, entry.id, {"title": "half"}, "now")
            pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
            with psycopg.connect(postgres_server, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            base.db.repos.entries.update_entry(conn, entry.id, {"content": "x"}, "now")
        assert base.get(entry.id, record_access=False).title == "before"
    finally:
        base.close()
