"""Importing a database of the earlier Rekall 0.3: every field, link and vector arrives."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rekall.core.entries import EntryFilter
from rekall.core.errors import ValidationError
from rekall.core.records import EntryRecord, LinkRecord
from rekall.search.model_files import MODEL_ID
from rekall.service import Rekall
from rekall.service.legacy_import import LEGACY_MODEL_ID
from rekall.service.transfer import ImportReport, read_document

FIXTURE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "original-rekall-v0.3"
EXPECTED: dict[str, Any] = json.loads((FIXTURE_DIR / "expected.json").read_text("utf-8"))
EXPECTED_ENTRIES = EXPECTED["entries"]
PRISMA = "01M806GSQK8MR2J8B621BYCG05"  # obsolete, superseded, no summary vector in the source
# Fields whose name and meaning are the same in both versions.
SAME_FIELDS = (
    "id",
    "type",
    "title",
    "content",
    "project",
    "confidence",
    "superseded_by",
    "created_at",
    "updated_at",
    "memory_type",
    "access_count",
    "last_accessed",
    "consolidation_score",
    "next_review",
    "review_interval",
    "ease_factor",
    "centrality_score",
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_fixture(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "knowledge.db"
    shutil.copyfile(FIXTURE_DIR / "knowledge.db", target)
    return target


@dataclass
class Imported:
    """The result of importing the fixture once, shared by the tests of this module."""

    report: ImportReport
    records: dict[str, EntryRecord]
    links: list[LinkRecord]
    vectors: dict[str, tuple[str, str, str]]  # id → (model, sha256, content hash)
    context_vectors: dict[str, tuple[str, str]]  # id → (model, sha256)
    source_before: tuple[str, list[str]]
    source_after: tuple[str, list[str]]
    service: Rekall


def source_state(path: Path) -> tuple[str, list[str]]:
    return sha256(path), sorted(p.name for p in path.parent.iterdir())


def read_vectors(service: Rekall) -> tuple[dict[str, Any], dict[str, Any]]:
    with service.db.read() as conn:
        summary = {
            row[0]: (row[1], hashlib.sha256(row[2]).hexdigest(), row[3])
            for row in conn.execute(
                "SELECT e.id, v.model_id, v.vector, v.content_hash FROM embeddings v "
                "JOIN entries e ON e.seq = v.entry_seq"
            )
        }
        context = {
            row[0]: (row[1], hashlib.sha256(row[2]).hexdigest())
            for row in conn.execute("SELECT entry_id, model_id, vector FROM context_vectors")
        }
    return summary, context


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Imported]:
    """The fixture imported into a fresh base, in its own directories."""
    root = tmp_path_factory.mktemp("legacy")
    with pytest.MonkeyPatch.context() as patch:
        for name, sub in (("REKALL_HOME", "data"), ("REKALL_CACHE_DIR", "cache"), ("HOME", "home")):
            patch.setenv(name, str(root / sub))
        patch.setenv("REKALL_CONFIG", str(root / "config.toml"))
        patch.setenv("HF_HUB_OFFLINE", "1")
        source = copy_fixture(root / "old")
        before = source_state(source)
        service = Rekall()
        report = service.import_data(source, legacy=True)
        document = read_document(service.db)
        summary, context = read_vectors(service)
        yield Imported(
            report,
            {record.id: record for record in document.entries},
            list(document.links),
            summary,
            context,
            before,
            source_state(source),
            service,
        )
        service.close()


def test_the_source_database_is_never_changed(imported: Imported) -> None:
    assert imported.source_after == imported.source_before
    assert imported.source_after[1] == ["knowledge.db"]  # no -wal or -shm left behind


def test_the_report_counts_what_arrived(imported: Imported) -> None:
    report = imported.report
    assert (report.added, report.skipped, report.replaced, report.merged) == (35, 0, 0, 0)
    assert report.links_added == EXPECTED["counts"]["links"] == 16
    assert report.vectors_reused == 34
    assert report.embedded == 1
    assert report.context_vectors == 8
    assert report.without_vector == 0


def test_counts_match_the_ground_truth(imported: Imported) -> None:
    counts = EXPECTED["counts"]
    records = imported.records.values()
    assert len(imported.records) == counts["entries"]
    assert sum(len(r.tags) for r in records) == counts["tag_rows"]
    assert len({t for r in records for t in r.tags}) == counts["distinct_tags"]
    assert sum(1 for r in records if r.project is None) == counts["entries_without_project"]
    assert sorted({r.project for r in records if r.project}) == counts["projects"]
    with_context = [r.context for r in records if r.context]
    assert sum(1 for c in with_context if c.structured) == counts["entries_with_structured_context"]
    assert sum(1 for c in with_context if c.legacy_text) == counts["entries_with_context_text"]
    assert sum(len(c.keywords) for c in with_context) == counts["context_keyword_rows"]
    assert sum(1 for r in records if r.status == "deprecated") == 2


@pytest.mark.parametrize("expected", EXPECTED_ENTRIES, ids=[e["id"] for e in EXPECTED_ENTRIES])
def test_every_entry_arrives_field_by_field(imported: Imported, expected: dict[str, Any]) -> None:
    record = imported.records[expected["id"]]
    for name in SAME_FIELDS:
        assert getattr(record, name) == expected[name], name
    assert list(record.tags) == expected["tags"]
    assert record.status == {"obsolete": "deprecated"}.get(expected["status"], expected["status"])
    context = record.context
    assert (context.structured if context else None) == expected["structured_context"]
    assert list(context.keywords if context else []) == expected["context_keywords"]
    assert (context.legacy_text if context else None) == expected["context_text"]


def test_every_link_keeps_direction_type_reason_and_date(imported: Imported) -> None:
    expected = {
        (link["source"], link["target"], link["type"], link["reason"], link["created_at"])
        for link in EXPECTED["links"]
    }
    got = {(x.source, x.target, x.type, x.reason, x.created_at) for x in imported.links}
    assert got == expected
    assert sum(1 for link in imported.links if link.reason is None) == 1


def test_vectors_of_the_same_model_are_carried_byte_for_byte(imported: Imported) -> None:
    assert EXPECTED["embeddings"]["model_name"] == MODEL_ID
    rows = EXPECTED["embeddings"]["rows"]
    for row in rows:
        if row["embedding_type"] == "summary":
            model, digest, _ = imported.vectors[row["entry_id"]]
        else:
            model, digest = imported.context_vectors[row["entry_id"]]
        assert (model, digest) == (LEGACY_MODEL_ID, row["vector_sha256"]), row["entry_id"]
    assert len(imported.context_vectors) == sum(r["embedding_type"] == "context" for r in rows)


def test_vectors_from_0_3_are_kept_apart_and_the_report_says_how_to_replace_them(
    imported: Imported,
) -> None:
    """0.3 embedded slightly different text: its vectors are never taken for current ones."""
    assert any(
        "34 vectors from Rekall 0.3" in notice and "rekall index rebuild" in notice
        for notice in imported.report.notices
    ), imported.report.notices
    vectors = next(f for f in imported.service.check().findings if f.name == "vectors")
    assert "34 have a vector of another model or other weights" in vectors.detail


def test_an_index_rebuild_replaces_the_vectors_from_0_3(service: Rekall, tmp_path: Path) -> None:
    service.import_data(copy_fixture(tmp_path / "old"), legacy=True)
    assert not service.check().healthy
    assert service.rebuild_index().embedded == 34
    assert service.check().healthy
    assert service.stats()["vectors"] == 35


def test_the_entry_without_a_stored_vector_is_embedded(imported: Imported) -> None:
    assert PRISMA not in EXPECTED["embeddings"]["entry_ids_with_summary"]
    model, _, _ = imported.vectors[PRISMA]
    assert model == MODEL_ID
    response = imported.service.search(
        "Prisma type-safe queries and migrations",
        mode="semantic",
        filters=EntryFilter(status=None),
        limit=3,
    )
    assert PRISMA in [result.entry.id for result in response.results]


def test_importing_again_changes_nothing(
    imported: Imported, db_fingerprint: Callable[[Path], str], tmp_path: Path
) -> None:
    source = copy_fixture(tmp_path / "again")
    before = db_fingerprint(imported.service.db.path)
    for strategy in ("skip", "replace", "merge"):
        report = imported.service.import_data(source, strategy=strategy, legacy=True)
        assert report.added == 0
        assert report.embedded == 0
        assert report.links_added == report.links_removed == 0
        assert report.skipped + report.unchanged == 35
    assert db_fingerprint(imported.service.db.path) == before


def test_dry_run_reports_and_writes_nothing(
    service: Rekall, db_file: Path, db_fingerprint: Callable[[Path], str], tmp_path: Path
) -> None:
    source = copy_fixture(tmp_path / "old")
    before = db_fingerprint(db_file)
    report = service.import_data(source, dry_run=True, legacy=True)
    assert (report.added, report.links_added, report.vectors_reused, report.embedded) == (
        35,
        16,
        34,
        1,
    )
    assert db_fingerprint(db_file) == before


def test_vectors_of_another_model_are_recomputed_not_dropped(
    service: Rekall, tmp_path: Path
) -> None:
    source = copy_fixture(tmp_path / "old")
    conn = sqlite3.connect(source)
    conn.execute("UPDATE embeddings SET model_name = 'some-org/another-model'")
    conn.commit()
    conn.close()
    report = service.import_data(source, legacy=True)
    assert (report.vectors_reused, report.embedded, report.context_vectors) == (0, 35, 0)
    assert "another model" in report.notices[0]
    assert service.stats()["entries_without_vector"] == 0


def test_data_still_in_the_wal_is_read_from_a_private_copy(service: Rekall, tmp_path: Path) -> None:
    source = copy_fixture(tmp_path / "old")
    writer = sqlite3.connect(source)
    try:
        writer.execute("PRAGMA journal_mode = WAL")
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        writer.execute("UPDATE entries SET title = 'Only in the WAL' WHERE id = ?", (PRISMA,))
        writer.commit()
        assert source.with_name("knowledge.db-wal").stat().st_size > 0
        before = sha256(source), sha256(source.with_name("knowledge.db-wal"))
        service.import_data(source, legacy=True)
        after = sha256(source), sha256(source.with_name("knowledge.db-wal"))
    finally:
        writer.close()
    assert after == before
    assert service.get(PRISMA, record_access=False).title == "Only in the WAL"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a database of the earlier Rekall"),
        (b"not a database at all" * 100, "not a readable SQLite database"),
    ],
)
def test_a_file_that_is_not_an_old_database_is_refused(
    service: Rekall, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "knowledge.db"
    path.write_bytes(content)
    with pytest.raises(ValidationError, match=message):
        service.import_data(path, legacy=True)
    assert path.read_bytes() == content


def test_a_missing_file_is_refused(service: Rekall, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no such database file"):
        service.import_data(tmp_path / "nothing.db", legacy=True)


# -- the first-run offer -------------------------------------------------------------------
@pytest.fixture
def old_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home directory where the earlier Rekall left its database."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    return copy_fixture(home / ".rekall")


def test_an_empty_base_offers_the_import_once(old_home: Path) -> None:
    told: list[str] = []
    for _ in range(2):
        Rekall(notify=told.append).close()
    assert len(told) == 1
    assert "\n" not in told[0]
    assert f"rekall import --from-db {old_home}" in told[0]
    assert sha256(old_home) == sha256(FIXTURE_DIR / "knowledge.db")


def test_the_offer_is_also_found_in_the_platform_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "empty-home"))
    from rekall.service.legacy_offer import legacy_locations

    platform_dir = legacy_locations()[-1].parent
    old = copy_fixture(platform_dir)
    told: list[str] = []
    Rekall(notify=told.append).close()
    assert told and str(old) in told[0]


def test_a_base_with_entries_or_no_old_database_gets_no_offer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    told: list[str] = []
    Rekall(notify=told.append).close()
    assert told == []
    service = Rekall()
    service.add("til", "already in use")
    service.close()
    copy_fixture(tmp_path / "home" / ".rekall")
    Rekall(notify=told.append).close()
    assert told == []
