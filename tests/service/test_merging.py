"""Merging and finding lookalikes on a real database with the real model."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from rekall.core.entries import compose_embedding_text, content_hash
from rekall.core.errors import NotFoundError, ValidationError
from rekall.core.records import EntryContext
from rekall.core.review import ReviewState
from rekall.search.model_files import MODEL_ID
from rekall.service import Rekall
from rekall.storage import context_repo, embeddings_repo, entries_repo, review_repo

Dump = Callable[[Path], Sequence[str]]


def three(service: Rekall) -> tuple[str, str, str]:
    keep = service.add("bug", "CORS fails on Safari", "Send credentials.", ("cors", "safari"))
    dup = service.add("bug", "Safari blocks CORS requests", "Use include.", ("cors", "browser"))
    other = service.add("til", "Postgres VACUUM reclaims space", "Run it nightly.", ("postgres",))
    return keep.id, dup.id, other.id


def test_merge_moves_links_without_duplicates_or_self_links(service: Rekall) -> None:
    keep, dup, other = three(service)
    extra = service.add("pattern", "Retry with backoff").id
    service.link(keep, dup, "related")  # would become a self-link
    service.link(dup, other, "related")
    service.link(keep, other, "related")  # the same link exists on keep already
    service.link(extra, dup, "derived_from")
    report = service.merge(keep, (dup,))
    assert report.links_moved == 1 and not report.deleted
    links = {(k.source_id, k.target_id, k.type) for k in service.links(keep)}
    assert links == {
        (keep, other, "related"),
        (extra, keep, "derived_from"),
        (keep, dup, "supersedes"),
    }
    assert {(k.source_id, k.target_id, k.type) for k in service.links(dup)} == {
        (keep, dup, "supersedes")
    }


def test_merge_unites_content_and_tags_and_re_embeds(service: Rekall) -> None:
    keep, dup, _ = three(service)
    kept = service.merge(keep, (dup[:12],)).kept
    assert kept.tags == ("browser", "cors", "safari")
    assert kept.content.startswith("Send credentials.\n\n---\n\n**Safari blocks CORS requests**")
    gone = service.get(dup, record_access=False)
    assert (gone.status, gone.superseded_by) == ("deprecated", keep)
    with service.db.read() as conn:
        seq = entries_repo.seq_of(conn, keep)
        stored = embeddings_repo.stored_hash(conn, seq, MODEL_ID)
    assert stored == content_hash(compose_embedding_text(kept.title, kept.tags, kept.content))
    hits = service.search("Use include", mode="semantic", limit=1).results
    assert hits[0].entry.id == keep


def test_merge_keeps_the_latest_review_accesses_and_every_context(service: Rekall) -> None:
    keep, dup, other = three(service)
    late = ReviewState(3, 15, 2.6, "2025-03-01T00:00:00.000000+00:00")  # reviewed 14 Feb
    with service.db.write() as (conn, _):
        review_repo.write_state(conn, keep, ReviewState(1, 1, 2.5, "2025-02-01T00:00:00+00:00"))
        review_repo.write_state(conn, dup, late)
        context_repo.write_context(conn, dup, EntryContext({"error": "E1"}, None, ("hydration",)))
        conn.execute(
            "UPDATE entries SET access_count = 4, last_accessed = 'B' WHERE id = ?", (dup,)
        )
        conn.execute(
            "UPDATE entries SET access_count = 2, last_accessed = 'A' WHERE id = ?", (keep,)
        )
    service.merge(keep, (dup,), delete=True)
    with service.db.read() as conn:
        assert review_repo.read_state(conn, keep) == late
        assert context_repo.read_contexts(conn, [keep])[keep] == EntryContext(
            {"error": "E1"}, None, ("hydration",)
        )
        kept = entries_repo.fetch_entry(conn, keep)
    assert (kept.access_count, kept.last_accessed) == (6, "B")
    with pytest.raises(NotFoundError):
        service.get(dup)
    assert service.get(other).status == "active"


def test_entries_superseded_by_a_merged_one_now_point_at_the_kept_one(service: Rekall) -> None:
    keep, dup, other = three(service)
    service.deprecate(other, superseded_by=dup)
    service.merge(keep, (dup,), delete=True)
    assert service.get(other, record_access=False).superseded_by == keep
    assert {(k.source_id, k.type) for k in service.links(other)} == {(keep, "supersedes")}


def test_a_dry_run_changes_nothing_but_reports_the_result(
    service: Rekall, db_file: Path, logical_dump: Dump
) -> None:
    keep, dup, other = three(service)
    service.link(dup, other, "related")
    before = logical_dump(db_file)
    generation = service.db.generation()
    report = service.merge(keep, (dup,), delete=True, dry_run=True)
    assert report.dry_run and report.links_moved == 1 and "**Safari blocks" in report.kept.content
    assert logical_dump(db_file) == before and service.db.generation() == generation


@pytest.mark.parametrize(
    ("ids", "error", "message"),
    [
        (lambda k, d: (k, (k,)), ValidationError, "entry to keep"),
        (lambda k, d: (k, ()), ValidationError, "at least one"),
        (lambda k, d: (k, (d, "ZZZZZZZZ")), NotFoundError, "ZZZZZZZZ"),
        (lambda k, d: (d, (k,)), ValidationError, "is deprecated"),
    ],
)
def test_bad_merges_are_refused_and_change_nothing(
    service: Rekall, db_file: Path, logical_dump: Dump, ids: object, error: type, message: str
) -> None:
    keep, dup, other = three(service)
    service.deprecate(dup)
    before = logical_dump(db_file)
    keep_ref, others = ids(keep, dup)  # type: ignore[operator]
    with pytest.raises(error, match=message):
        service.merge(keep_ref, others)
    assert logical_dump(db_file) == before


def test_a_failure_inside_the_transaction_rolls_everything_back(
    service: Rekall, db_file: Path, logical_dump: Dump, monkeypatch: pytest.MonkeyPatch
) -> None:
    keep, dup, other = three(service)
    service.link(dup, other, "related")
    before = logical_dump(db_file)

    def broken(*args: object) -> None:
        raise RuntimeError("disk went away")

    monkeypatch.setattr("rekall.storage.merge_repo.supersede", broken)
    with pytest.raises(RuntimeError):
        service.merge(keep, (dup,))
    assert logical_dump(db_file) == before


def test_an_entry_edited_while_merging_stops_the_merge(
    service: Rekall, db_file: Path, logical_dump: Dump, monkeypatch: pytest.MonkeyPatch
) -> None:
    keep, dup, _ = three(service)
    real = service.indexer.vectors_for

    def edit_then_embed(texts: list[str]) -> object:
        elsewhere = Rekall()  # another process's facade on the same file
        try:
            elsewhere.update(dup, title="Edited by someone else")
        finally:
            elsewhere.close()
        return real(texts)

    monkeypatch.setattr(service.indexer, "vectors_for", edit_then_embed)
    with pytest.raises(ValidationError, match="edited while merging"):
        service.merge(keep, (dup,))
    assert service.get(dup).status == "active"
    assert "merged from" not in service.get(keep).content


def test_find_duplicates_groups_lookalikes_around_the_best_entry(service: Rekall) -> None:
    keep, dup, other = three(service)
    report = service.find_duplicates()
    assert [[e.id for e in c.entries] for c in report.clusters] in ([[keep, dup]], [[dup, keep]])
    [cluster] = report.clusters
    assert cluster.similarities[0] == 1.0 and 0.7 <= cluster.similarities[1] < 1.0
    assert report.compared == 3 and report.without_vector == 0
    assert service.find_duplicates(threshold=0.99).clusters == []
    service.merge(keep, (dup,))
    assert service.find_duplicates().clusters == []  # the deprecated one is not compared
    assert service.find_duplicates(filters=None, limit=1).compared == 2
    with pytest.raises(ValidationError):
        service.find_duplicates(threshold=1.5)


def test_merged_context_is_searchable_and_embedded_with_the_kept_entry(service: Rekall) -> None:
    keep = service.add(
        "bug",
        "Hydration mismatch on prices",
        "Render prices on the client.",
        ("react",),
        context={"situation": "Prices differ between server and client"},
    ).id
    dup = service.add(
        "bug",
        "Text content does not match on the price tag",
        "Format on the client.",
        ("nextjs",),
        context={"solution": "Use the same locale", "error_messages": ["Error E4217 mismatch"]},
    ).id
    service.merge(keep, (dup,), delete=True)
    kept = service.get(keep, record_access=False)
    assert kept.context is not None
    assert kept.context.text("situation") == "Prices differ between server and client"
    assert kept.context.text("solution") == "Use the same locale"
    with service.db.read() as conn:
        stored = embeddings_repo.stored_hash(conn, entries_repo.seq_of(conn, keep), MODEL_ID)
    assert stored == content_hash(kept.embedding_text())
    hits = service.search("Error E4217 mismatch", mode="keyword").results
    assert [hit.entry.id for hit in hits] == [keep]
