"""The real-text corpora's stored body-piece vectors: those of the current rule's very texts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rekall.core.entries import content_hash
from rekall.core.pieces import body_pieces
from rekall.search.model_files import MODEL_ID
from rekall.service import Rekall
from rekall.testdata import quality

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.mark.model
@pytest.mark.parametrize("name", quality.REAL_CORPORA)
def test_every_piece_has_its_own_stored_vector_and_no_other_rule_reuses_them(
    name: str, service: Rekall
) -> None:
    corpus = quality.load_named(FIXTURES, name, MODEL_ID)
    assert corpus.vectors is not None
    texts = [quality.embedding_text(d) for d in corpus.documents]
    pieces = [piece for text in texts for piece in body_pieces(text)]
    assert pieces and all(content_hash(piece) in corpus.vectors for piece in pieces)
    other_rule = [piece for text in texts for piece in body_pieces(text, 500, 700)]
    reused = [p for p in other_rule if content_hash(p) in corpus.vectors]
    assert len(reused) < len(other_rule) // 4  # only texts both rules cut alike
    sample = pieces[:: max(1, len(pieces) // 8)]
    live = service.semantic.embed_texts(sample)
    stored = np.vstack([corpus.vectors[content_hash(piece)] for piece in sample])
    assert np.min(np.sum(live * stored, axis=1)) > 0.999
