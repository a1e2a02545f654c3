"""The storage contract on both backends: entries, tags, links, lists, review, generation."""

from __future__ import annotations

import pytest

from rekall.core.entries import EntryFilter
from rekall.core.errors import AmbiguousIdError, NotFoundError, ValidationError
from rekall.service import Rekall


def test_add_get_update_delete_round_trip(any_backend: Rekall) -> None:
    rekall = any_backend
    entry = rekall.add("bug", "CORS fails on Safari", "Use credentials", ("cors", "safari"), "web")
    got = rekall.get(entry.id)
    assert (got.title, got.content, got.tags, got.project) == (
        "CORS fails on Safari",
        "Use credentials",
        ("cors", "safari"),
        "web",
    )
    assert got.access_count == 1
    changed = rekall.update(entry.id[:10], title="CORS on Safari", tags=["cors", "webkit"])
    assert changed.title == "CORS on Safari"
    assert changed.tags == ("cors", "webkit")
    assert changed.updated_at >= entry.updated_at
    assert rekall.delete(entry.id).id == entry.id
    with pytest.raises(NotFoundError):
        rekall.get(entry.id)


def test_ids_resolve_by_prefix_and_refuse_ambiguity(any_backend: Rekall) -> None:
    first = any_backend.add("til", "first entry")
    second = any_backend.add("til", "second entry")
    common = 0
    while first.id[common] == second.id[common]:
        common += 1
    assert any_backend.get(first.id[: common + 1]).id == first.id
    if common >= 4:
        with pytest.raises(AmbiguousIdError):
            any_backend.get(first.id[:common])
    with pytest.raises(ValidationError):  # malformed input, not a missing entry
        any_backend.get("not-an-id!")


def test_list_filters_and_sorts(any_backend: Rekall) -> None:
    a = any_backend.add("bug", "beta bug", tags=("x",), project="p1", confidence=5)
    b = any_backend.add("til", "Alpha til", tags=("x", "y"), project="p2", confidence=1)
    any_backend.deprecate(a.id)
    titles = [e.title for e in any_backend.list_entries(sort="title")]
    assert titles == ["Alpha til", "beta bug"]
    only_y = any_backend.list_entries(EntryFilter(tags=("y",), status=None))
    assert [e.id for e in only_y] == [b.id]
    active = any_backend.list_entries(EntryFilter(status="active"))
    assert [e.id for e in active] == [b.id]
    by_type = any_backend.list_entries(EntryFilter(types=("bug",), status=None))
    assert [e.status for e in by_type] == ["deprecated"]
    assert [e.id for e in any_backend.list_entries(sort="confidence")] == [a.id, b.id]


def test_links_and_related(any_backend: Rekall) -> None:
    a, b, c = (any_backend.add("til", f"entry {name}") for name in "abc")
    any_backend.link(a.id, b.id, "related", "same topic")
    any_backend.link(b.id, c.id, "derived_from")
    with pytest.raises(ValidationError):
        any_backend.link(a.id, b.id, "related")
    with pytest.raises(ValidationError):
        any_backend.link(a.id, a.id)
    assert [(link.target_id, link.reason) for link in any_backend.links(a.id)] == [
        (b.id, "same topic")
    ]
    assert [(e.id, hop) for e, hop in any_backend.related(a.id, depth=2)] == [(b.id, 1), (c.id, 2)]
    assert any_backend.unlink(a.id, b.id) == 1
    with pytest.raises(NotFoundError):
        any_backend.unlink(a.id, b.id)
    any_backend.delete(c.id)
    assert any_backend.links(b.id) == []


def test_deprecate_with_successor_links_them(any_backend: Rekall) -> None:
    old = any_backend.add("pattern", "old way")
    new = any_backend.add("pattern", "new way")
    deprecated = any_backend.deprecate(old.id, superseded_by=new.id)
    assert (deprecated.status, deprecated.superseded_by) == ("deprecated", new.id)
    assert [(link.source_id, link.type) for link in any_backend.links(old.id)] == [
        (new.id, "supersedes")
    ]


def test_every_write_raises_the_generation(any_backend: Rekall) -> None:
    start = any_backend.db.generation()
    entry = any_backend.add("til", "counted")
    after_add = any_backend.db.generation()
    any_backend.update(entry.id, content="more")
    assert start < after_add < any_backend.db.generation()
    assert any_backend.stats()["write_generation"] == any_backend.db.generation()


