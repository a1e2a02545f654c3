"""Embedding entries as they are written, and re-embedding what is missing or stale."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rekall.core.entries import Entry, NewEntry, content_hash
from rekall.core.errors import ModelError
from rekall.core.ids import new_id
from rekall.service.pieces import PieceVectors, pieces_out_of_date
from rekall.service.semantic import SemanticEngine

if TYPE_CHECKING:
    from rekall.storage.contract import Store

VectorRow = tuple[str, int, str, bytes]  # model id, dimensions, content hash, float32 bytes
Progress = Callable[[int, int], None]
REBUILD_BATCH = 64
NO_MODEL_NOTICE = (
    "Saved without a vector: the embedding model is not available, so semantic search "
    "will not find this entry yet. Get the model (rekall model status says how), then run "
    "'rekall index rebuild'."
)


@dataclass(frozen=True)
class RebuildReport:
    """What `rekall index rebuild` did: embedded counts every entry embedded, pieces_only
    those of them whose vector was current and kept, embedded for their body pieces only."""

    embedded: int
    up_to_date: int
    total: int
    pieces_only: int = 0

    def summary(self) -> str:
        """What was embedded, said truly: "re-embedded 3 entries, and body pieces of 2 more",
        "re-embedded 1 entry"."""
        entries = self.embedded - self.pieces_only
        said = f"re-embedded {entries} {'entry' if entries == 1 else 'entries'}"
        if self.pieces_only:
            said += f", and body pieces of {self.pieces_only} more"
        return said


class Indexer:
    """Turns entry text into stored vectors, inside the same transactions as the entries."""

    def __init__(self, db: Store, engine: SemanticEngine, notify: Callable[[str], None]):
        self.db = db
        self.engine = engine
        self.notify = notify
        self._told = False
        self.pieces = PieceVectors()

    def vectors_for(self, texts: Sequence[str]) -> list[VectorRow] | None:
        """Vectors for texts, or None (after telling the user once) when there is no model."""
        if not self.engine.model_ready():
            self._tell_once(NO_MODEL_NOTICE)
            return None
        try:
            matrix = self.pieces.embed(self.engine.embed_texts, texts, lambda: self.engine.model_id)
        except ModelError as exc:
            self._tell_once(f"{NO_MODEL_NOTICE}\n{exc}")
            return None
        model_id = self.engine.model_id  # known now: the model is loaded
        return [
            (model_id, int(row.size), content_hash(text), row.tobytes())
            for text, row in zip(texts, matrix, strict=True)
        ]

    def store(
        self,
        conn: Any,
        seq: int,
        entry: Entry,
        row: VectorRow | None,
        generation: int,
    ) -> None:
        """Inside a write: store the vector if it matches the entry's text, else drop a
        vector of other text, whatever its model: one stored by weights that cannot load now
        (a fingerprinted id, decision 011) would otherwise be served once they are back."""
        current = content_hash(entry.embedding_text())
        if row is not None and row[2] == current:
            self.db.repos.vectors.upsert_vectors(conn, [(seq, *row)], generation)
            self._store_pieces(conn, [(seq, row)], generation)
        else:
            stored = self.db.repos.vectors.stored_hash(conn, seq, None)
            if stored is not None and stored != current:
                # Its pieces go with it; both leave tombstones for other processes' indexes.
                self.db.repos.vectors.delete_vectors(conn, [seq])

    def insert_many(self, entries: Sequence[NewEntry], now: str) -> list[str]:
        """Insert entries with their vectors in one transaction; return their ids."""
        texts = [entry.embedding_text() for entry in entries]
        rows = self.vectors_for(texts)
        ids = [new_id() for _ in entries]
        with self.db.write() as (conn, generation):
            seqs = [
                self.db.repos.entries.insert_entry(conn, entry_id, entry, now)
                for entry_id, entry in zip(ids, entries, strict=True)
            ]
            if rows is not None:
                pairs = list(zip(seqs, rows, strict=True))
                self.db.repos.vectors.upsert_vectors(
                    conn, [(seq, *row) for seq, row in pairs], generation
                )
                self._store_pieces(conn, pairs, generation)
        return ids

    def _store_pieces(
        self, conn: Any, pairs: Sequence[tuple[int, VectorRow]], generation: int
    ) -> None:
        """Inside a write, after the entries' vectors: the body pieces of those embedded with
        theirs, all in one call (one COPY on a server when there are many)."""
        found = [
            (seq, (row[0], row[2]), pieces)
            for seq, row in pairs
            if (pieces := self.pieces.take(row[0], row[2])) is not None
        ]
        if found:
            self.db.repos.vectors.replace_many_pieces(conn, found, generation)

    def rebuild(self, progress: Progress | None = None) -> RebuildReport:
        """Embed every entry whose vector is missing, of another model, or of older text."""
        model_id = self.engine.model_id
        with self.db.read() as conn:
            pairs = list(self.db.repos.vectors.texts_with_hashes(conn, model_id))
            late = set(
                pieces_out_of_date(pairs, self.db.repos.vectors.stored_pieces(conn, model_id))
            )
        # An entry whose pieces are missing (a base from before them, an import) is embedded
        # again whole, as the same batch makes its vector and its pieces; its current vector
        # is kept (see _store_batch).
        todo = [
            (p.seq, text)
            for p, stored in pairs
            if (text := p.embedding_text()) and (content_hash(text) != stored or p.seq in late)
        ]
        if todo and not self.engine.model_ready():
            raise ModelError(self.engine.model_problem or "the embedding model is not available")
        done = kept = 0
        for batch in _chunks(todo, REBUILD_BATCH):
            kept += self._store_batch(batch, late)
            done += len(batch)
            if progress:
                progress(done, len(todo))
        return RebuildReport(len(todo), len(pairs) - len(todo), len(pairs), kept)

    def _store_batch(self, batch: list[tuple[int, str]], late: set[int]) -> int:
        """Store a batch's vectors and pieces; return how many entries kept their vector. An
        entry of late (its vector current, its pieces missing) keeps the vector it has: one
        embedded again may differ in its last bits (another batch), and a copy elsewhere
        would no longer hold the same vector."""
        rows = self.vectors_for([text for _, text in batch])
        if rows is None:
            raise ModelError(self.engine.model_problem or "the embedding model is not available")
        vectors = self.db.repos.vectors
        with self.db.write() as (conn, generation):
            # Only rows whose text did not change while we were embedding.
            live = vectors.current_texts(conn, [seq for seq, _ in batch])
            fresh = [
                (seq, row)
                for (seq, text), row in zip(batch, rows, strict=True)
                if live.get(seq) == text
            ]
            # The batch's late entries in one statement, not a round trip to the server each;
            # every row of a batch is of one model.
            pending = [seq for seq, _ in fresh if seq in late]
            stored = vectors.stored_hashes(conn, pending, rows[0][0]) if pending else {}
            kept = {seq for seq, row in fresh if stored.get(seq) == row[2]}
            vectors.upsert_vectors(
                conn, [(seq, *row) for seq, row in fresh if seq not in kept], generation
            )
            self._store_pieces(conn, fresh, generation)
        return len(kept)

    def _tell_once(self, message: str) -> None:
        if not self._told:
            self._told = True
            self.notify(message)


def _chunks(items: list[tuple[int, str]], size: int) -> Iterable[list[tuple[int, str]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
