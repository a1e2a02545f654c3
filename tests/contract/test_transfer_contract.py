"""Export and import on both backends: every field, tags, links, context and review state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rekall.core.entries import content_hash
from rekall.core.pieces import body_pieces
from rekall.service import Rekall
from tests.service.test_transfer import A, B, C, document, entry, link, write_json


def full_document() -> dict[str, object]:
    return document(
        [
            entry(
                A,
                project="api",
                status="deprecated",
                superseded_by=C,
                confidence=5,
                access_count=7,
                last_accessed="2025-02-01T00:00:00+00:00",
                next_review="2025-04-01T00:00:00+00:00",
                review_interval=6,
                ease_factor=2.6,
                review_repetitions=2,
                context={"structured": {"why": "héllo"}, "keywords": ["k1", "k2"]},
            ),
            entry(B, tags=[], content=""),
            entry(C, type="pattern"),
        ],
        [link(A, B), link(C, A, type="supersedes", reason=None)],
    )


def test_import_then_export_is_lossless(any_backend: Rekall, tmp_path: Path) -> None:
    source = write_json(tmp_path / "in.json", full_document())
    report = any_backend.import_data(source)
    assert (report.added, report.links_added) == (3, 2)
    exported = json.loads(any_backend.export_json())
    again = json.loads(source.read_text(encoding="utf-8"))
    by_id = {item["id"]: item for item in exported["entries"]}
    for original in again["entries"]:
        stored = by_id[original["id"]]
        stored["context"] = {k: v for k, v in (stored["context"] or {}).items() if v is not None}
        for name, value in original.items():
            assert stored[name] == value, (original["id"], name)
    assert sorted((x["source"], x["target"], x["type"]) for x in exported["links"]) == sorted(
        (x["source"], x["target"], x["type"]) for x in again["links"]
    )


def test_reimport_with_skip_changes_nothing(any_backend: Rekall, tmp_path: Path) -> None:
    source = write_json(tmp_path / "in.json", full_document())
    any_backend.import_data(source)
    before = any_backend.export_json()
    generation = any_backend.db.generation()
    report = any_backend.import_data(source, strategy="skip")
    assert report.added == 0
    assert any_backend.export_json() == before
    assert any_backend.db.generation() == generation


@pytest.mark.model
def test_vectors_and_pieces_read_by_entry_id(any_backend: Rekall) -> None:
    from tests.service.test_copy_derived import LONG, MODEL

    long = any_backend.add("reference", "Deploy runbook", LONG)
    short = any_backend.add("til", "nohup survives logout", "SIGHUP")
    with any_backend.db.read() as conn:
        every = any_backend.db.repos.transfer.vectors_by_id(conn, MODEL)
        some = any_backend.db.repos.transfer.vectors_by_id(conn, MODEL, [short.id, "01NONE"])
        pieces = any_backend.db.repos.transfer.pieces_by_id(conn, MODEL)
    assert set(every) == {long.id, short.id}
    assert some == {short.id: every[short.id]}
    text = long.embedding_text()
    digest, rows = pieces[long.id]
    assert set(pieces) == {long.id}
    assert digest == content_hash(text) == every[long.id][0]
    assert [h for h, _ in rows] == [content_hash(piece) for piece in body_pieces(text)]
    assert all(len(blob) == 384 * 4 for _, blob in rows)


def test_stored_hashes_looked_up_by_model_or_whatever_the_model(any_backend: Rekall) -> None:
    """None finds a vector stored under another model's id (weights that cannot load now)."""
    entry = any_backend.add("til", "nohup survives logout", "SIGHUP")
    vectors, transfer = any_backend.db.repos.vectors, any_backend.db.repos.transfer
    with any_backend.db.write() as (conn, generation):
        seq = any_backend.db.repos.entries.seq_of(conn, entry.id)
        unit = b"\0\0\x80\x3f" + b"\0" * 4 * 383  # 1.0, then zeros: 384 float32
        vectors.upsert_vectors(conn, [(seq, "other-weights@0123", 384, "old", unit)], generation)
    with any_backend.db.read() as conn:
        assert vectors.stored_hash(conn, seq, any_backend.semantic.model_id) is None
        assert vectors.stored_hash(conn, seq, "other-weights@0123") == "old"
        assert vectors.stored_hash(conn, seq, None) == "old"
        assert transfer.seqs_and_hashes(conn, [entry.id], "unused") == {entry.id: (seq, None)}
        assert transfer.seqs_and_hashes(conn, [entry.id], None) == {entry.id: (seq, "old")}
