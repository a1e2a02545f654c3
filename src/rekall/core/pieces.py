"""The body pieces of a long entry's embedded text: what the model cannot read in one pass."""

from __future__ import annotations

import re

# The model reads the first 256 tokens, about 1,000 characters of English: a longer entry is
# judged by its start. Its body is also embedded in pieces of about PIECE_CHARS characters,
# each under the title, and the entry scores its best vector (decision 014 has the sweep).
PIECE_CHARS = 700
LONG_CHARS = 900
# A piece counts for its similarity less this: a piece is a narrower text than a whole entry,
# and matches a question's words more easily than an entry that answers it.
PIECE_MARGIN = 0.02
# Pieces past this many are not embedded: 16 pieces cover about 11,000 characters of body,
# and a 30,000-character entry would otherwise cost 40 model runs on every edit.
MAX_PIECES = 16
_PARAGRAPH = re.compile(r"\n\s*\n")


def body_pieces(
    text: str, size: int = PIECE_CHARS, long: int = LONG_CHARS, limit: int = MAX_PIECES
) -> list[str]:
    """The pieces of an embedded text longer than `long`: its body (all but the first line,
    the title) cut at paragraph, line or sentence ends into pieces of at most `size`
    characters, each under the title; none for a shorter text. The same text always gives
    the same pieces, so they are fresh exactly when the entry's own vector is."""
    if len(text) <= long or "\n" not in text:
        return []
    title, body = text.split("\n", 1)
    out: list[str] = []
    current = ""
    for paragraph in _PARAGRAPH.split(body):
        rest = paragraph.strip()
        while len(rest) > size:
            cut = _cut_point(rest, size)
            if current:
                out.append(current)
            out.append(rest[: cut + 1].strip())
            current, rest = "", rest[cut + 1 :].strip()
        if current and len(current) + len(rest) > size:
            out.append(current)
            current = ""
        current = f"{current}\n\n{rest}".strip()
    if current:
        out.append(current)
    return [f"{title.strip()}\n{piece}" for piece in out if piece][:limit]


def _cut_point(text: str, size: int) -> int:
    """Where to end a piece of a paragraph longer than size: at a line or sentence end when
    one falls in its last two thirds, else at size."""
    cut = max(text.rfind("\n", 0, size), text.rfind(". ", 0, size))
    return cut if cut > size // 3 else size - 1


# A piece's vector shares the vector index with the entries' own vectors: its id there is the
# entry's seq plus its piece number (from 1) shifted past any seq a base will reach.
PIECE_ID_SHIFT = 40
SEQ_MASK = (1 << PIECE_ID_SHIFT) - 1


def piece_row_id(seq: int, piece: int) -> int:
    """The vector index id of an entry's piece (piece 0 is the entry's own vector)."""
    return seq + (piece << PIECE_ID_SHIFT)
