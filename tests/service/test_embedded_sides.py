"""Hybrid search on the embedded backend: the vectors scored on the worker beside the
keyword side, ranking as in turn, and never waiting for a worker that is busy."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rekall.core.entries import EntryFilter
from rekall.service import Rekall
from rekall.service.side_worker import THREAD_NAME, SideWorker

pytestmark = pytest.mark.model
QUERIES = ["pod eviction memory", "ENOSPC", "why was my pod killed", "inotify watchers"]


@pytest.fixture
def warm_base(tmp_path: Path) -> Iterator[Rekall]:
    """A long-lived facade on a SQLite base with a few entries, the model loaded."""
    rekall = Rekall(db_file=tmp_path / "rekall.db", long_lived=True)
    try:
        rekall.add("til", "kubernetes pod eviction", "pods evicted under memory pressure", ("k8s",))
        rekall.add("bug", "ENOSPC watchers", "fs.inotify.max_user_watches too low", ("linux",))
        rekall.add("til", "pod restarts", "a container restarting after OOMKilled", ("k8s",))
        rekall.search("warm up the model", mode="hybrid")
        yield rekall
    finally:
        rekall.close()


@pytest.fixture
def scored_on(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of the thread each pass over the vectors ran on."""
    from rekall.search import best_of

    threads: list[str] = []
    score = best_of.best_per_entry

    def recorded(*args: Any) -> Any:
        threads.append(threading.current_thread().name)
        return score(*args)

    monkeypatch.setattr(best_of, "best_per_entry", recorded)
    return threads


def ranking(rekall: Rekall, query: str, filters: EntryFilter | None = None) -> list[Any]:
    """Each result's entry, score and ranks on both sides, searched anew (no kept ranking)."""
    rekall.rankings.clear()
    found = rekall.search(query, mode="hybrid", filters=filters or EntryFilter()).results
    return [(r.entry.id, r.score, r.keyword_rank, r.semantic_rank) for r in found]


def rankings(rekall: Rekall) -> list[list[Any]]:
    return [ranking(rekall, q) for q in QUERIES] + [
        ranking(rekall, q, EntryFilter(tags=("k8s",))) for q in QUERIES
    ]


def test_the_vectors_are_scored_on_the_worker_and_rank_as_in_turn(
    warm_base: Rekall, scored_on: list[str]
) -> None:
    weighed = warm_base.keyword.weighed

    def after_the_worker_started(*args: Any, **kwargs: Any) -> Any:
        # However busy the machine: the worker gets to the vectors before the keyword side
        # ends (else the search would rightly claim them back and score them itself).
        deadline = time.monotonic() + 60
        while len(scored_on) <= len(done) and time.monotonic() < deadline:
            time.sleep(0.001)
        done.append(True)
        return weighed(*args, **kwargs)

    done: list[bool] = []
    warm_base.keyword.weighed = after_the_worker_started
    beside = rankings(warm_base)
    assert set(scored_on) == {THREAD_NAME}
    del warm_base.keyword.weighed  # the class's own again
    assert beside[0][0][2] == 1 and beside[0][0][3] == 1  # found by both sides
    in_turn = SideWorker()
    in_turn.close()  # a closed worker runs work in the caller's thread
    warm_base.keyword.worker = in_turn
    scored_on.clear()
    assert rankings(warm_base) == beside
    assert set(scored_on) == {threading.current_thread().name}


def test_a_busy_worker_is_not_waited_for_the_search_scores_itself(
    warm_base: Rekall, scored_on: list[str]
) -> None:
    expected = ranking(warm_base, "pod eviction memory")
    release = threading.Event()
    busy = warm_base.keyword.worker.submit(lambda: release.wait(60))  # fails, not hangs
    try:
        scored_on.clear()
        found = ranking(warm_base, "pod eviction memory")
        assert not busy.wait(0), "the search waited for the busy worker"
    finally:
        release.set()
    assert found == expected
    assert scored_on == [threading.current_thread().name]


def test_an_error_of_the_keyword_side_surfaces_once_the_vectors_are_scored(
    warm_base: Rekall, scored_on: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rekall.core.errors import StorageError

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise StorageError("the keyword side failed")

    monkeypatch.setattr(warm_base.keyword, "weighed", broken)
    warm_base.rankings.clear()
    with pytest.raises(StorageError, match="keyword side failed"):
        warm_base.search("pod eviction", mode="hybrid")
    monkeypatch.undo()
    assert ranking(warm_base, "pod eviction")[0][2] == 1  # the index was kept, the next works


def test_a_one_shot_search_runs_its_sides_in_turn_and_starts_no_thread(
    tmp_path: Path, scored_on: list[str]
) -> None:
    rekall = Rekall(db_file=tmp_path / "rekall.db")  # as the CLI opens it
    try:
        rekall.add("til", "kubernetes pod eviction", "pods evicted under memory pressure")
        found = rekall.search("pod eviction", mode="hybrid").results
        assert found[0].keyword_rank == 1 and found[0].semantic_rank == 1
        assert scored_on == [threading.current_thread().name]
        assert rekall.keyword._worker is None
    finally:
        rekall.close()
