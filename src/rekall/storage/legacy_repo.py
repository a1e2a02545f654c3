"""SQL for reading a database of the earlier Rekall 0.3, strictly read-only."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from pathlib import Path
from typing import Any

from rekall.core.errors import ValidationError

REQUIRED_ENTRY_COLUMNS = {"id", "title", "type", "created_at", "updated_at"}
OPTIONAL_ENTRY_COLUMNS = (
    "content",
    "project",
    "confidence",
    "status",
    "superseded_by",
    "memory_type",
    "last_accessed",
    "access_count",
    "consolidation_score",
    "next_review",
    "review_interval",
    "ease_factor",
    "centrality_score",
    "context_compressed",
    "context_structured",
    "context_blob",
)


def open_legacy(path: Path, *, immutable: bool) -> sqlite3.Connection:
    """Open read-only; immutable when no -wal file holds part of the data.

    Raises ValidationError when the file is not a database of the earlier Rekall.
    """
    flags = "mode=ro&immutable=1" if immutable else "mode=ro"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?{flags}", uri=True)
    except sqlite3.DatabaseError as exc:
        raise ValidationError(f"{path}: not a readable SQLite database ({exc})") from exc
    try:
        columns = table_columns(conn, "entries")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ValidationError(f"{path}: not a readable SQLite database ({exc})") from exc
    missing = REQUIRED_ENTRY_COLUMNS - columns
    if missing or "tags" not in table_names(conn):
        conn.close()
        raise ValidationError(
            f"{path}: not a database of the earlier Rekall (no entries and tags tables "
            "with id, title, type and timestamps)"
        )
    return conn


def table_names(conn: sqlite3.Connection) -> set[str]:
    """Names of the tables in the database."""
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}


def table_columns(conn: sqlite3.Connection, table: str) -> set[str]:
    """Column names of a table (empty when it does not exist)."""
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def schema_version(conn: sqlite3.Connection) -> int:
    """The PRAGMA user_version of the old database."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def read_entries(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every entry row as a dict; columns an older version lacks are None."""
    present = table_columns(conn, "entries")
    wanted = sorted(REQUIRED_ENTRY_COLUMNS) + list(OPTIONAL_ENTRY_COLUMNS)
    select = ", ".join(name if name in present else f"NULL AS {name}" for name in wanted)
    cursor = conn.execute(f"SELECT {select} FROM entries ORDER BY created_at, id")
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def read_grouped(conn: sqlite3.Connection, table: str, column: str) -> dict[str, list[str]]:
    """entry id → values of column in table (tags, context keywords); {} without the table."""
    if table not in table_names(conn):
        return {}
    grouped: dict[str, list[str]] = defaultdict(list)
    for row in conn.execute(f"SELECT entry_id, {column} FROM {table} ORDER BY entry_id, {column}"):
        grouped[row[0]].append(row[1])
    return grouped


def read_links(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every link with its type, reason and creation time; [] without a links table."""
    present = table_columns(conn, "links")
    if not {"source_id", "target_id", "relation_type"} <= present:
        return []
    reason = "reason" if "reason" in present else "NULL"
    created = "created_at" if "created_at" in present else "NULL"
    cursor = conn.execute(
        f"SELECT source_id, target_id, relation_type, {reason}, {created} FROM links "
        "ORDER BY source_id, target_id, relation_type"
    )
    return [
        {"source": r[0], "target": r[1], "type": r[2], "reason": r[3], "created_at": r[4]}
        for r in cursor
    ]


def read_vectors(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every stored vector: entry_id, embedding_type, model_name, dimensions, vector bytes."""
    needed = {"entry_id", "embedding_type", "vector", "dimensions", "model_name"}
    if not needed <= table_columns(conn, "embeddings"):
        return []
    cursor = conn.execute(
        "SELECT entry_id, embedding_type, model_name, dimensions, vector FROM embeddings "
        "ORDER BY entry_id, embedding_type"
    )
    return [
        {
            "entry_id": r[0],
            "embedding_type": r[1],
            "model_name": r[2],
            "dimensions": r[3],
            "vector": bytes(r[4]) if r[4] is not None else b"",
        }
        for r in cursor
    ]
