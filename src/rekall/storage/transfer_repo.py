"""SQL for whole entry records and links, as export reads them and import writes them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from rekall.core.context import EntryContext
from rekall.storage import context_repo, rows
from rekall.storage.rows import RECORD_COLUMNS

if TYPE_CHECKING:
    # Every open base imports this module; only export and import build records.
    from rekall.core.records import EntryRecord, LinkRecord

LINK_SELECT = "SELECT source_id, target_id, type, reason, created_at FROM links"


def read_records(
    conn: sqlite3.Connection, ids: Sequence[str] | None = None
) -> dict[str, EntryRecord]:
    """id → full record (tags and context included), for ids or for every entry, by id."""
    if ids is None:
        return _read_some(conn, None)
    found: dict[str, EntryRecord] = {}
    for chunk in rows.chunked(ids):
        found.update(_read_some(conn, chunk))
    return found


def _read_some(conn: sqlite3.Connection, ids: list[str] | None) -> dict[str, EntryRecord]:
    params = ids or []
    tag_where = "" if ids is None else f" WHERE entry_id IN ({rows.marks(ids)})"
    where = "" if ids is None else f" WHERE id IN ({rows.marks(ids)})"
    return rows.records_from_rows(
        conn.execute(f"SELECT entry_id, tag FROM tags{tag_where} ORDER BY tag", params),
        context_repo.read_contexts(conn, ids),
        conn.execute(f"SELECT {', '.join(RECORD_COLUMNS)} FROM entries{where} ORDER BY id", params),
    )


def existing_ids(conn: sqlite3.Connection, ids: Iterable[str]) -> set[str]:
    """Which of ids are entries in the base."""
    found: set[str] = set()
    for chunk in rows.chunked(sorted(set(ids))):
        query = f"SELECT id FROM entries WHERE id IN ({rows.marks(chunk)})"
        found.update(row[0] for row in conn.execute(query, chunk))
    return found


def read_links(conn: sqlite3.Connection, sources: Sequence[str] | None = None) -> list[LinkRecord]:
    """Links starting at sources (or every link), ordered by source, target and type."""
    from rekall.core.records import LinkRecord

    order = " ORDER BY source_id, target_id, type"
    if sources is None:
        return [LinkRecord(*row) for row in conn.execute(LINK_SELECT + order)]
    found: list[LinkRecord] = []
    for chunk in rows.chunked(sources):
        query = f"{LINK_SELECT} WHERE source_id IN ({rows.marks(chunk)}){order}"
        found += [LinkRecord(*row) for row in conn.execute(query, chunk)]
    return found


def write_records(
    conn: sqlite3.Connection, records: Sequence[EntryRecord], seqs: Mapping[str, int]
) -> dict[str, int]:
    """Insert the records whose id is not in seqs, overwrite those that are (tags and context
    included); return id → seq of every record."""
    found = dict(seqs)
    for record in records:
        if record.id in seqs:
            update_record(conn, record)
        else:
            found[record.id] = insert_record(conn, record)
    return found


def insert_record(conn: sqlite3.Connection, record: EntryRecord) -> int:
    """Insert a record as is (timestamps and counters kept); return its seq."""
    columns = ", ".join((*RECORD_COLUMNS, "tags_text"))
    cursor = conn.execute(
        f"INSERT INTO entries ({columns}) VALUES ({rows.marks(RECORD_COLUMNS)}, ?)",
        [*rows.record_values(record), " ".join(record.tags)],
    )
    _write_tags(conn, record)
    return int(cursor.lastrowid or 0)


def update_record(conn: sqlite3.Connection, record: EntryRecord) -> None:
    """Overwrite an existing entry's fields, tags and context in place."""
    assignments = ", ".join(f"{name} = ?" for name in RECORD_COLUMNS[1:])
    conn.execute(
        f"UPDATE entries SET {assignments}, tags_text = ? WHERE id = ?",
        [*rows.record_values(record)[1:], " ".join(record.tags), record.id],
    )
    conn.execute("DELETE FROM tags WHERE entry_id = ?", (record.id,))
    _write_tags(conn, record)


def _write_tags(conn: sqlite3.Connection, record: EntryRecord) -> None:
    conn.executemany(
        "INSERT INTO tags (entry_id, tag) VALUES (?, ?)", [(record.id, t) for t in record.tags]
    )
    context_repo.write_context(conn, record.id, record.context)


