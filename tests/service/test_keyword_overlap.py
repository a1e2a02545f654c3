"""Hybrid search runs its keyword side on a worker thread while the query is embedded."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from rekall.core.errors import StorageError
from rekall.service import Rekall
from rekall.service.side_worker import THREAD_NAME, SideWorker

pytestmark = pytest.mark.model
DEADLINE_SECONDS = 60.0
QUERIES = [
    "browser blocks cross-origin request",
    "ENOSPC",
    "how do I stop a job when the terminal closes",
    "too many clients postgres",
    "retry backoff",
    "react component mounted twice",
]


def side_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == THREAD_NAME]


def wait_for(condition: Callable[[], bool]) -> bool:
    """Poll condition until it holds or the deadline passes (generous: a busy machine)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


@contextlib.contextmanager
def during_embedding(service: Rekall, action: Callable[[str], None]) -> Iterator[None]:
    """Run action(query) inside each query embedding, before the model is used."""
    engine = service.semantic
    embed = engine.embed_query

    def embed_after_action(text: str) -> np.ndarray:
        action(text)
        return embed(text)

    engine.embed_query = embed_after_action  # type: ignore[method-assign]
    try:
        yield
    finally:
        del engine.embed_query


def weighed(service: Rekall, word: str) -> Callable[[], bool]:
    """Whether the keyword side has weighed a query holding word (its count is cached)."""
    return lambda: any(word in str(key) for key in service.keyword.counts._items)


def test_keyword_side_does_not_wait_for_the_embedding(
    service: Rekall, filled: dict[str, str]
) -> None:
    service.keyword.worker = SideWorker(parallel=True)
    seen: list[bool] = []
    with during_embedding(service, lambda _: seen.append(wait_for(weighed(service, "enospc")))):
        response = service.search("ENOSPC watchers", mode="hybrid")
    assert seen == [True]
    assert response.results[0].entry.title == "ENOSPC: file watchers limit reached"
    assert response.results[0].keyword_rank == 1


def test_same_ranking_with_and_without_the_worker(service: Rekall, filled: dict[str, str]) -> None:
    def ranked(worker: SideWorker) -> list[list[tuple[str, float, int | None, int | None]]]:
        service.keyword.worker = worker
        service.rankings.clear()
        return [
            [
                (r.entry.id, r.score, r.keyword_rank, r.semantic_rank)
                for r in service.search(query, mode="hybrid", limit=5).results
            ]
            for query in QUERIES
        ]

    parallel, in_turn = SideWorker(parallel=True), SideWorker(parallel=False)
    try:
        assert ranked(parallel) == ranked(in_turn)
        assert parallel.running and not in_turn.running
    finally:
        parallel.close()


def test_worker_thread_stops_at_close(filled: dict[str, str], service: Rekall) -> None:
    worker = service.keyword.worker = SideWorker(parallel=True)
    before = set(side_threads())
    service.search("cross-origin request blocked", mode="hybrid")
    assert worker.running and len(set(side_threads()) - before) == 1
    service.close()
    assert not worker.running and set(side_threads()) <= before
    service.close()  # twice is harmless


def test_cli_search_leaves_no_thread(cli, filled: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    before = set(side_threads())
    result = cli("search", "cross-origin request blocked")
    assert "CORS fails on Safari" in result.output
    assert set(side_threads()) <= before


def test_write_during_the_search_is_never_served_stale(
    service: Rekall, filled: dict[str, str]
) -> None:
    """A write after the keyword side read, before the vectors are searched: the ranking made
    across it is never served again; the next search sees the new entry."""
    service.keyword.worker = SideWorker(parallel=True)
    query = "inotify watchers exhausted"
    added: list[str] = []

    def write_once(_: str) -> None:
        if not added and wait_for(weighed(service, "inotify")):
            added.append(
                service.add("til", "inotify watchers exhausted again", "Raise the limit.").id
            )

    with during_embedding(service, write_once):
        service.search(query, mode="hybrid")
    assert added
    again = service.search(query, mode="hybrid")
    assert added[0] in [result.entry.id for result in again.results]
    assert again.results[0].entry.id == added[0]


def test_error_of_the_keyword_side_surfaces(
    service: Rekall, filled: dict[str, str], db_file
) -> None:  # type: ignore[no-untyped-def]
    worker = service.keyword.worker = SideWorker(parallel=True)
    service.search("warm the model up", mode="hybrid")
    with contextlib.closing(sqlite3.connect(db_file)) as conn:
        conn.execute("DROP TABLE entries_fts")
    with pytest.raises(StorageError, match="entries_fts"):
        service.search("cross-origin request blocked", mode="hybrid")
    assert worker.running
    service.close()
    assert not worker.running


def test_first_search_of_a_cold_process_runs_its_sides_in_turn(
    filled: dict[str, str], opened: list[Rekall]
) -> None:
    """While the model loads, the worker would only compete for the GIL (decision 012)."""
    fresh = Rekall()
    opened.append(fresh)
    worker = fresh.keyword.worker = SideWorker(parallel=True)
    assert not fresh.semantic.models.loaded
    fresh.search("cross-origin request blocked", mode="hybrid")
    assert not worker.running
    fresh.search("watchers limit", mode="hybrid")
    assert worker.running
