"""The body pieces of long embedded texts: where they are cut and what they carry."""

from __future__ import annotations

from rekall.core.entries import compose_embedding_text
from rekall.core.pieces import (
    LONG_CHARS,
    MAX_PIECES,
    PIECE_CHARS,
    SEQ_MASK,
    body_pieces,
    piece_row_id,
)


def test_a_text_the_model_reads_whole_has_no_pieces() -> None:
    text = compose_embedding_text("Short", ["tag"], "x " * (LONG_CHARS // 2 - 10))
    assert len(text) <= LONG_CHARS
    assert body_pieces(text) == []


def test_pieces_cover_the_body_in_order_under_the_title_at_paragraph_ends() -> None:
    paragraphs = [f"Paragraph {n}. " + "word " * 60 for n in range(8)]
    text = compose_embedding_text("Runbook", ["ops"], "\n\n".join(paragraphs))
    pieces = body_pieces(text)
    assert len(pieces) > 1
    assert all(piece.startswith("Runbook\n") for piece in pieces)
    assert all(len(piece) <= len("Runbook\n") + PIECE_CHARS for piece in pieces)
    joined = " ".join(piece.removeprefix("Runbook\n") for piece in pieces)
    assert [n for n in range(8) if f"Paragraph {n}." in joined] == list(range(8))
    assert joined.index("Paragraph 3.") < joined.index("Paragraph 4.")
    assert all(piece.split("\n", 1)[1].startswith(("ops", "Paragraph")) for piece in pieces)


def test_a_long_paragraph_is_cut_at_sentence_ends_and_the_pieces_are_capped() -> None:
    sentence = "The worker retries the request after a short pause. "
    text = compose_embedding_text("Long", [], sentence * 400)
    pieces = body_pieces(text)
    assert len(pieces) == MAX_PIECES
    assert all(piece.endswith(".") for piece in pieces)
    assert body_pieces(text) == pieces  # the same text, the same pieces


def test_a_text_without_any_break_is_cut_at_the_piece_size() -> None:
    text = "Title\n" + "x" * 3000
    assert [len(p) for p in body_pieces(text)] == [6 + PIECE_CHARS] * 4 + [6 + 200]


def test_piece_ids_sit_above_every_seq() -> None:
    assert piece_row_id(41, 0) == 41
    assert piece_row_id(41, 3) & SEQ_MASK == 41
    assert piece_row_id(41, 3) > SEQ_MASK
