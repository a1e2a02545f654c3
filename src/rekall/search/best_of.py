"""An entry's similarity as the best of its own vector's and its body pieces' (core/pieces.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from rekall.core.pieces import MAX_PIECES, PIECE_ID_SHIFT, PIECE_MARGIN, SEQ_MASK

Hit = tuple[int, float]
if TYPE_CHECKING:  # annotations only (see bert_math)
    import numpy.typing as npt

    Search = Callable[[npt.NDArray[np.float32], int, npt.NDArray[np.int64] | None], list[Hit]]


def entry_of(ids: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The entry seq each index id belongs to (an entry's own id is its seq)."""
    return ids & SEQ_MASK


def with_pieces(seqs: npt.NDArray[np.int64], pieces: int = MAX_PIECES) -> npt.NDArray[np.int64]:
    """Every index id the entries `seqs` may hold: their own and those of up to `pieces`
    pieces each."""
    numbers = np.arange(pieces + 1, dtype=np.int64) << PIECE_ID_SHIFT
    return (seqs[:, None] + numbers[None, :]).reshape(-1)


def best_per_entry(
    search: Search,
    vector: npt.NDArray[np.float32],
    k: int,
    allowed: npt.NDArray[np.int64] | None,
    rows: int,
) -> list[Hit]:
    """The k entries whose best vector is nearest, each once, best first (ties by seq); a
    piece counts for its similarity less PIECE_MARGIN.

    Rows are fetched until the k-th entry scores above the last row fetched: every row left
    out is below it, so the list is exactly what scoring every entry would give.
    """
    if k <= 0:
        return []
    # Each fetch scores every row again (2.3 ms at 10K entries with 6K pieces): on that base
    # the 50 candidates of hybrid search needed 55-104 rows (111 queries), and k + k // 2 + 8
    # fetched twice for one query in ten.
    fetch = 2 * k + 8
    while True:
        hits = search(vector, fetch, allowed)
        best: dict[int, float] = {}
        for row_id, score in hits:
            seq = row_id & SEQ_MASK
            value = score if seq == row_id else score - PIECE_MARGIN
            if value > best.get(seq, -np.inf):
                best[seq] = value
        ranked = sorted(best.items(), key=lambda hit: (-hit[1], hit[0]))
        if len(hits) < fetch or fetch >= rows:
            break
        if len(ranked) >= k and ranked[k - 1][1] > hits[-1][1]:
            break
        fetch *= 4
    return ranked[:k]
