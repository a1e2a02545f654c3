"""Reading an entry counts an access without being a write: no generation, no lock waited for."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from rekall.config import load_config
from rekall.core.entries import Entry
from rekall.service import Rekall

# Generous: the show is to return in a fraction of a second, where it used to wait for the
# holder (a PostgreSQL transaction without end, the SQLite busy timeout of 10 s).
DEADLINE_S = 5.0


def test_a_show_counts_the_access_and_leaves_the_generation(any_backend: Rekall) -> None:
    entry = any_backend.add("bug", "flaky test", "retry")
    before = any_backend.db.generation()
    assert any_backend.get(entry.id).access_count == 1
    assert any_backend.get(entry.id).access_count == 2
    assert any_backend.db.generation() == before
    shown = any_backend.get(entry.id, record_access=False)
    assert shown.access_count == 2 and shown.last_accessed is not None


def test_a_show_elsewhere_leaves_the_caches_warm_and_the_count_fresh(any_backend: Rekall) -> None:
    entry = any_backend.add("bug", "flaky test on the build server", "retry twice")
    colleague = Rekall(load_config())
    try:
        first = any_backend.search("flaky", mode="keyword")
        read = any_backend.keyword.counts.misses
        colleague.get(entry.id)
        again = any_backend.search("flaky", mode="keyword")
        # The words' counts were kept (same generation); the entry shown is read fresh.
        assert any_backend.keyword.counts.misses == read
        assert [r.entry.id for r in again.results] == [r.entry.id for r in first.results]
        assert again.results[0].entry.access_count == 1
    finally:
        colleague.close()


def test_a_show_wakes_no_other_process(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REKALL_DATABASE_URL", postgres_url)
    watching, colleague = Rekall(load_config(), long_lived=True), Rekall(load_config())
    heard: list[int] = []
    try:
        entry = colleague.add("bug", "flaky test", "retry")
        assert watching.watch(heard.append)
        assert watching.db._listener.connected.wait(30)  # type: ignore[attr-defined]
        colleague.get(entry.id)
        # A real write after the show: notifications arrive in commit order, so once this
        # one is heard, one for the show would have been heard before it.
        colleague.update(entry.id, content="retry twice")
        written = colleague.db.generation()
        deadline = time.monotonic() + 30
        while written not in heard and time.monotonic() < deadline:
            time.sleep(0.05)
        assert heard == [written]
    finally:
        colleague.close()
        watching.close()


@contextmanager
def holding(backend_url: str, rekall: Rekall, statement: str) -> Iterator[None]:
    """Another connection, inside a transaction that ran statement and has not ended."""
    if backend_url:
        conn: Any = psycopg.connect(backend_url, autocommit=True)
        conn.execute("BEGIN")
    else:
        conn = sqlite3.connect(rekall.db.location, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(statement)
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def shown_within(show: Callable[[], Entry]) -> Entry:
    """What show() returned, failing when it did not return by DEADLINE_S."""
    done: list[Entry] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            done.append(show())
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(DEADLINE_S)
    assert errors == []
    assert done, f"the show still waits after {DEADLINE_S:g} s"
    return done[0]


def test_a_show_does_not_wait_behind_a_write_holding_the_generation(
    any_backend: Rekall, backend_url: str
) -> None:
    entry = any_backend.add("bug", "flaky test", "retry")
    bump = "UPDATE meta SET value = value + 1 WHERE key = 'generation'"
    with holding(backend_url, any_backend, bump):
        shown = shown_within(lambda: any_backend.get(entry.id))
        assert shown.title == "flaky test"
        # On SQLite the holder has the whole file: that count is skipped, not waited for.
        assert shown.access_count == (1 if backend_url else 0)
    assert any_backend.get(entry.id).access_count == (2 if backend_url else 1)


@pytest.fixture
def on_server(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rekall]:
    """A facade on a server base (postgres_url), closed afterwards."""
    monkeypatch.setenv("REKALL_DATABASE_URL", postgres_url)
    rekall = Rekall(load_config())
    try:
        yield rekall
    finally:
        rekall.close()


def test_a_show_does_not_wait_for_an_import_holding_the_words_total(
    postgres_url: str, on_server: Rekall
) -> None:
    rekall = on_server
    entry = rekall.add("bug", "flaky test", "retry")
    # What a bulk import holds until it commits: the generation and the words total.
    total = "UPDATE meta SET value = value WHERE key IN ('generation', 'search_words')"
    with holding(postgres_url, rekall, total):
        assert shown_within(lambda: rekall.get(entry.id)).access_count == 1
    rekall.update(entry.id, content="retry twice, then look at the runner's clock")
    with rekall.db.read() as conn:
        kept = conn.execute("SELECT value FROM meta WHERE key = 'search_words'").fetchone()
        summed = conn.execute("SELECT sum(length(search)) FROM entries").fetchone()
    assert kept[0] == summed[0]


def test_a_show_skips_the_count_of_an_entry_being_edited(
    postgres_url: str, on_server: Rekall
) -> None:
    rekall = on_server
    entry = rekall.add("bug", "flaky test", "retry")
    edit = f"UPDATE entries SET content = 'half-way' WHERE id = '{entry.id}'"
    with holding(postgres_url, rekall, edit):
        shown = shown_within(lambda: rekall.get(entry.id))
        assert (shown.content, shown.access_count) == ("retry", 0)
    assert rekall.get(entry.id).access_count == 1
