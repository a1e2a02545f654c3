"""Repositories on a real SQLite file: FTS sync, write generation, id prefixes, links."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rekall.core.entries import EntryFilter, NewEntry
from rekall.core.errors import AmbiguousIdError, NotFoundError, StorageError, ValidationError
from rekall.storage import entries_repo, links_repo
from rekall.storage.database import Database, open_database
from rekall.storage.fts_repo import check_fts, keyword_search, rebuild_fts

NOW = "2025-01-01T00:00:00.000000+00:00"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "rekall.db")
    try:
        yield database
    finally:
        database.close()


def add(
    db: Database,
    entry_id: str,
    title: str,
    content: str = "",
    tags: tuple[str, ...] = (),
    project: str | None = None,
    kind: str = "bug",
) -> int:
    with db.write() as (conn, _):
        return entries_repo.insert_entry(
            conn, entry_id, NewEntry(kind, title, content, tags, project), NOW
        )


def match_count(db: Database, expression: str) -> int:
    with db.read() as conn:
        check_fts(conn)
        row = conn.execute(
            "SELECT count(*) FROM entries_fts WHERE entries_fts MATCH ?", (expression,)
        ).fetchone()
        return int(row[0])


# -- FTS5 kept in sync by triggers ----------------------------------------------------------


def test_insert_is_indexed_in_every_column(db: Database) -> None:
    add(db, "01A", "Safari drops cookies", "use credentials include", ("cors",), "webapp")
    assert match_count(db, "safari") == 1
    assert match_count(db, "title:cookies") == 1
    assert match_count(db, "content:credentials") == 1
    assert match_count(db, "tags_text:cors") == 1
    assert match_count(db, "project:webapp") == 1
    assert match_count(db, "title:credentials") == 0


def test_update_replaces_the_indexed_text(db: Database) -> None:
    add(db, "01A", "old title", "old body", ("oldtag",), "oldproject")
    with db.write() as (conn, _):
        entries_repo.update_entry(
            conn, "01A", {"title": "new title", "content": "new body", "project": "newproject"}, NOW
        )
        entries_repo.replace_tags(conn, "01A", ["newtag"])
    for gone in ("old", "oldtag", "oldproject"):
        assert match_count(db, gone) == 0, gone
    for present in ("new", "newtag", "newproject", "title", "body"):
        assert match_count(db, present) == 1, present


def test_update_of_unindexed_columns_keeps_the_index(db: Database) -> None:
    add(db, "01A", "stable title")
    with db.write() as (conn, _):
        entries_repo.update_entry(conn, "01A", {"confidence": 5, "status": "deprecated"}, NOW)
        entries_repo.record_access(conn, "01A", NOW)
    assert match_count(db, "stable") == 1


def test_delete_removes_from_the_index(db: Database) -> None:
    add(db, "01A", "alpha entry")
    add(db, "01B", "beta entry")
    with db.write() as (conn, _):
        entries_repo.delete_entry(conn, "01A")
    assert match_count(db, "alpha") == 0
    assert match_count(db, "entry") == 1


def test_project_null_is_indexed_as_empty(db: Database) -> None:
    add(db, "01A", "no project", project=None)
    with db.write() as (conn, _):
        entries_repo.update_entry(conn, "01A", {"project": "later"}, NOW)
    assert match_count(db, "project:later") == 1
    with db.write() as (conn, _):
        entries_repo.update_entry(conn, "01A", {"project": None}, NOW)
    assert match_count(db, "project:later") == 0


def test_rebuild_gives_the_same_answers(db: Database) -> None:
    for n in range(20):
        add(db, f"01A{n:02d}", f"entry number {n}", "shared words" if n % 2 else "other")
    before = match_count(db, "shared")
    with db.write() as (conn, _):
        rebuild_fts(conn)
    assert match_count(db, "shared") == before == 10


def test_check_fts_detects_a_stale_index(db: Database) -> None:
    add(db, "01A", "indexed title")
    with db.write() as (conn, _):
        conn.execute("DROP TRIGGER entries_fts_update")
        conn.execute("UPDATE entries SET title = 'changed behind the index'")
    with pytest.raises(StorageError, match="corrupt"), db.read() as conn:
        check_fts(conn)


def test_keyword_search_ranks_title_matches_first_and_filters(db: Database) -> None:
    add(db, "01A", "timeout in the body only", "timeout", kind="til")
    add(db, "01B", "Connection timeout", "nothing else", kind="bug")
    add(db, "01C", "unrelated", "nothing", kind="bug")
    with db.read() as conn:
        hits = keyword_search(conn, '"timeout"', EntryFilter(status=None), 10)
        seqs = [hit.seq for hit in hits]
        assert seqs == [2, 1]
        assert all(hit.bm25 < 0 for hit in hits)
        only_bugs = keyword_search(conn, '"timeout"', EntryFilter(types=("bug",)), 10)
        assert [hit.seq for hit in only_bugs] == [2]
        assert keyword_search(conn, '"timeout"', EntryFilter(), 1)[0].seq == 2


# -- write generation ------------------------------------------------------------------------


def test_generation_increases_on_every_write_transaction(db: Database) -> None:
    seen = [db.generation()]
    for n in range(5):
        with db.write() as (_, generation):
            seen.append(generation)
        assert db.generation() == generation
        add(db, f"01A{n}", "t")
        seen.append(db.generation())
    assert seen == sorted(set(seen))
    assert seen == list(range(seen[0], seen[0] + 11))


def test_reads_do_not_change_the_generation(db: Database) -> None:
    add(db, "01A", "t")
    before = db.generation()
    with db.read() as conn:
        entries_repo.fetch_entry(conn, "01A")
    assert db.generation() == before


def test_failing_write_rolls_back_and_keeps_the_generation(db: Database) -> None:
    add(db, "01A", "kept")
    before = db.generation()
    with pytest.raises(RuntimeError), db.write() as (conn, generation):
        assert generation == before + 1
        entries_repo.insert_entry(conn, "01B", NewEntry("bug", "rolled back"), NOW)
        raise RuntimeError("fail after writing")
    assert db.generation() == before
    with db.read() as conn:
        assert [e.id for e in entries_repo.list_entries(conn, EntryFilter(status=None))] == ["01A"]
    assert match_count(db, "rolled") == 0


def test_constraint_violation_rolls_back_the_whole_transaction(db: Database) -> None:
    add(db, "01A", "first")
    before = db.generation()
    with pytest.raises(sqlite3.IntegrityError), db.write() as (conn, _):
        entries_repo.insert_entry(conn, "01B", NewEntry("bug", "second"), NOW)
        entries_repo.insert_entry(conn, "01A", NewEntry("bug", "duplicate id"), NOW)
    assert db.generation() == before
    assert match_count(db, "second") == 0


def test_generation_is_seen_by_another_connection(tmp_path: Path) -> None:
    first = open_database(tmp_path / "shared.db")
    second = open_database(tmp_path / "shared.db")
    try:
        start = second.generation()
        add(first, "01A", "written by the first process")
        assert second.generation() == start + 1
        with second.read() as conn:
            assert entries_repo.fetch_entry(conn, "01A").title == "written by the first process"
    finally:
        first.close()
        second.close()


def test_database_errors_become_storage_errors(db: Database) -> None:
    with pytest.raises(StorageError, match="database error"), db.read() as conn:
        conn.execute("SELECT * FROM no_such_table")


# -- id prefixes ------------------------------------------------------------------------------


@pytest.fixture
def prefixed(db: Database) -> Database:
    add(db, "01JD3KAAAAAAAAAAAAAAAAAAAA", "first")
    add(db, "01JD3KBBBBBBBBBBBBBBBBBBBB", "second")
    add(db, "01JF9QAAAAAAAAAAAAAAAAAAAA", "third")
    return db


def resolve(db: Database, text: str) -> str:
    with db.read() as conn:
        return entries_repo.resolve_id(conn, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01JF", "01JF9QAAAAAAAAAAAAAAAAAAAA"),
        ("01jf9q", "01JF9QAAAAAAAAAAAAAAAAAAAA"),
        ("o1jf", "01JF9QAAAAAAAAAAAAAAAAAAAA"),
        ("01JD3KA", "01JD3KAAAAAAAAAAAAAAAAAAAA"),
        ("01JD3KBBBBBBBBBBBBBBBBBBBB", "01JD3KBBBBBBBBBBBBBBBBBBBB"),
    ],
)
def test_unique_prefix_resolves(prefixed: Database, text: str, expected: str) -> None:
    assert resolve(prefixed, text) == expected


@pytest.mark.parametrize("text", ["0", "01", "01J", "01JD3K"])
def test_ambiguous_prefix_lists_the_candidates(prefixed: Database, text: str) -> None:
    with pytest.raises(AmbiguousIdError) as caught:
        resolve(prefixed, text)
    ids = [entry_id for entry_id, _ in caught.value.candidates]
    assert "01JD3KAAAAAAAAAAAAAAAAAAAA" in ids and "01JD3KBBBBBBBBBBBBBBBBBBBB" in ids
    message = str(caught.value)
    assert "01JD3KAAAAAAAAAAAAAAAAAAAA  first" in message
    assert "01JD3KBBBBBBBBBBBBBBBBBBBB  second" in message
    assert "type more characters" in message


def test_ambiguous_prefix_lists_at_most_ten(db: Database) -> None:
    for n in range(15):
        add(db, f"01ZZ{n:022d}", f"entry {n}")
    with pytest.raises(AmbiguousIdError) as caught:
        resolve(db, "01ZZ")
    assert len(caught.value.candidates) == 10


@pytest.mark.parametrize("text", ["01JE", "ZZZZ", "01JD3KC"])
def test_unknown_prefix_is_not_found(prefixed: Database, text: str) -> None:
    with pytest.raises(NotFoundError, match="rekall list"):
        resolve(prefixed, text)


@pytest.mark.parametrize(
    "text",
    ["", "  ", "not-an-id", "01JD3K!", "U", "01JD3KAAAAAAAAAAAAAAAAAAAAA"],  # 27 chars
)
def test_text_that_is_not_an_id_is_invalid_not_missing(prefixed: Database, text: str) -> None:
    with pytest.raises(ValidationError, match="not an entry id"):
        resolve(prefixed, text)


# -- links -----------------------------------------------------------------------------------


@pytest.fixture
def linked(db: Database) -> Database:
    for entry_id in ("01A", "01B", "01C", "01D"):
        add(db, entry_id, f"entry {entry_id}")
    return db


def link(db: Database, source: str, target: str, kind: str = "related") -> None:
    with db.write() as (conn, _):
        links_repo.add_link(conn, source, target, kind, None, NOW)


def test_self_link_is_refused(linked: Database) -> None:
    before = linked.generation()
    with pytest.raises(ValidationError, match="itself"):
        link(linked, "01A", "01A")
    assert linked.generation() == before


def test_duplicate_link_is_refused(linked: Database) -> None:
    link(linked, "01A", "01B")
    before = linked.generation()
    with pytest.raises(ValidationError, match="already linked"):
        link(linked, "01A", "01B")
    assert linked.generation() == before
    link(linked, "01A", "01B", "contradicts")  # another type is another link
    link(linked, "01B", "01A")  # and so is the other direction
    with linked.read() as conn:
        assert links_repo.count_links(conn) == 3


@pytest.mark.parametrize(("source", "target"), [("01A", "01NOPE"), ("01NOPE", "01A")])
def test_link_to_a_missing_entry_is_not_found(linked: Database, source: str, target: str) -> None:
    before = linked.generation()
    with pytest.raises(NotFoundError, match="no longer exists"):
        link(linked, source, target)
    assert linked.generation() == before


def test_deleting_an_entry_deletes_its_links_and_tags(linked: Database) -> None:
    with linked.write() as (conn, _):
        entries_repo.replace_tags(conn, "01A", ["x", "y"])
    link(linked, "01A", "01B")
    link(linked, "01C", "01A", "supersedes")
    link(linked, "01B", "01C")
    with linked.write() as (conn, _):
        entries_repo.delete_entry(conn, "01A")
    with linked.read() as conn:
        assert links_repo.count_links(conn) == 1
        assert links_repo.links_of(conn, "01A") == []
        assert conn.execute("SELECT count(*) FROM tags WHERE entry_id = '01A'").fetchone()[0] == 0


def test_deleting_the_replacement_clears_superseded_by(linked: Database) -> None:
    with linked.write() as (conn, _):
        entries_repo.update_entry(conn, "01A", {"superseded_by": "01B"}, NOW)
        entries_repo.delete_entry(conn, "01B")
        assert entries_repo.fetch_entry(conn, "01A").superseded_by is None


def test_unlink_removes_both_directions_or_one_type(linked: Database) -> None:
    link(linked, "01A", "01B")
    link(linked, "01B", "01A")
    link(linked, "01A", "01B", "contradicts")
    with linked.write() as (conn, _):
        assert links_repo.remove_link(conn, "01A", "01B", "contradicts") == 1
        assert links_repo.remove_link(conn, "01B", "01A", None) == 2
    with pytest.raises(NotFoundError), linked.write() as (conn, _):
        links_repo.remove_link(conn, "01A", "01B", None)


def related(db: Database, entry_id: str, depth: int) -> list[tuple[str, int]]:
    with db.read() as conn:
        return links_repo.related_ids(conn, entry_id, depth)


def test_related_follows_links_both_ways_up_to_depth(linked: Database) -> None:
    link(linked, "01A", "01B")
    link(linked, "01C", "01B", "supersedes")  # incoming to B
    link(linked, "01C", "01D")
    assert related(linked, "01A", 1) == [("01B", 1)]
    assert related(linked, "01A", 2) == [("01B", 1), ("01C", 2)]
    assert related(linked, "01A", 3) == [("01B", 1), ("01C", 2), ("01D", 3)]
    assert related(linked, "01A", 10) == related(linked, "01A", 3)
    assert related(linked, "01B", 1) == [("01A", 1), ("01C", 1)]


def test_related_handles_cycles(linked: Database) -> None:
    link(linked, "01A", "01B")
    link(linked, "01B", "01C")
    link(linked, "01C", "01A")
    found: Callable[[int], list[tuple[str, int]]] = lambda depth: related(linked, "01A", depth)  # noqa: E731
    assert sorted(found(5)) == [("01B", 1), ("01C", 1)]


def test_unlinked_entry_has_no_relations(linked: Database) -> None:
    assert related(linked, "01D", 3) == []


def test_each_area_is_its_module_imported_at_first_use(db: Database) -> None:
    from rekall.storage import (
        embeddings_repo,
        fts_repo,
        maintenance,
        merge_repo,
        review_repo,
        tokens_repo,
        transfer_repo,
    )
    from rekall.storage.repositories import AREAS, Repositories

    expected = [
        entries_repo,
        links_repo,
        fts_repo,
        embeddings_repo,
        review_repo,
        transfer_repo,
        maintenance,
        tokens_repo,
        merge_repo,
    ]
    repos = db.repos
    assert not set(AREAS) & set(vars(repos))  # nothing imported or kept before first use
    assert [getattr(repos, area) for area in AREAS] == expected
    assert [vars(repos)[area] for area in AREAS] == expected  # kept: found directly next time
    assert repos.vector_search is None
    with pytest.raises(ValueError, match="one module per area"):
        Repositories({"entries": "rekall.storage.entries_repo"})


def test_id_lists_go_to_sqlite_in_chunks_under_its_variable_limit(tmp_path: Path) -> None:
    from rekall.storage.rows import chunked, marks

    ids = [f"id{n}" for n in range(1_201)]
    chunks = list(chunked(ids))
    assert [len(chunk) for chunk in chunks] == [500, 500, 201]
    assert [item for chunk in chunks for item in chunk] == ids
    assert list(chunked([])) == []
    assert marks(["a", "b", "c"]) == "?,?,?"
    conn = sqlite3.connect(tmp_path / "ids.db")
    if hasattr(conn, "setlimit"):  # Python 3.11 on: as old SQLite builds allow
        conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    conn.execute("CREATE TABLE t (id TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in ids])
    found = [
        row[0]
        for chunk in chunked(ids)
        for row in conn.execute(f"SELECT id FROM t WHERE id IN ({marks(chunk)})", chunk)
    ]
    assert sorted(found) == sorted(ids)
    conn.close()
