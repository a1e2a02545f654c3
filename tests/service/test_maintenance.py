"""Backup under concurrent writes, restore with validation, and check/repair of derived data."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from rekall.core.errors import ValidationError
from rekall.search.model_files import MODEL_ID
from rekall.service import Rekall
from rekall.storage.database import open_database
from rekall.storage.fts_repo import check_fts
from rekall.storage.migrations import schema_version
from rekall.storage.schema import SCHEMA_VERSION
from tests.service.conftest import fill

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
Fingerprint = Callable[[Path], str]
Dump = Callable[[Path], Sequence[str]]


def titles(path: Path) -> list[str]:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return sorted(row[0] for row in conn.execute("SELECT title FROM entries"))
    finally:
        conn.close()


def raw_sql(path: Path, *statements: str, foreign_keys: bool = True) -> None:
    """Change the database behind Rekall's back, as a bug or another tool might."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


# -- backup --------------------------------------------------------------------------------
def test_backup_goes_beside_the_database_with_a_timestamp(
    service: Rekall, filled: dict[str, str], db_file: Path
) -> None:
    first = service.backup()
    second = service.backup()
    assert first.parent == second.parent == db_file.parent
    assert first.name.startswith("rekall-backup-") and first.suffix == ".db"
    assert first != second
    assert titles(first) == titles(db_file)
    assert not first.with_name(first.name + "-wal").exists()  # self-contained
    conn = sqlite3.connect(first)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_backup_to_a_directory_or_file_and_never_over_a_file(
    service: Rekall, filled: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    in_folder = service.backup(folder)
    assert in_folder.parent == folder
    named = service.backup(tmp_path / "deep" / "named.db")
    assert named.exists()
    with pytest.raises(ValidationError, match="already exists"):
        service.backup(named)


def test_backup_is_consistent_while_another_connection_writes(
    service: Rekall, db_file: Path
) -> None:
    fill(service)
    writer = open_database(db_file)
    stop = threading.Event()
    written: list[int] = []

    def write_forever() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            with writer.write() as (conn, _):
                conn.execute(
                    "INSERT INTO entries (id, type, title, content, tags_text, created_at, "
                    "updated_at) VALUES (?, 'til', ?, ?, 'bulk', 'now', 'now')",
                    (f"01HZZ9{n:020d}", f"written {n}", "x" * 2000),
                )
                conn.execute(
                    "INSERT INTO tags (entry_id, tag) VALUES (?, 'bulk')", (f"01HZZ9{n:020d}",)
                )
            written.append(n)

    thread = threading.Thread(target=write_forever)
    thread.start()
    try:
        while len(written) < 50:
            stop.wait(0.01)
        copies = [service.backup() for _ in range(3)]
    finally:
        stop.set()
        thread.join()
        writer.close()
    for copy in copies:
        entries, tags = consistent_counts(copy)
        assert entries - 6 == tags  # each written entry arrived with its tag, or neither did
        assert 50 <= tags <= len(written)


def consistent_counts(copy: Path) -> tuple[int, int]:
    """Entry and 'bulk' tag counts of a copy that must open, pass every check, and agree."""
    db = open_database(copy)
    try:
        with db.read() as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            check_fts(conn)
            entries = conn.execute("SELECT count(*) FROM entries").fetchone()[0]
            tags = conn.execute("SELECT count(*) FROM tags WHERE tag = 'bulk'").fetchone()[0]
    finally:
        db.close()
    return int(entries), int(tags)


# -- restore -------------------------------------------------------------------------------
def test_restore_brings_the_backup_back_and_keeps_what_it_replaced(
    service: Rekall, filled: dict[str, str], db_file: Path
) -> None:
    saved = service.backup()
    service.add("til", "written after the backup")
    service.delete(filled["CORS fails on Safari"])
    before_restore = titles(db_file)
    report = service.restore(saved)
    assert titles(db_file) == titles(saved)
    assert report.entries == 6
    assert report.kept_copy.parent == db_file.parent
    assert "before-restore" in report.kept_copy.name
    assert titles(report.kept_copy) == before_restore
    assert service.check().healthy
    hits = service.search("Safari cookies cross-site", mode="semantic", limit=1).results
    assert hits[0].entry.title == "CORS fails on Safari"


def test_a_restore_is_seen_by_another_long_lived_process(
    service: Rekall, filled: dict[str, str], long_lived: Rekall
) -> None:
    saved = service.backup()
    late = service.add("til", "Kubernetes pod eviction order", "QoS classes decide.")
    assert (
        long_lived.search("pod eviction", mode="semantic", limit=1).results[0].entry.id == late.id
    )
    service.restore(saved)
    found = [r.entry.id for r in long_lived.search("pod eviction", mode="semantic").results]
    assert late.id not in found  # no stale vector served after the restore
    assert len(found) == 6


def test_restore_upgrades_an_older_rekall_schema(service: Rekall, tmp_path: Path) -> None:
    old = tmp_path / "rekall-v1.db"
    shutil.copyfile(FIXTURES / "schema_v1" / "rekall-v1.db", old)
    report = service.restore(old)
    assert report.schema_version == 1
    with service.db.read() as conn:
        assert schema_version(conn) == SCHEMA_VERSION
    assert service.get("01HZZ0AAAAAAAAAAAAAAAAAAA1").title == "CORS fails on Safari"
    assert titles(old) == titles(FIXTURES / "schema_v1" / "rekall-v1.db")  # source untouched


def make_foreign(path: Path) -> None:
    raw_sql(path, "CREATE TABLE notes (body TEXT)", "INSERT INTO notes VALUES ('hi')")


def make_newer(path: Path) -> None:
    db = open_database(path)
    db.close()
    raw_sql(path, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")


def make_corrupt(path: Path) -> None:
    db = open_database(path)
    with db.write() as (conn, _):
        for n in range(300):
            conn.execute(
                "INSERT INTO entries (id, type, title, content, created_at, updated_at) "
                "VALUES (?, 'til', ?, ?, 'now', 'now')",
                (f"01HZZ8{n:020d}", f"entry {n}", "y" * 500),
            )
    db.close()
    data = bytearray(path.read_bytes())
    data[4096 * 3 : 4096 * 3 + 200] = os.urandom(200)  # scribble over a b-tree page
    path.write_bytes(bytes(data))


def make_legacy(path: Path) -> None:
    shutil.copyfile(FIXTURES / "original-rekall-v0.3" / "knowledge.db", path)


BAD_BACKUPS: list[tuple[str, Callable[[Path], None], str]] = [
    ("missing", lambda path: None, "no such backup file"),
    ("text", lambda path: path.write_text("just some notes"), "not an SQLite database"),
    ("empty", lambda path: path.write_bytes(b""), "not an SQLite database"),
    ("foreign-sqlite", make_foreign, "is not a Rekall database"),
    ("newer-schema", make_newer, "newer than this Rekall"),
    ("corrupt", make_corrupt, "failed SQLite's integrity check"),
    ("rekall-0.3", make_legacy, "rekall import --from-db"),
]


@pytest.mark.parametrize(
    ("make", "message"),
    [(make, message) for _, make, message in BAD_BACKUPS],
    ids=[name for name, _, _ in BAD_BACKUPS],
)
def test_a_bad_backup_is_refused_and_nothing_changes(
    service: Rekall,
    filled: dict[str, str],
    db_file: Path,
    db_fingerprint: Fingerprint,
    tmp_path: Path,
    make: Callable[[Path], None],
    message: str,
) -> None:
    candidate = tmp_path / "candidate.db"
    make(candidate)
    before = db_fingerprint(db_file)
    listing = sorted(p.name for p in db_file.parent.iterdir())
    with pytest.raises(ValidationError) as caught:
        service.restore(candidate)
    assert str(candidate) in str(caught.value)
    assert message in str(caught.value)
    assert db_fingerprint(db_file) == before
    assert sorted(p.name for p in db_file.parent.iterdir()) == listing  # no copy, no temp files


# -- check and repair ----------------------------------------------------------------------
def findings(service: Rekall) -> dict[str, bool]:
    return {finding.name: finding.ok for finding in service.check().findings}


def entries_dump(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT * FROM entries ORDER BY seq").fetchall()
        tags = conn.execute("SELECT * FROM tags ORDER BY 1, 2").fetchall()
        links = conn.execute("SELECT * FROM links ORDER BY 1, 2, 3").fetchall()
        return [*rows, *tags, *links]
    finally:
        conn.close()


def test_a_healthy_base_passes_every_check(service: Rekall, filled: dict[str, str]) -> None:
    report = service.check()
    assert report.healthy
    assert [f.name for f in report.findings] == [
        "integrity",
        "keyword index",
        "vectors",
        "links",
        "superseded_by",
        "body pieces",
    ]


FTS_DAMAGE = {
    "ghost-row": [
        "INSERT INTO entries_fts (rowid, title, content, tags_text, project) "
        "VALUES (9999, 'ghost', 'phantom words', '', '')"
    ],
    "missing-row": [
        "INSERT INTO entries_fts (entries_fts, rowid, title, content, tags_text, project) "
        "SELECT 'delete', seq, title, content, tags_text, coalesce(project, '') FROM entries "
        "WHERE seq = 1"
    ],
    "shadow-table": ["DELETE FROM entries_fts_docsize WHERE id = 2"],
}


@pytest.mark.parametrize("damage", FTS_DAMAGE.values(), ids=FTS_DAMAGE.keys())
def test_repair_rebuilds_a_damaged_keyword_index(
    service: Rekall, filled: dict[str, str], db_file: Path, damage: list[str]
) -> None:
    raw_sql(db_file, *damage)
    assert findings(service)["keyword index"] is False
    entries = entries_dump(db_file)
    report = service.check(repair=True)
    assert report.healthy, report.findings
    assert "rebuilt the keyword index from the entries" in report.repairs
    assert entries_dump(db_file) == entries
    assert service.search("Safari", mode="keyword").results[0].entry.title == "CORS fails on Safari"


def test_repair_re_embeds_missing_and_stale_vectors(
    service: Rekall, filled: dict[str, str], db_file: Path
) -> None:
    cors, nohup = filled["CORS fails on Safari"], filled["nohup keeps a job alive after logout"]
    raw_sql(
        db_file,
        f"DELETE FROM embeddings WHERE entry_seq = (SELECT seq FROM entries WHERE id = '{cors}')",
        "UPDATE entries SET content = 'Kubernetes liveness probes restart stuck pods' "
        f"WHERE id = '{nohup}'",
    )
    report = service.check()
    vectors = next(f for f in report.findings if f.name == "vectors")
    assert not vectors.ok
    assert "1 entries have no vector, 1 have a stale vector" in vectors.detail
    progress: list[tuple[int, int]] = []
    repaired = service.check(repair=True, progress=lambda d, t: progress.append((d, t)))
    assert repaired.healthy
    assert "re-embedded 2 entries; rebuilt the vector index" in repaired.repairs
    assert progress[-1] == (2, 2)
    hits = service.search("liveness probes restart pods", mode="semantic", limit=1).results
    assert hits[0].entry.id == nohup


def test_repair_rewrites_the_vector_snapshot(
    service: Rekall, filled: dict[str, str], db_file: Path
) -> None:
    service.search("anything", mode="semantic")
    stamp = db_file.parent / "index" / "vectors.snapshot.json"
    assert stamp.exists()
    stamp.write_text(json.dumps({"generation": 10**9}))  # a snapshot nobody should trust
    service.check(repair=True)
    assert json.loads(stamp.read_text())["generation"] == service.db.generation()
    assert json.loads(stamp.read_text())["model_id"].startswith(MODEL_ID)


def test_broken_links_and_superseded_by_are_reported_and_entries_left_alone(
    service: Rekall, filled: dict[str, str], db_file: Path
) -> None:
    cors = filled["CORS fails on Safari"]
    ghost = "01HZZ7ZZZZZZZZZZZZZZZZZZZZ"
    raw_sql(
        db_file,
        "INSERT INTO links (source_id, target_id, type, reason, created_at) "
        f"VALUES ('{cors}', '{ghost}', 'related', NULL, 'now')",
        f"UPDATE entries SET superseded_by = '{ghost}' WHERE id = '{cors}'",
        foreign_keys=False,
    )
    entries = entries_dump(db_file)
    report = service.check(repair=True)
    assert not report.healthy
    failed = {f.name: f.detail for f in report.findings if not f.ok}
    assert set(failed) == {"links", "superseded_by"}
    assert ghost in failed["links"] and ghost in failed["superseded_by"]
    assert entries_dump(db_file) == entries


def test_repair_without_a_model_says_so(
    service: Rekall,
    filled: dict[str, str],
    db_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw_sql(db_file, "DELETE FROM embeddings")
    empty = tmp_path / "no-model"
    empty.mkdir()
    monkeypatch.setenv("REKALL_MODEL_PATH", str(empty))
    bare = Rekall()
    try:
        report = bare.check(repair=True)
    finally:
        bare.close()
    assert not report.healthy
    assert any(repair.startswith("could not re-embed") for repair in report.repairs)
