"""Export and import: lossless round trips, strategies, dry runs, and malformed files refused."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rekall.core.errors import ValidationError
from rekall.service import Rekall

FIXTURE_DB = (
    Path(__file__).resolve().parents[1] / "fixtures" / "original-rekall-v0.3" / "knowledge.db"
)
A = "01HZZ0AAAAAAAAAAAAAAAAAAA1"
B = "01HZZ0AAAAAAAAAAAAAAAAAAA2"
C = "01HZZ0AAAAAAAAAAAAAAAAAAA3"
Fingerprint = Callable[[Path], str]


def entry(entry_id: str = A, **fields: Any) -> dict[str, Any]:
    """A valid export entry; fields override."""
    data: dict[str, Any] = {
        "id": entry_id,
        "type": "bug",
        "title": f"Entry {entry_id[-1]}",
        "content": "Some *Markdown* body.",
        "tags": ["alpha", "beta"],
        "created_at": "2025-01-01T10:00:00+00:00",
        "updated_at": "2025-01-02T10:00:00+00:00",
    }
    data.update(fields)
    return data


def link(source: str = A, target: str = B, **fields: Any) -> dict[str, Any]:
    data = {"source": source, "target": target, "type": "related", "reason": "why", **fields}
    return {"created_at": "2025-01-03T10:00:00+00:00", **data}


def document(
    entries: list[dict[str, Any]], links: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"format": "rekall-export", "version": 1, "entries": entries, "links": links or []}


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def rich(service: Rekall, tmp_path: Path) -> Rekall:
    """The service holding the earlier Rekall's base: context, memory fields, odd links."""
    source = tmp_path / "old" / "knowledge.db"
    source.parent.mkdir()
    shutil.copyfile(FIXTURE_DB, source)
    service.import_data(source, legacy=True)
    added = service.add("snippet", "Added here", "new text", ("fresh",), "webapp")
    service.link(added.id, "01M806GSYZBXNTDRE47CHAFT97", "related")
    return service


# -- round trips ---------------------------------------------------------------------------
def test_json_round_trip_is_identical(rich: Rekall, other: Rekall, tmp_path: Path) -> None:
    first = rich.export_json(vectors=False)
    data = json.loads(first)
    assert (data["format"], data["version"]) == ("rekall-export", 2)
    assert len(data["entries"]) == 36 and len(data["links"]) == 17
    assert "vector" not in first
    report = other.import_data(write_json(tmp_path / "export.json", data))
    assert (report.added, report.links_added) == (36, 17)
    assert other.export_json(vectors=False) == first


