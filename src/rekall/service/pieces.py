"""Body-piece vectors of long entries: embedded with the entry, stored bound to its vector."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from rekall.core.entries import content_hash
from rekall.core.pieces import body_pieces
from rekall.storage.vector_rows import PendingText

PieceRow = tuple[str, bytes]  # the piece text's hash, float32 bytes
# Pieces embedded but not stored yet (an import's or a dry run's) are kept no longer than this.
KEPT_ENTRIES = 256


class PieceVectors:
    """Pieces embedded beside their entries' vectors, waiting for the write that stores them.

    They are keyed by the model id and the hash of the entry's whole embedded text, of which
    they are a pure function: whichever write picks them up, they belong to its text.
    """

    def __init__(self) -> None:
        self._kept: dict[tuple[str, str], list[PieceRow]] = {}
        self._lock = threading.Lock()

    def embed(
        self,
        embed: Callable[[Sequence[str]], Any],
        texts: Sequence[str],
        model_id: Callable[[], str],
    ) -> Any:
        """Vectors of texts, embedding their body pieces in the same batch and keeping them."""
        pieces = [body_pieces(text) for text in texts]
        matrix = embed([*texts, *(piece for group in pieces for piece in group)])
        start, model = len(texts), model_id()
        with self._lock:
            if len(self._kept) > KEPT_ENTRIES:
                self._kept.clear()
            for text, group in zip(texts, pieces, strict=True):
                rows = matrix[start : start + len(group)]
                self._kept[(model, content_hash(text))] = [
                    (content_hash(piece), row.tobytes())
                    for piece, row in zip(group, rows, strict=True)
                ]
                start += len(group)
        return matrix[: len(texts)]

    def take(self, model_id: str, digest: str) -> list[PieceRow] | None:
        """The pieces embedded for this text under this model, if any are waiting."""
        with self._lock:
            return self._kept.pop((model_id, digest), None)


def piece_hashes(text: str) -> list[str]:
    """The text hash of each body piece an entry's embedded text cuts into ([] when short):
    what its stored pieces must be to be current."""
    return [content_hash(piece) for piece in body_pieces(text)]


def pieces_out_of_date(
    pairs: Iterable[tuple[PendingText, str | None]], stored: dict[int, list[str]]
) -> list[int]:
    """Seqs whose vector is current but whose body pieces are missing or of other text."""
    return pieces_state(pairs, stored)[0]


def pieces_state(
    pairs: Iterable[tuple[PendingText, str | None]], stored: dict[int, list[str]]
) -> tuple[list[int], int]:
    """The seqs of pieces_out_of_date(), and how many entries with a current vector are long
    enough to have pieces."""
    late, long = [], 0
    for pending, vector_hash in pairs:
        text = pending.embedding_text()
        if vector_hash is None or vector_hash != content_hash(text):
            continue
        expected = piece_hashes(text)
        long += bool(expected)
        if stored.get(pending.seq, []) != expected:
            late.append(pending.seq)
    return late, long


def pieces_report(late: int, long: int) -> tuple[bool, str, bool]:
    """`rekall check`'s finding on body pieces: healthy?, what to say, and whether there is
    something to do.

    Missing pieces are something to do, not a problem: they are never wrong (the database
    refuses a piece of other text or weights), only not built yet after an upgrade or an
    import, and a health check that failed on them would send every such base through a
    repair that embeds with the model.
    """
    if not late:
        return True, f"all {long} long entries have current body-piece vectors", False
    return (
        True,
        f"{late} of {long} long entries have no body-piece vectors yet (semantic search reads "
        "only their start); 'rekall index rebuild' embeds them",
        True,
    )
