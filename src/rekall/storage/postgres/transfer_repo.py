"""Whole records and links on PostgreSQL, as export reads them and import writes them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rekall.core.records import EntryRecord, LinkRecord
from rekall.storage import rows
from rekall.storage.postgres import bulk
from rekall.storage.postgres.context_repo import read_contexts as read_contexts
from rekall.storage.postgres.context_repo import write_context as write_context
from rekall.storage.rows import RECORD_COLUMNS
from rekall.storage.transfer_repo import LINK_SELECT, StoredPieces


def read_records(conn: Any, ids: Sequence[str] | None = None) -> dict[str, EntryRecord]:
    """id → full record (tags and context included), for ids or for every entry, by id."""
    where, params = ("", []) if ids is None else (" WHERE id = ANY(%s)", [list(ids)])
    tag_where = "" if ids is None else " WHERE entry_id = ANY(%s)"
    return rows.records_from_rows(
        conn.execute(f"SELECT entry_id, tag FROM tags{tag_where} ORDER BY tag", params).fetchall(),
        read_contexts(conn, ids),
        conn.execute(
            f"SELECT {', '.join(RECORD_COLUMNS)} FROM entries{where} ORDER BY id", params
        ).fetchall(),
    )


def existing_ids(conn: Any, ids: Iterable[str]) -> set[str]:
    """Which of ids are entries in the base."""
    rows = conn.execute("SELECT id FROM entries WHERE id = ANY(%s)", (sorted(set(ids)),))
    return {str(row[0]) for row in rows}


def read_links(conn: Any, sources: Sequence[str] | None = None) -> list[LinkRecord]:
    """Links starting at sources (or every link), ordered by source, target and type."""
    order = " ORDER BY source_id, target_id, type"
    if sources is None:
        return [LinkRecord(*row) for row in conn.execute(LINK_SELECT + order)]
    query = f"{LINK_SELECT} WHERE source_id = ANY(%s){order}"
    return [LinkRecord(*row) for row in conn.execute(query, (list(sources),))]


def write_records(
    conn: Any, records: Sequence[EntryRecord], seqs: Mapping[str, int]
) -> dict[str, int]:
    """Insert the records whose id is not in seqs, overwrite those that are (tags and context
    included); return id → seq of every record. New records go in by COPY, in bulk."""
    fresh = [record for record in records if record.id not in seqs]
    for record in records:
        if record.id in seqs:
            update_record(conn, record)
    found = dict(seqs)
    if fresh:
        _copy_records(conn, fresh)
        rows = conn.execute(
            "SELECT id, seq FROM entries WHERE id = ANY(%s)", ([r.id for r in fresh],)
        )
        found.update((str(row[0]), int(row[1])) for row in rows)
    return found


def _copy_records(conn: Any, records: Sequence[EntryRecord]) -> None:
    """Entries, tags and contexts of new records, one COPY per table."""
    columns = (*RECORD_COLUMNS, "tags_text", "context_keys", "context_story")
    bulk.copy_rows(
        conn,
        "entries",
        columns,
        (
            [*rows.record_values(r), " ".join(r.tags), *rows.search_columns(r.context)]
            for r in records
        ),
    )
    bulk.copy_rows(conn, "tags", ("entry_id", "tag"), ((r.id, t) for r in records for t in r.tags))
    contexts = [(r.id, r.context) for r in records if r.context is not None]
    stored = [(i, rows.stored_context(c)) for i, c in contexts]
    bulk.copy_rows(
        conn,
        "entry_context",
        ("entry_id", "structured", "legacy_text"),
        ((i, *parts) for i, parts in stored if parts is not None),
    )
    bulk.copy_rows(
        conn,
        "context_keywords",
        ("entry_id", "keyword"),
        ((i, keyword) for i, c in contexts for keyword in c.keywords),
    )


def update_record(conn: Any, record: EntryRecord) -> None:
    """Overwrite an existing entry's fields, tags and context in place."""
    assignments = ", ".join(f"{name} = %s" for name in RECORD_COLUMNS[1:])
    conn.execute(
        f"UPDATE entries SET {assignments}, tags_text = %s WHERE id = %s",
        [*rows.record_values(record)[1:], " ".join(record.tags), record.id],
    )
    conn.execute("DELETE FROM tags WHERE entry_id = %s", (record.id,))
    if record.tags:
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO tags (entry_id, tag) VALUES (%s, %s)",
                [(record.id, t) for t in record.tags],
            )
    write_context(conn, record.id, record.context)


