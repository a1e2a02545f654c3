"""A base made before body pieces: upgraded losslessly, reported by check, filled by rebuild;
and the database itself refuses a piece that is not its entry's current text."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from rekall.core.entries import NewEntry, content_hash
from rekall.service import Rekall
from rekall.storage import entries_repo
from rekall.storage.migrations import migrate
from rekall.storage.schema import MIGRATIONS
from tests.service.test_body_pieces import ANSWER, PARAGRAPHS, QUESTION, RUNBOOK
from tests.service.test_copy_derived import nudge_vector

pytestmark = pytest.mark.model
BEFORE_PIECES = 8  # the SQLite schema version before embedding_pieces
CONTENT = "\n\n".join([*PARAGRAPHS, ANSWER])
SHORT = [("Let's Encrypt rate limits", "50 certificates per domain per week; use staging.")]


def old_sqlite_base(path: Path, embedder: Rekall) -> dict[int, bytes]:
    """A schema-8 file with entries and their current vectors; returns seq → vector bytes."""
    entries = [NewEntry("reference", RUNBOOK, CONTENT), *(NewEntry("til", t, c) for t, c in SHORT)]
    texts = [entry.embedding_text() for entry in entries]
    matrix = embedder.semantic.embed_texts(texts)
    model_id = embedder.semantic.model_id
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        migrate(conn, path, MIGRATIONS[:BEFORE_PIECES])
        conn.execute("BEGIN IMMEDIATE")
        vectors = {}
        for n, (entry, text, row) in enumerate(zip(entries, texts, matrix, strict=True)):
            seq = entries_repo.insert_entry(conn, f"01OLDBASE{n:017d}", entry, "2026-01-01")
            vectors[seq] = row.tobytes()
            conn.execute(
                "INSERT INTO embeddings VALUES (?, ?, 384, ?, ?, 1)",
                (seq, model_id, content_hash(text), vectors[seq]),
            )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return vectors


def test_an_old_sqlite_base_is_upgraded_then_rebuilt_with_pieces(
    tmp_path: Path, other: Rekall
) -> None:
    path = tmp_path / "old" / "rekall.db"
    vectors = old_sqlite_base(path, other)
    service = Rekall(db_file=path)
    try:
        with service.db.read() as conn:
            kept = {
                r[0]: bytes(r[1]) for r in conn.execute("SELECT entry_seq, vector FROM embeddings")
            }
            assert conn.execute("SELECT count(*) FROM embedding_pieces").fetchone()[0] == 0
        assert kept == vectors
        report = service.check()
        finding = {f.name: f for f in report.findings}["body pieces"]
        assert report.healthy and "1 of 1 long entries have no body-piece" in finding.detail
        titles = [r.entry.title for r in service.search(QUESTION, mode="semantic").results]
        assert titles[0] != RUNBOOK  # what the model reads of the whole entry misses it
        # Bits another embedding may leave: a rebuild that embedded the vector again would
        # lose them, as the same text embedded here gives the first bits back.
        long_seq = min(vectors)
        vectors[long_seq] = nudge_vector(service, f"01OLDBASE{0:017d}")
        report = service.rebuild_index()
        assert report.embedded == 1
        with service.db.read() as conn:
            rows = conn.execute("SELECT entry_seq, vector FROM embeddings").fetchall()
        assert {r[0]: bytes(r[1]) for r in rows} == vectors  # only the pieces were added
        findings = {f.name: f for f in service.check().findings}
        assert findings["body pieces"].detail.startswith("all 1 long entries have current")
        assert findings["vectors"].ok
        titles = [r.entry.title for r in service.search(QUESTION, mode="semantic").results]
        assert titles[0] == RUNBOOK
        assert service.rebuild_index().embedded == 0
    finally:
        service.close()


def test_a_piece_of_other_text_or_model_is_refused(any_backend: Rekall) -> None:
    entry = any_backend.add("reference", RUNBOOK, CONTENT)
    repos, model_id = any_backend.db.repos, any_backend.semantic.model_id
    text_hash = content_hash(entry.embedding_text())
    blob = bytes(384 * 4)
    refused: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)
    if any_backend.db.repos.vector_search is not None:
        import psycopg

        refused = (psycopg.errors.IntegrityError,)
    for wrong in [(model_id, "0" * 32), ("other-model", text_hash)]:
        with (
            pytest.raises(refused, match="must match its entry"),
            any_backend.db.write() as (conn, generation),
        ):
            seq = repos.entries.seq_of(conn, entry.id)
            repos.vectors.replace_pieces(conn, seq, wrong, [("x", blob)], generation)
    with any_backend.db.read() as conn:
        seq = repos.entries.seq_of(conn, entry.id)
        assert len(repos.vectors.stored_pieces(conn, model_id)[seq]) == 3


def test_an_old_postgres_base_is_upgraded_then_rebuilt_with_pieces(
    postgres_url: str, other: Rekall, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    from rekall.config import load_config
    from rekall.storage.postgres.connection import ensure_vector_extension
    from rekall.storage.postgres.migrations import migrate as migrate_server
    from rekall.storage.postgres.schema import MIGRATIONS as SERVER_MIGRATIONS
    from rekall.storage.postgres.vector_param import to_literal

    text = NewEntry("reference", RUNBOOK, CONTENT).embedding_text()
    blob = other.semantic.embed_texts([text])[0].tobytes()
    with psycopg.connect(postgres_url, autocommit=True) as conn:  # a base made before m006
        migrate_server(
            conn, postgres_url, SERVER_MIGRATIONS[:5], lambda c: ensure_vector_extension(c, "")
        )
        seq = conn.execute(
            "INSERT INTO entries (id, type, title, content, created_at, updated_at) "
            "VALUES ('01OLDPG', 'reference', %s, %s, 'now', 'now') RETURNING seq",
            (RUNBOOK, CONTENT),
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO embeddings VALUES (%s, %s, 384, %s, %s::vector, 1)",
            (seq, other.semantic.model_id, content_hash(text), to_literal(blob)),
        )
    monkeypatch.setenv("REKALL_DATABASE_URL", postgres_url)
    service = Rekall(load_config())  # upgrades it
    try:
        with service.db.read() as conn:
            row = conn.execute("SELECT vector::real[] FROM embeddings").fetchone()
            assert conn.execute("SELECT count(*) FROM embedding_pieces").fetchone()[0] == 0
        assert row[0] == pytest.approx(list(other.semantic.embed_texts([text])[0]), abs=1e-7)
        pieces = {f.name: f for f in service.check().findings}["body pieces"]
        assert "1 of 1 long entries have no body-piece" in pieces.detail
        assert service.rebuild_index().embedded == 1
        pieces = {f.name: f for f in service.check().findings}["body pieces"]
        assert pieces.detail.startswith("all 1 long entries have current")
        with service.db.read() as conn:
            assert conn.execute("SELECT count(*) FROM embedding_pieces").fetchone()[0] == 3
    finally:
        service.close()