def test_markdown_round_trip_is_identical(rich: Rekall, other: Rekall, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    assert rich.export_markdown(folder) == 36
    files = sorted(folder.iterdir())
    assert len(files) == 36
    text = files[0].read_text("utf-8")
    assert text.startswith('---\nrekall_export: 1\nid: "01M806GS8RQW6E70WKKCNJP083"\n')
    assert 'title: "Hydration mismatch on price component"' in text
    assert text.endswith("```\n")  # the content, as is
    other.import_data(folder)
    assert other.export_json(vectors=False) == rich.export_json(vectors=False)


def test_export_to_a_file_writes_the_same_text(rich: Rekall, tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    assert rich.export_json(target) == target.read_text("utf-8")
    assert not list(tmp_path.glob("*.partial"))


def test_markdown_export_refuses_a_directory_with_files(rich: Rekall, tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("keep me")
    with pytest.raises(ValidationError, match="not an empty directory"):
        rich.export_markdown(tmp_path / "notes")
    assert [p.name for p in (tmp_path / "notes").iterdir()] == ["mine.txt"]


def test_imported_entries_are_embedded_in_batches_with_progress(
    service: Rekall, tmp_path: Path
) -> None:
    entries = [entry(f"01HZZ1{n:020d}", title=f"Entry number {n}") for n in range(70)]
    calls: list[tuple[int, int]] = []
    report = service.import_data(
        write_json(tmp_path / "many.json", document(entries)),
        progress=lambda d, t: calls.append((d, t)),
    )
    assert (report.added, report.embedded) == (70, 70)
    assert calls == [(64, 70), (70, 70)]
    assert service.stats()["entries_without_vector"] == 0
    hits = service.search("Entry number 42", mode="semantic", limit=3).results
    assert hits[0].entry.title == "Entry number 42"


def test_timestamps_counters_and_null_reason_are_kept(service: Rekall, tmp_path: Path) -> None:
    data = document(
        [entry(A, access_count=7, last_accessed="2025-02-01T00:00:00"), entry(B)],
        [link(A, B, reason=None)],
    )
    service.import_data(write_json(tmp_path / "in.json", data))
    got = service.get(A, record_access=False)
    assert (got.created_at, got.updated_at, got.access_count, got.last_accessed) == (
        "2025-01-01T10:00:00+00:00",
        "2025-01-02T10:00:00+00:00",
        7,
        "2025-02-01T00:00:00",
    )
    [only] = service.links(A)
    assert (only.source_id, only.target_id, only.reason) == (A, B, None)


# -- strategies ----------------------------------------------------------------------------
@pytest.fixture
def base(service: Rekall, tmp_path: Path) -> Rekall:
    """A base holding A (linked to B) and B, as imported from a file."""
    data = document(
        [entry(A, access_count=5), entry(B, tags=["gamma"])],
        [link(A, B)],
    )
    service.import_data(write_json(tmp_path / "base.json", data))
    return service


def incoming(tmp_path: Path, updated_at: str) -> Path:
    """A file changing A (title, tags, a new link to C) and adding C."""
    data = document(
        [
            entry(A, title="Changed title", tags=["delta"], updated_at=updated_at, access_count=1),
            entry(C, title="Brand new"),
        ],
        [link(A, C, type="derived_from")],
    )
    return write_json(tmp_path / "incoming.json", data)


def links_of(service: Rekall, entry_id: str) -> set[tuple[str, str, str]]:
    return {
        (x.source_id, x.target_id, x.type)
        for x in service.links(entry_id)
        if x.source_id == entry_id
    }


def test_skip_keeps_existing_entries_and_their_links(base: Rekall, tmp_path: Path) -> None:
    report = base.import_data(incoming(tmp_path, "2030-01-01T00:00:00+00:00"), "skip")
    assert (report.added, report.skipped, report.links_added) == (1, 1, 0)
    a = base.get(A, record_access=False)
    assert (a.title, a.tags) == ("Entry 1", ("alpha", "beta"))
    assert links_of(base, A) == {(A, B, "related")}


def test_replace_makes_entries_equal_to_the_file(base: Rekall, tmp_path: Path) -> None:
    report = base.import_data(incoming(tmp_path, "2020-01-01T00:00:00+00:00"), "replace")
    assert (report.added, report.replaced, report.links_added, report.links_removed) == (1, 1, 1, 1)
    a = base.get(A, record_access=False)
    assert (a.title, a.tags, a.access_count) == ("Changed title", ("delta",), 1)
    assert links_of(base, A) == {(A, C, "derived_from")}
    # The text changed, so the vector was recomputed, never left stale.
    assert base.check().healthy
    assert base.search("Changed title", mode="semantic", limit=1).results[0].entry.id == A


@pytest.mark.parametrize(
    ("updated_at", "title"),
    [("2030-01-01T00:00:00+00:00", "Changed title"), ("2020-01-01T00:00:00", "Entry 1")],
    ids=["file-newer", "base-newer"],
)
def test_merge_unites_tags_and_links_and_newer_fields_win(
    base: Rekall, tmp_path: Path, updated_at: str, title: str
) -> None:
    report = base.import_data(incoming(tmp_path, updated_at), "merge")
    assert (report.added, report.merged, report.links_added, report.links_removed) == (1, 1, 1, 0)
    a = base.get(A, record_access=False)
    assert a.title == title
    assert a.tags == ("alpha", "beta", "delta")
    assert a.access_count == 5  # the larger count of both sides
    assert links_of(base, A) == {(A, B, "related"), (A, C, "derived_from")}
    assert base.check().healthy


@pytest.mark.parametrize("strategy", ["skip", "replace", "merge"])
def test_dry_run_reports_the_same_and_writes_nothing(
    base: Rekall, db_file: Path, db_fingerprint: Fingerprint, tmp_path: Path, strategy: str
) -> None:
    path = incoming(tmp_path, "2030-01-01T00:00:00+00:00")
    before = db_fingerprint(db_file)
    dry = base.import_data(path, strategy, dry_run=True)
    assert db_fingerprint(db_file) == before
    real = base.import_data(path, strategy)
    keys = ("added", "replaced", "merged", "skipped", "unchanged", "links_added", "links_removed")
    assert {k: getattr(dry, k) for k in keys} == {k: getattr(real, k) for k in keys}
    assert dry.dry_run and not real.dry_run


def test_an_unknown_strategy_is_refused(base: Rekall, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="unknown strategy 'newest'"):
        base.import_data(incoming(tmp_path, "2030-01-01T00:00:00"), "newest")


# -- malformed files -----------------------------------------------------------------------
GOOD = document([entry(A), entry(B)], [link(A, B)])


def with_entry(**fields: Any) -> dict[str, Any]:
    return document([entry(A), entry(B, **fields)])


def without(name: str) -> dict[str, Any]:
    broken = entry(B)
    del broken[name]
    return document([entry(A), broken])


def raw(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


MALFORMED: list[tuple[str, bytes, str]] = [
    ("truncated-json", raw(GOOD)[:-20], "not valid JSON"),
    ("not-json", b"id,title\n1,CORS\n", "not valid JSON"),
    ("empty-file", b"", "not valid JSON"),
    ("a-list", b"[]", "expected a JSON object"),
    ("unknown-format", raw({**GOOD, "format": "notes"}), 'unknown format "notes"'),
    ("no-format", raw({"version": 1, "entries": []}), "unknown format null"),
    ("newer-version", raw({**GOOD, "version": 3}), "version 3 is not supported"),
    ("vectors-in-v1", raw({**GOOD, "vectors": {}}), "unknown top-level field(s) vectors"),
    ("version-text", raw({**GOOD, "version": "1"}), '"version" must be a whole number'),
    ("unknown-top-level", raw({**GOOD, "extra": 1}), "unknown top-level field"),
    ("entries-not-list", raw({**GOOD, "entries": {}}), '"entries" must be a list'),
    ("entry-not-object", raw(document([entry(A), "B"])), "entry 2: an entry must be an object"),
    ("missing-title", raw(without("title")), "missing field(s) title"),
    ("missing-created", raw(without("created_at")), "missing field(s) created_at"),
    ("unknown-field", raw(with_entry(titel="x")), "unknown field(s) titel"),
    ("title-number", raw(with_entry(title=42)), "field 'title': must be a string"),
    ("confidence-text", raw(with_entry(confidence="high")), "must be a whole number"),
    ("confidence-bool", raw(with_entry(confidence=True)), "must be a whole number"),
    ("confidence-range", raw(with_entry(confidence=9)), "9 is out of range"),
    ("tags-string", raw(with_entry(tags="a,b")), "field 'tags': must be a list"),
    ("too-many-tags", raw(with_entry(tags=[f"t{n}" for n in range(51)])), "the limit is 50"),
    ("bad-type", raw(with_entry(type="novel")), "unknown entry type 'novel'"),
    ("bad-status", raw(with_entry(status="gone")), "unknown status 'gone'"),
    ("bad-id", raw(with_entry(id="not-an-id")), "is not an entry id"),
    ("bad-date", raw(with_entry(updated_at="yesterday")), "not an ISO-8601 date"),
    ("nan-score", raw(GOOD).replace(b'"tags"', b'"ease_factor": NaN, "tags"', 1), "NaN"),
    ("float-count", raw(with_entry(access_count=1.5)), "must be a whole number"),
    ("context-list", raw(with_entry(context=[])), "field 'context': must be an object"),
    ("nul-escaped", raw(with_entry(title="a\u0000b")), "contains a NUL character"),
    ("nul-byte", raw(GOOD).replace(b"Some", b"So\x00me", 1), "NUL byte at offset"),
    ("latin-1", raw(GOOD).replace(b"Some", "Sôme".encode("latin-1"), 1), "not valid UTF-8"),
    ("lone-surrogate", raw(GOOD).replace(b"Some", b"\\ud800Some", 1), "not valid UTF-8 text"),
    ("huge-content", raw(with_entry(content="x" * 1_000_001)), "the limit is 1,000,000 bytes"),
    ("huge-title", raw(with_entry(title="t" * 301)), "the limit is 300 characters"),
    ("blank-title", raw(with_entry(title="   ")), "field 'title': is empty"),
    ("duplicate-id", raw(document([entry(A), entry(A)])), "appears more than once"),
    ("self-link", raw(document([entry(A)], [link(A, A)])), "cannot point from an entry to itself"),
    ("bad-link-type", raw({**GOOD, "links": [link(type="likes")]}), "unknown link type 'likes'"),
    ("dangling-link", raw(document([entry(A)], [link(A, C)])), "neither in the file nor"),
    ("dangling-supersede", raw(with_entry(superseded_by=C)), "neither in the file nor"),
    (
        "surrogate-key",
        b'{"format": "rekall-export", "version": 1, "entries": [{"id": "A\\ud800", '
        b'"t\\udc00": 1}]}',
        "(id A\\ud800): unknown field(s) t\\udc00",
    ),
    ("deep-nesting", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
]


@pytest.mark.parametrize(
    ("content", "message"),
    [(content, message) for _, content, message in MALFORMED],
    ids=[name for name, _, _ in MALFORMED],
)
def test_a_malformed_file_is_refused_and_nothing_changes(
    base: Rekall,
    db_file: Path,
    db_fingerprint: Fingerprint,
    tmp_path: Path,
    content: bytes,
    message: str,
) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    before = db_fingerprint(db_file)
    with pytest.raises(ValidationError) as caught:
        base.import_data(path, "replace")
    assert str(path) in str(caught.value)
    assert message in str(caught.value)
    assert db_fingerprint(db_file) == before


MARKDOWN_BROKEN = [
    ("no-front-matter", "# Just a note\n", "no front matter"),
    ("unclosed", '---\nrekall_export: 1\nid: "x"\n', "not closed"),
    ("no-marker", '---\nid: "01HZZ0AAAAAAAAAAAAAAAAAAA1"\n---\n\nbody', "rekall_export: 1"),
    ("bad-value", "---\nrekall_export: 1\ntitle: unquoted text\n---\n\nbody", "line 3 ('title')"),
    ("no-colon", "---\nrekall_export: 1\njust words\n---\n\nbody", "line 3: expected 'key: value'"),
]


@pytest.mark.parametrize(
    ("text", "message"),
    [(text, message) for _, text, message in MARKDOWN_BROKEN],
    ids=[name for name, _, _ in MARKDOWN_BROKEN],
)
def test_a_malformed_markdown_file_names_the_file(
    base: Rekall,
    db_file: Path,
    db_fingerprint: Fingerprint,
    tmp_path: Path,
    text: str,
    message: str,
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    base.export_markdown(tmp_path / "good")
    for good in (tmp_path / "good").iterdir():
        shutil.copyfile(good, folder / good.name)
    bad = folder / "zz-broken.md"
    bad.write_text(text, encoding="utf-8")
    before = db_fingerprint(db_file)
    with pytest.raises(ValidationError) as caught:
        base.import_data(folder, "replace")
    assert str(bad) in str(caught.value) and message in str(caught.value)
    assert db_fingerprint(db_file) == before


def test_a_missing_path_or_empty_directory_is_refused(base: Rekall, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no such file or directory"):
        base.import_data(tmp_path / "missing.json")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValidationError, match="no .md files"):
        base.import_data(tmp_path / "empty")
