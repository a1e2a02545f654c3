"""Semantic, hybrid and similar search through the facade, with the real model."""

from __future__ import annotations

import pytest

from rekall.core.entries import EntryFilter
from rekall.core.errors import ValidationError
from rekall.service import Rekall

pytestmark = pytest.mark.model


def titles(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [result.entry.title for result in response.results]


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_meaning_finds_entry_sharing_no_words(
    service: Rekall, filled: dict[str, str], mode: str
) -> None:
    response = service.search("browser blocks cross-origin request", mode=mode)
    assert response.mode == mode
    assert titles(response)[0] == "CORS fails on Safari"


def test_question_finds_nohup(service: Rekall, filled: dict[str, str]) -> None:
    response = service.search("how do I stop a job when the terminal closes")
    assert titles(response)[0] == "nohup keeps a job alive after logout"


def test_identifier_ranks_exact_match_first_in_hybrid(
    service: Rekall, filled: dict[str, str]
) -> None:
    response = service.search("ENOSPC")
    assert titles(response)[0] == "ENOSPC: file watchers limit reached"
    assert response.results[0].keyword_rank == 1


def test_semantic_scores_are_cosine_similarities(service: Rekall, filled: dict[str, str]) -> None:
    response = service.search("react component mounted twice", mode="semantic")
    scores = [result.score for result in response.results]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.0 <= score <= 1.0 for score in scores)
    assert response.results[0].similarity == response.results[0].score
    assert "cosine" in response.score_meaning


@pytest.mark.parametrize("mode", ["semantic", "hybrid", "keyword"])
def test_filters_apply_before_top_k(service: Rekall, filled: dict[str, str], mode: str) -> None:
    for index in range(15):
        service.add(
            "bug",
            f"CORS preflight failure number {index}",
            "Browser blocks the cross-origin request.",
            ("cors",),
            "webapp",
        )
    service.add(
        "bug",
        "CORS error from the internal admin tool",
        "Cross-origin request rejected by the gateway.",
        ("cors",),
        "admin",
    )
    response = service.search(
        "cors cross-origin request blocked",
        mode=mode,
        limit=3,
        filters=EntryFilter(project="admin"),
    )
    assert titles(response) == ["CORS error from the internal admin tool"]


def test_deprecated_entries_hidden_by_default(service: Rekall, filled: dict[str, str]) -> None:
    service.deprecate(filled["CORS fails on Safari"])
    assert "CORS fails on Safari" not in titles(service.search("cors safari"))
    everything = service.search("cors safari", filters=EntryFilter(status=None))
    assert "CORS fails on Safari" in titles(everything)


def test_similar_excludes_itself(service: Rekall, filled: dict[str, str]) -> None:
    service.add(
        "bug",
        "Safari rejects cookies on cross-site fetch",
        "Use credentials include and SameSite=None; Secure.",
        ("safari",),
        "webapp",
    )
    response = service.similar(filled["CORS fails on Safari"], limit=3)
    found = titles(response)
    assert "CORS fails on Safari" not in found
    assert found[0] == "Safari rejects cookies on cross-site fetch"
    assert len(found) == 3


def test_bad_arguments_are_clear(service: Rekall, filled: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="empty"):
        service.search("   ")
    with pytest.raises(ValidationError, match="hybrid, semantic, keyword"):
        service.search("x", mode="fuzzy")
    with pytest.raises(ValidationError, match="limit"):
        service.search("x", limit=0)


def test_every_entry_is_embedded_on_add(service: Rekall, filled: dict[str, str]) -> None:
    figures = service.stats()
    assert figures["entries"] == len(filled)
    assert figures["vectors"] == len(filled)
    assert figures["entries_without_vector"] == 0
    assert figures["backend"] == "numpy"


def test_hybrid_makes_snippets_for_the_results_shown_only(
    service: Rekall, filled: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # It weighs 50 candidates and shows a few: snippets for all of them cost ~0.6 ms at 10K.
    from rekall.storage import fts_repo

    for n in range(6):
        service.add("til", f"linux note {n}", f"the linux kernel, part {n}", ("linux",))
    made: list[list[int]] = []
    snippets = getattr(fts_repo, "snippets", None)

    def counted(conn, query, seqs, in_context=()):  # type: ignore[no-untyped-def]
        made.append([*seqs, *in_context])
        assert snippets is not None
        return snippets(conn, query, seqs, in_context)

    monkeypatch.setattr(fts_repo, "snippets", counted, raising=False)
    ranked: list[str] = []
    service.db._conn.set_trace_callback(
        lambda sql: ranked.append(sql) if "MATCH" in sql and "ORDER BY" in sql else None
    )
    shown = service.search("linux kernel", mode="hybrid", limit=3).results
    service.db._conn.set_trace_callback(None)
    assert ranked and not any("snippet(" in sql for sql in ranked)
    assert len(made) == 1 and 0 < len(made[0]) <= 3
    # The same snippet keyword search makes, and kept with the ranking for the next search.
    keyword = {
        r.entry.id: r.snippet for r in service.search("linux kernel", mode="keyword").results
    }
    for result in shown:
        if result.keyword_rank is not None:
            assert result.snippet == keyword[result.entry.id] and "\x02" in result.snippet
    again = service.search("linux kernel", mode="hybrid", limit=3).results
    assert [r.snippet for r in again] == [r.snippet for r in shown] and len(made) == 1
