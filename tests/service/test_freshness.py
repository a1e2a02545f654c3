"""A stale vector is never served: edits, deletes and writes from other processes are seen."""

from __future__ import annotations

import pytest

from rekall.config import Config
from rekall.core.entries import EntryFilter
from rekall.service import Rekall
from tests.service.conftest import fill, run_cli

pytestmark = pytest.mark.model


def semantic_titles(service: Rekall, query: str, limit: int = 3) -> list[str]:
    response = service.search(query, mode="semantic", limit=limit)
    return [result.entry.title for result in response.results]


def test_edited_entry_is_found_by_new_text_not_old(long_lived: Rekall) -> None:
    ids = fill(long_lived)
    entry_id = ids["Retry with exponential backoff in Python"]
    assert semantic_titles(long_lived, "wait longer between attempts", 1) == [
        "Retry with exponential backoff in Python"
    ]
    long_lived.update(
        entry_id,
        title="Kubernetes pod stuck in CrashLoopBackOff",
        content="The container exits at start; read `kubectl logs --previous`.",
        tags=("k8s",),
    )
    assert semantic_titles(long_lived, "my container keeps restarting", 1) == [
        "Kubernetes pod stuck in CrashLoopBackOff"
    ]
    hits = long_lived.search("wait longer between attempts", mode="semantic", limit=6)
    edited = next(r for r in hits.results if r.entry.id == entry_id)
    assert edited.similarity is not None and edited.similarity < 0.3


def test_writes_by_another_process_are_seen(long_lived: Rekall) -> None:
    ids = fill(long_lived)
    assert semantic_titles(long_lived, "browser blocks cross-origin request", 1) == [
        "CORS fails on Safari"
    ]
    added = run_cli(
        "add",
        "bug",
        "Kubernetes pod stuck in CrashLoopBackOff",
        "-c",
        "The container keeps restarting; check kubectl logs --previous.",
    ).stdout
    assert semantic_titles(long_lived, "my container keeps restarting", 1) == [
        "Kubernetes pod stuck in CrashLoopBackOff"
    ]
    run_cli(
        "edit",
        added.strip(),
        "--title",
        "Redis eviction policy allkeys-lru",
        "-c",
        "Set maxmemory-policy so the cache evicts instead of failing writes.",
    )
    assert semantic_titles(long_lived, "my container keeps restarting", 1) != [
        "Redis eviction policy allkeys-lru"
    ]
    assert semantic_titles(long_lived, "cache runs out of memory", 1) == [
        "Redis eviction policy allkeys-lru"
    ]
    run_cli("delete", ids["CORS fails on Safari"], "--yes")
    found = semantic_titles(long_lived, "browser blocks cross-origin request", 10)
    assert "CORS fails on Safari" not in found
    assert len(found) == 6


def test_base_larger_than_cache_is_searched_whole(long_lived: Rekall) -> None:
    assert long_lived.config.cache_max_size == 2
    fill(long_lived)
    for index in range(20):
        long_lived.add("til", f"Unrelated note {index} about spreadsheets", "Cells and rows.")
    titles = semantic_titles(long_lived, "inotify watcher limit crashes the dev server", 30)
    assert titles[0] == "ENOSPC: file watchers limit reached"
    assert len(titles) == 26


def test_cold_process_uses_snapshot_and_catches_up(service: Rekall) -> None:
    fill(service)
    service.search("warm up", mode="semantic")  # builds the index and writes the snapshot
    service.add(
        "bug", "Kubernetes pod stuck in CrashLoopBackOff", "The container keeps restarting."
    )
    cold = Rekall()
    try:
        assert semantic_titles(cold, "my container keeps restarting", 1) == [
            "Kubernetes pod stuck in CrashLoopBackOff"
        ]
        assert cold.stats()["index_loaded_from"] == "snapshot"
        assert cold.stats()["index_vectors"] == 7
    finally:
        cold.close()


def test_snapshot_of_another_database_is_never_used(service: Rekall, isolated_env) -> None:  # type: ignore[no-untyped-def]
    fill(service)
    service.search("warm up", mode="semantic")
    service.close()
    for path in isolated_env.glob("rekall.db*"):
        path.unlink()
    fresh = Rekall()
    try:
        fresh.add("til", "Only entry of the new base", "Nothing about browsers.")
        for _ in range(6):
            fresh.update(fresh.list_entries()[0].id, confidence=2)
        found = semantic_titles(fresh, "browser blocks cross-origin request", 10)
        assert found == ["Only entry of the new base"]
    finally:
        fresh.close()


def test_sqlite_vec_backend_gives_same_results_as_numpy(service: Rekall) -> None:
    fill(service)
    by_numpy = semantic_titles(service, "server rejects too many connections", 6)
    other = Rekall(Config(vector_index_backend="sqlite-vec"))
    try:
        by_vec = semantic_titles(other, "server rejects too many connections", 6)
        assert other.stats()["backend"] == "sqlite-vec"
        filtered = other.search(
            "crash", mode="semantic", filters=EntryFilter(project="webapp"), limit=6
        )
        assert {r.entry.project for r in filtered.results} == {"webapp"}
    finally:
        other.close()
    assert by_vec == by_numpy


@pytest.mark.parametrize("mode", ["hybrid", "semantic"])
def test_a_repeated_search_reuses_its_ranking_until_another_process_writes(
    long_lived: Rekall, mode: str
) -> None:
    fill(long_lived)
    query = "browser refuses a cross-origin request"

    def seen() -> list[tuple[str, float, str, int | None]]:
        results = long_lived.search(query, mode=mode).results
        return [(r.entry.title, r.score, r.snippet, r.keyword_rank) for r in results]

    first = seen()
    hits = long_lived.rankings.hits
    assert seen() == first
    assert long_lived.rankings.hits == hits + 1
    run_cli("add", "bug", "Safari refuses a cross-origin request", "-c", "Send credentials.")
    after = seen()
    assert long_lived.rankings.hits == hits + 1
    assert after[0][0] == "Safari refuses a cross-origin request"
    assert [row[0] for row in after[1:]] == [row[0] for row in first]
