"""Bringing in a database of the earlier Rekall 0.3: every field, context, link and vector."""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rekall.core.errors import ValidationError
from rekall.core.export_format import build_document
from rekall.core.record_checks import link_from_dict, record_from_dict
from rekall.core.records import ExportDocument
from rekall.search.model_files import MODEL_ID
from rekall.service.import_writer import VectorSupply
from rekall.service.indexing import Indexer, Progress
from rekall.service.semantic import DIMENSIONS
from rekall.service.transfer import ImportReport, import_document
from rekall.storage import legacy_repo

if TYPE_CHECKING:
    from rekall.storage.contract import Store

STATUS_NAMES = {"obsolete": "deprecated"}

# Rekall 0.3 embedded slightly different text (cosine 0.963-0.997 against ours): its vectors
# are kept, but under an id of their own, so they are never taken for current ones.
LEGACY_MODEL_ID = f"{MODEL_ID}@rekall-0.3"
LEGACY_VECTORS_NOTICE = (
    f"{{count}} vectors from Rekall 0.3 were kept as another model's ({LEGACY_MODEL_ID}): "
    "they were computed from slightly different text, so semantic search does not use them. "
    "Run 'rekall index rebuild' to embed those entries with the current model."
)


@dataclass(frozen=True)
class LegacyData:
    """What an earlier database holds, converted: the document and the reusable vectors."""

    document: ExportDocument
    supply: VectorSupply
    other_model_vectors: int


def import_legacy(
    db: Store,
    indexer: Indexer,
    path: Path,
    *,
    strategy: str,
    dry_run: bool,
    progress: Progress | None = None,
) -> ImportReport:
    """Import everything from an earlier database; vectors of this model are reused as is."""
    data = read_legacy(path)
    report = import_document(
        db,
        indexer,
        data.document,
        source=str(path),
        strategy=strategy,
        dry_run=dry_run,
        progress=progress,
        supply=data.supply,
    )
    if report.vectors_reused:
        report.notices.append(LEGACY_VECTORS_NOTICE.format(count=report.vectors_reused))
    if data.other_model_vectors:
        report.notices.append(
            f"{data.other_model_vectors} stored vectors came from another model and were "
            f"not reused; those entries are embedded with {MODEL_ID} instead"
        )
    return report


def read_legacy(path: Path) -> LegacyData:
    """Read and validate an earlier database without changing it. Raises ValidationError."""
    if not path.is_file():
        raise ValidationError(f"{path}: no such database file")
    with _readable_copy(path) as (source, immutable):
        conn = legacy_repo.open_legacy(source, immutable=immutable)
        try:
            return _convert(conn, str(path))
        except sqlite3.DatabaseError as exc:
            raise ValidationError(f"{path}: cannot be read ({exc})") from exc
        finally:
            conn.close()


@contextmanager
def _readable_copy(path: Path) -> Iterator[tuple[Path, bool]]:
    """The file itself (opened immutable), or a private copy when a -wal holds part of it."""
    wal = path.with_name(path.name + "-wal")
    if not wal.exists() or wal.stat().st_size == 0:
        yield path, True
        return
    with tempfile.TemporaryDirectory(prefix="rekall-legacy-") as folder:
        copy = Path(folder) / path.name
        shutil.copyfile(path, copy)
        shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
        yield copy, False


def _convert(conn: sqlite3.Connection, source: str) -> LegacyData:
    tags = legacy_repo.read_grouped(conn, "tags", "tag")
    keywords = legacy_repo.read_grouped(conn, "context_keywords", "keyword")
    rows = legacy_repo.read_entries(conn)
    records = []
    for number, row in enumerate(rows, 1):
        where = f"{source}: entry {number}"
        fields = entry_fields(row, tags.get(row["id"], []), keywords.get(row["id"], []), where)
        records.append(record_from_dict(fields, where))
    created = {row["id"]: row["created_at"] for row in rows}
    links = []
    for number, link in enumerate(legacy_repo.read_links(conn), 1):
        # A link without a date (very old versions) gets its source entry's creation date.
        link["created_at"] = link["created_at"] or created.get(link["source"])
        links.append(link_from_dict(link, f"{source}: link {number}"))
    supply, other = _vectors(conn, set(created))
    return LegacyData(build_document(records, links, source), supply, other)


def entry_fields(
    row: dict[str, Any], tags: list[str], keywords: list[str], where: str
) -> dict[str, Any]:
    """An old entry row as the fields of an export entry (still to be validated)."""
    structured = _structured(row, where)
    legacy_text = _inflate(row["context_compressed"], f"{where}: context_compressed")
    context = None
    if structured is not None or legacy_text is not None or keywords:
        context = {"structured": structured, "legacy_text": legacy_text, "keywords": keywords}
    status = row["status"] or "active"
    return {
        "id": row["id"],
        "type": row["type"],
        "title": row["title"],
        "content": row["content"] or "",
        "tags": tags,
        "project": row["project"],
        "status": STATUS_NAMES.get(status, status),
        "confidence": 2 if row["confidence"] is None else row["confidence"],
        "superseded_by": row["superseded_by"] or None,
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "access_count": row["access_count"] or 0,
        **{
            name: row[name]
            for name in (
                "last_accessed",
                "memory_type",
                "consolidation_score",
                "next_review",
                "review_interval",
                "ease_factor",
                "centrality_score",
            )
        },
        "context": context,
    }


def _inflate(blob: bytes | None, where: str) -> str | None:
    """A zlib stream of UTF-8 text, as the earlier Rekall stored context."""
    if blob is None:
        return None
    try:
        return zlib.decompress(bytes(blob)).decode("utf-8")
    except (zlib.error, UnicodeDecodeError) as exc:
        raise ValidationError(f"{where}: cannot be decoded ({exc})") from exc


def _structured(row: dict[str, Any], where: str) -> dict[str, Any] | None:
    """The structured context: the compressed copy first, else the plain JSON text."""
    text = _inflate(row["context_blob"], f"{where}: context_blob")
    if text is None:
        text = row["context_structured"]
    if text is None:
        return None
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, TypeError) as exc:
        raise ValidationError(f"{where}: the structured context is not valid JSON") from exc
    if not isinstance(value, dict):
        raise ValidationError(f"{where}: the structured context is not a JSON object")
    return value


def _vectors(conn: sqlite3.Connection, entry_ids: set[str]) -> tuple[VectorSupply, int]:
    """Vectors of this model (kept byte for byte, as Rekall 0.3's) and how many others were left."""
    summary: dict[str, bytes] = {}
    context: dict[str, tuple[str, int, bytes]] = {}
    other = 0
    for row in legacy_repo.read_vectors(conn):
        if row["entry_id"] not in entry_ids:
            continue
        blob = row["vector"]
        usable = (
            row["model_name"] == MODEL_ID
            and row["dimensions"] == DIMENSIONS
            and len(blob) == DIMENSIONS * 4
        )
        if not usable:
            other += 1
        elif row["embedding_type"] == "summary":
            summary[row["entry_id"]] = blob
        elif row["embedding_type"] == "context":
            context[row["entry_id"]] = (LEGACY_MODEL_ID, DIMENSIONS, blob)
    return VectorSupply(summary, context, LEGACY_MODEL_ID), other