def test_a_failed_write_leaves_nothing_behind(any_backend: Rekall) -> None:
    entry = any_backend.add("til", "kept")
    before = any_backend.db.generation()
    with pytest.raises(ValidationError), any_backend.db.write() as (conn, _):
        any_backend.db.repos.entries.update_entry(conn, entry.id, {"title": "half"}, "now")
        raise ValidationError("stop here")
    assert any_backend.get(entry.id, record_access=False).title == "kept"
    assert any_backend.db.generation() == before


def test_review_queue_grading_and_stale(any_backend: Rekall) -> None:
    clock = iter(
        ["2025-01-01T00:00:00.000000+00:00"] * 2 + ["2025-03-01T00:00:00.000000+00:00"] * 50
    )
    any_backend.clock = lambda: next(clock)
    any_backend.entries.clock = any_backend.clock
    entry = any_backend.add("til", "review me")
    other = any_backend.add("til", "and me")
    queue = any_backend.review_queue()
    assert {item.entry.id for item in queue} == {entry.id, other.id}
    assert any_backend.count_due() == 2
    graded = any_backend.grade_review(entry.id, 5)
    assert graded.state.repetitions == 1
    assert graded.state.next_review is not None
    assert [item.entry.id for item in any_backend.review_queue()] == [other.id]
    stale = any_backend.stale_entries(days=30)
    assert other.id in {item.entry.id for item in stale}


def test_stats_count_entries_links_and_vectors(any_backend: Rekall) -> None:
    a = any_backend.add("bug", "one")
    b = any_backend.add("til", "two")
    any_backend.link(a.id, b.id)
    figures = any_backend.stats()
    assert figures["entries"] == 2
    assert figures["links"] == 1
    assert figures["entries_by_type"] == {"bug": 1, "til": 1}
    assert figures["storage_backend"] in ("sqlite", "postgres")


def test_stats_list_the_types_in_order(any_backend: Rekall) -> None:
    # SQLite's GROUP BY happened to sort; PostgreSQL's hash aggregate does not.
    types = ["til", "snippet", "reference", "pitfall", "pattern", "decision", "config", "bug"]
    for index, kind in enumerate(types):
        for n in range(index + 1):
            any_backend.add(kind, f"{kind} {n}")
    by_type = any_backend.stats()["entries_by_type"]
    assert list(by_type.items()) == sorted((kind, types.index(kind) + 1) for kind in types)


def test_check_reports_links_and_superseded_by(any_backend: Rekall) -> None:
    a, b = (any_backend.add("til", f"node {name}") for name in "ab")
    any_backend.link(a.id, b.id)
    found = {finding.name: finding for finding in any_backend.check().findings}
    assert found["links"].ok and found["superseded_by"].ok
    # Each names an existing entry, which no constraint can refuse: only check sees the ring.
    with any_backend.db.write() as (conn, _):
        conn.execute(f"UPDATE entries SET superseded_by = '{b.id}' WHERE id = '{a.id}'")
        conn.execute(f"UPDATE entries SET superseded_by = '{a.id}' WHERE id = '{b.id}'")
    report = any_backend.check()
    found = {finding.name: finding for finding in report.findings}
    assert not report.healthy
    assert not found["superseded_by"].ok and "in a ring" in found["superseded_by"].detail


def test_graph_walks_the_links(any_backend: Rekall) -> None:
    a, b = (any_backend.add("til", f"node {name}") for name in "ab")
    any_backend.link(a.id, b.id)
    graph = any_backend.graph(a.id, depth=1)
    assert set(graph.entries) == {a.id, b.id}


def test_merge_moves_links_and_supersedes(any_backend: Rekall) -> None:
    keep = any_backend.add("bug", "CORS fails on Safari", "Send credentials.", ("cors", "safari"))
    dup = any_backend.add("bug", "Safari blocks CORS", "Use include.", ("cors", "browser"))
    other = any_backend.add("til", "VACUUM reclaims space")
    any_backend.link(keep.id, dup.id)  # would become a self-link
    any_backend.link(dup.id, other.id)
    any_backend.get(dup.id)  # one access, added to the kept entry
    report = any_backend.merge(keep.id, (dup.id,))
    assert report.links_moved == 1
    assert report.kept.tags == ("browser", "cors", "safari")
    assert {(k.source_id, k.target_id, k.type) for k in any_backend.links(keep.id)} == {
        (keep.id, other.id, "related"),
        (keep.id, dup.id, "supersedes"),
    }
    gone = any_backend.get(dup.id, record_access=False)
    assert (gone.status, gone.superseded_by) == ("deprecated", keep.id)
    assert any_backend.get(keep.id, record_access=False).access_count == 1
