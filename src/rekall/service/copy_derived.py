"""A copy's vectors and body pieces: the source's, made equal in the target bit for bit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rekall.core.entries import content_hash
from rekall.core.errors import CopyMismatchError
from rekall.core.records import EntryRecord
from rekall.service.import_writer import VectorSupply
from rekall.service.pieces import piece_hashes
from rekall.service.semantic import DIMENSIONS

if TYPE_CHECKING:
    from rekall.storage.contract import Repositories
    from rekall.storage.transfer_repo import StoredPieces


def current_pieces(
    records: Mapping[str, EntryRecord], supply: VectorSupply, stored: dict[str, StoredPieces]
) -> dict[str, StoredPieces]:
    """The stored pieces that belong to a copied vector (same model, read under it, and the
    same text hash) and are the pieces its entry's text cuts into now."""
    found: dict[str, StoredPieces] = {}
    for entry_id, (digest, pieces) in stored.items():
        record = records.get(entry_id)
        if record is None or supply.text_hashes.get(entry_id) != digest:
            continue
        expected = piece_hashes(record.embedding_text())
        sized = all(len(blob) == DIMENSIONS * 4 for _, blob in pieces)
        if sized and [piece_hash for piece_hash, _ in pieces] == expected:
            found[entry_id] = (digest, pieces)
    return found


@dataclass
class Differences:
    """Entries whose vector or body pieces in the target are not the source's, as read
    before the copy writes; and, once written, how many of each it made equal.
    vectors_replaced counts the vectors of unchanged entries it wrote: the target's of other
    bits, of other weights, or none."""

    vectors: list[str] = field(default_factory=list)
    pieces: list[str] = field(default_factory=list)
    vectors_replaced: int = 0
    pieces_written: int = 0


def differences(
    repos: Repositories, conn: Any, supply: VectorSupply, pieces: dict[str, StoredPieces]
) -> Differences:
    """Which supplied vectors and pieces the target does not hold as they are. Only entries
    the target holds count as differing vectors: the import writes the supplied vector of
    each entry it adds, so those need no second look inside the write."""
    if not supply.summary:
        return Differences()  # pieces come only with their vector
    model_id = supply.summary_model_id
    vectors = repos.transfer.vectors_by_id(conn, model_id)
    stored = repos.transfer.pieces_by_id(conn, model_id)
    differing = [
        i for i, blob in supply.summary.items() if vectors.get(i) != (supply.text_hashes[i], blob)
    ]
    # An entry with no vector here may still be held (unchanged, its vector missing).
    unvectored = [i for i in differing if i not in vectors]
    held: set[str] = set()
    if unvectored and not repos.meta.is_empty(conn):
        held = repos.transfer.existing_ids(conn, unvectored)
    return Differences(
        [i for i in differing if i in vectors or i in held],
        [i for i, rows in pieces.items() if stored.get(i) != rows],
    )


def make_equal(
    repos: Repositories,
    conn: Any,
    generation: int,
    found: Differences,
    supply: VectorSupply,
    pieces: dict[str, StoredPieces],
) -> None:
    """Inside the copy's write, after its entries: store the source's vector of each entry
    whose vector still differs (the import writes those of entries it writes, but keeps the
    vector of an entry of unchanged text, which another embedding may have left a few bits
    apart), then its pieces, which must follow their vector."""
    model_id = supply.summary_model_id
    now = repos.transfer.vectors_by_id(conn, model_id, found.vectors)
    wanted = {i: (supply.text_hashes[i], supply.summary[i]) for i in found.vectors}
    differing = [i for i in found.vectors if now.get(i) != wanted[i]]
    seqs = repos.transfer.seqs_and_hashes(conn, [*differing, *found.pieces], model_id)
    repos.vectors.upsert_vectors(
        conn,
        [(seqs[i][0], model_id, DIMENSIONS, *wanted[i]) for i in differing if i in seqs],
        generation,
    )
    found.vectors_replaced = len(differing)
    written = [
        (seqs[i][0], (model_id, pieces[i][0]), pieces[i][1]) for i in found.pieces if i in seqs
    ]
    repos.vectors.replace_many_pieces(conn, written, generation)
    found.pieces_written = sum(len(rows) for _, _, rows in written)


def verify_pieces(
    repos: Repositories,
    conn: Any,
    records: Mapping[str, EntryRecord],
    pieces: dict[str, StoredPieces],
    model_id: str,
) -> tuple[int, int]:
    """Compare the target's pieces with the source's, bit for bit. Returns how many piece
    vectors were compared and how many long entries copied have no current pieces in the
    target. Raises CopyMismatchError naming the first entry whose pieces differ."""
    stored = repos.transfer.pieces_by_id(conn, model_id)
    wrong = [i for i, wanted in pieces.items() if stored.get(i) != wanted]
    if wrong:
        raise CopyMismatchError(
            f"the body pieces of entry {wrong[0]} did not copy; nothing was written"
        )
    without = 0
    for entry_id, record in records.items():
        text = record.embedding_text()
        expected = piece_hashes(text)
        held = stored.get(entry_id, ("", []))
        current = held[0] == content_hash(text) and [h for h, _ in held[1]] == expected
        without += bool(expected) and not current
    return sum(len(rows) for _, rows in pieces.values()), without