def remove_links(conn: sqlite3.Connection, links: Iterable[LinkRecord]) -> None:
    """Delete links by (source, target, type)."""
    conn.executemany(
        "DELETE FROM links WHERE source_id = ? AND target_id = ? AND type = ?",
        [link.key for link in links],
    )


def add_links(conn: sqlite3.Connection, links: Iterable[LinkRecord]) -> None:
    """Insert links as they are (reason and created_at kept)."""
    conn.executemany(
        "INSERT INTO links (source_id, target_id, type, reason, created_at) VALUES (?, ?, ?, ?, ?)",
        [(link.source, link.target, link.type, link.reason, link.created_at) for link in links],
    )


def seqs_and_hashes(
    conn: sqlite3.Connection, ids: Sequence[str], model_id: str | None
) -> dict[str, tuple[int, str | None]]:
    """id → (seq, content hash of its vector for model_id, or of whatever model when
    model_id is None; None without one)."""
    found: dict[str, tuple[int, str | None]] = {}
    for chunk in rows.chunked(ids):
        for row in conn.execute(
            "SELECT e.id, e.seq, v.content_hash FROM entries e LEFT JOIN embeddings v "
            "ON v.entry_seq = e.seq AND v.model_id = coalesce(?, v.model_id) "
            f"WHERE e.id IN ({rows.marks(chunk)})",
            [model_id, *chunk],
        ):
            found[row[0]] = (int(row[1]), row[2])
    return found


def read_contexts(
    conn: sqlite3.Connection, ids: Sequence[str] | None = None
) -> dict[str, EntryContext]:
    """entry id → context, for the given ids (or every entry)."""
    return context_repo.read_contexts(conn, ids)


def write_context(conn: sqlite3.Connection, entry_id: str, context: EntryContext | None) -> None:
    """Replace an entry's context and keywords (None removes them)."""
    context_repo.write_context(conn, entry_id, context)


def defer_foreign_keys(conn: sqlite3.Connection) -> None:
    """Check foreign keys at commit: superseded_by may name an entry inserted later."""
    conn.execute("PRAGMA defer_foreign_keys = ON")


def upsert_context_vector(
    conn: sqlite3.Connection, entry_id: str, model_id: str, dimensions: int, vector: bytes
) -> None:
    """Keep the vector of an entry's context text (from an imported database)."""
    context_repo.upsert_context_vector(conn, entry_id, model_id, dimensions, vector)


def context_vectors(conn: sqlite3.Connection) -> dict[str, tuple[str, bytes]]:
    """entry id → (model id, float32 bytes) of every kept context vector."""
    return context_repo.context_vectors(conn)


def vectors_by_id(
    conn: sqlite3.Connection, model_id: str, ids: Sequence[str] | None = None
) -> dict[str, tuple[str, bytes]]:
    """entry id → (content hash, float32 bytes) of every stored vector of a model (or of
    those of ids)."""
    query = (
        "SELECT e.id, v.content_hash, v.vector FROM embeddings v "
        "JOIN entries e ON e.seq = v.entry_seq WHERE v.model_id = ?"
    )
    chunks = [[]] if ids is None else rows.chunked(ids)
    found: dict[str, tuple[str, bytes]] = {}
    for chunk in chunks:
        where = "" if ids is None else f" AND e.id IN ({rows.marks(chunk)})"
        for row in conn.execute(query + where, [model_id, *chunk]):
            found[str(row[0])] = (str(row[1]), bytes(row[2]))
    return found


# An entry's body pieces: the content hash of the vector they belong to, then each piece's
# (text hash, float32 bytes) in order.
StoredPieces = tuple[str, list[tuple[str, bytes]]]


def pieces_by_id(conn: sqlite3.Connection, model_id: str) -> dict[str, StoredPieces]:
    """entry id → its body pieces stored under a model (see StoredPieces)."""
    found: dict[str, StoredPieces] = {}
    for row in conn.execute(
        "SELECT e.id, p.content_hash, p.piece_hash, p.vector FROM embedding_pieces p "
        "JOIN entries e ON e.seq = p.entry_seq WHERE p.model_id = ? ORDER BY e.id, p.piece",
        (model_id,),
    ):
        found.setdefault(str(row[0]), (str(row[1]), []))[1].append((str(row[2]), bytes(row[3])))
    return found