def remove_links(conn: Any, links: Iterable[LinkRecord]) -> None:
    """Delete links by (source, target, type)."""
    keys = [link.key for link in links]
    if keys:
        with conn.cursor() as cursor:
            cursor.executemany(
                "DELETE FROM links WHERE source_id = %s AND target_id = %s AND type = %s", keys
            )


def add_links(conn: Any, links: Iterable[LinkRecord]) -> None:
    """Insert links as they are (reason and created_at kept)."""
    rows = [(link.source, link.target, link.type, link.reason, link.created_at) for link in links]
    if rows:
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO links (source_id, target_id, type, reason, created_at) "
                "VALUES (%s, %s, %s, %s, %s)",
                rows,
            )


def seqs_and_hashes(
    conn: Any, ids: Sequence[str], model_id: str | None
) -> dict[str, tuple[int, str | None]]:
    """id → (seq, content hash of its vector for model_id, or of whatever model when
    model_id is None; None without one)."""
    rows = conn.execute(
        "SELECT e.id, e.seq, v.content_hash FROM entries e LEFT JOIN embeddings v "
        "ON v.entry_seq = e.seq AND v.model_id = coalesce(%s::text, v.model_id) "
        "WHERE e.id = ANY(%s)",
        (model_id, list(ids)),
    )
    return {str(row[0]): (int(row[1]), row[2]) for row in rows}


def defer_foreign_keys(conn: Any) -> None:
    """Check foreign keys at commit: superseded_by may name an entry inserted later."""
    conn.execute("SET CONSTRAINTS ALL DEFERRED")


def upsert_context_vector(
    conn: Any, entry_id: str, model_id: str, dimensions: int, vector: bytes
) -> None:
    """Keep the vector of an entry's context text (from an imported database)."""
    conn.execute(
        "INSERT INTO context_vectors (entry_id, model_id, dimensions, vector) "
        "VALUES (%s, %s, %s, %s) ON CONFLICT (entry_id) DO UPDATE SET "
        "model_id = excluded.model_id, dimensions = excluded.dimensions, vector = excluded.vector",
        (entry_id, model_id, dimensions, vector),
    )


def context_vectors(conn: Any) -> dict[str, tuple[str, bytes]]:
    """entry id → (model id, float32 bytes) of every kept context vector."""
    rows = conn.execute("SELECT entry_id, model_id, vector FROM context_vectors")
    return {str(r[0]): (str(r[1]), bytes(r[2])) for r in rows}


def vectors_by_id(
    conn: Any, model_id: str, ids: Sequence[str] | None = None
) -> dict[str, tuple[str, bytes]]:
    """entry id → (content hash, float32 bytes) of every stored vector of a model (or of
    those of ids)."""
    params: list[Any] = [model_id] if ids is None else [model_id, list(ids)]
    where = "" if ids is None else " AND e.id = ANY(%s)"
    # Binary results: pgvector's own form converts to bytes far faster than text parses.
    with conn.cursor(binary=True) as cursor:
        cursor.execute(
            "SELECT e.id, v.content_hash, v.vector FROM embeddings v "
            "JOIN entries e ON e.seq = v.entry_seq WHERE v.model_id = %s" + where,
            params,
        )
        return {str(r[0]): (str(r[1]), bulk.read_vector(r[2])) for r in cursor}


def pieces_by_id(conn: Any, model_id: str) -> dict[str, StoredPieces]:
    """entry id → its body pieces stored under a model (see StoredPieces)."""
    found: dict[str, StoredPieces] = {}
    with conn.cursor(binary=True) as cursor:
        cursor.execute(
            "SELECT e.id, p.content_hash, p.piece_hash, p.vector FROM embedding_pieces p "
            "JOIN entries e ON e.seq = p.entry_seq WHERE p.model_id = %s ORDER BY e.id, p.piece",
            (model_id,),
        )
        for r in cursor:
            piece = (str(r[2]), bulk.read_vector(r[3]))
            found.setdefault(str(r[0]), (str(r[1]), []))[1].append(piece)
    return found
