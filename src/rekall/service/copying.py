"""`rekall db copy`: one base into another (SQLite file ⇄ PostgreSQL), verified, all or nothing."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rekall.core.errors import (
    CopyMismatchError,
    RefusedWriteError,
    ValidationError,
)
from rekall.core.records import EntryRecord, ExportDocument
from rekall.service import copy_derived
from rekall.service.import_writer import VectorSupply, supply_from_export
from rekall.service.indexing import Progress
from rekall.service.refusal_messages import copy_refused, raise_if_written_meanwhile
from rekall.service.semantic import DIMENSIONS
from rekall.service.transfer import ImportReport, document_in, import_document
from rekall.storage.refusals import refusals_named

if TYPE_CHECKING:
    from rekall.service.facade import Rekall
    from rekall.storage.contract import Store
    from rekall.storage.transfer_repo import StoredPieces


@dataclass
class CopyReport:
    """What a copy found in the source and did to the target."""

    source: str
    target: str
    entries: int = 0
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    links: int = 0
    links_added: int = 0
    links_removed: int = 0
    vectors_copied: int = 0
    vectors_replaced: int = 0
    embedded: int = 0
    piece_vectors_copied: int = 0
    long_without_pieces: int = 0
    context_vectors: int = 0
    other_target_entries: int = 0
    source_tokens: int = 0
    seconds: float = 0.0
    verified: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class SourceData:
    """Everything read from the source in one consistent snapshot."""

    document: ExportDocument
    supply: VectorSupply
    model_id: str
    pieces: dict[str, StoredPieces] = field(default_factory=dict)
    tokens: int = 0

    @property
    def records(self) -> dict[str, EntryRecord]:
        return {record.id: record for record in self.document.entries}


def copy_base(source: Rekall, target: Rekall, progress: Progress | None = None) -> CopyReport:
    """Copy every entry, tag, link, context, review state and vector of source into target.

    Entries are matched by id and made equal to the source's (re-running changes nothing).
    Vectors follow the export's rule: those of the weights in use (their fingerprint) whose
    text is unchanged are copied with their body pieces, never re-embedded, even over an
    unchanged entry's; the others are not, and those entries are embedded. Everything is
    written in one transaction and compared field by field and bit for bit before it commits.
    Raises StorageError when that fails or the target refuses a write (nothing is written;
    when another process wrote to the target after the copy read it, the error says so),
    ValidationError when both are the same base.
    """
    if source.db.location == target.db.location:
        raise ValidationError(f"the source and the target are the same base ({source.db.location})")
    started = time.perf_counter()
    data = read_source(source.db, target.semantic.model_id)
    report = CopyReport(source.db.location, target.db.location, len(data.records))
    report.links, report.source_tokens = len(data.document.links), data.tokens
    with target.db.read() as conn:
        seen = target.db.repos.meta.meta_value(conn, "generation") or 0
        found = copy_derived.differences(target.db.repos, conn, data.supply, data.pieces)
    try:
        with refusals_named(target.db):
            imported = _write(source, target, data, found, report, progress)
    except CopyMismatchError as error:
        raise_if_written_meanwhile(target.db, seen, error)
        raise
    except RefusedWriteError as error:
        known = raise_if_written_meanwhile(target.db, seen, error)
        raise copy_refused(target.db.location, error, known) from error
    _count_imported(report, imported, found)
    with target.db.read() as conn:
        total = target.db.repos.entries.count_entries(conn).get("total", 0)
    report.other_target_entries = total - report.entries
    report.seconds = time.perf_counter() - started
    return report


def _write(
    source: Rekall,
    target: Rekall,
    data: SourceData,
    found: copy_derived.Differences,
    report: CopyReport,
    progress: Progress | None,
) -> ImportReport:
    """The copy's one write, verified before it commits; or, when nothing needed writing,
    the target compared with the source all the same."""
    imported = import_document(
        target.db,
        target.indexer,
        data.document,
        source=source.db.location,
        strategy="replace",
        dry_run=False,
        progress=progress,
        supply=data.supply,
        verify=lambda conn: report.verified.extend(verify_copy(target.db, conn, data, report)),
        finish=_finisher(target.db, data, found) if found.vectors or found.pieces else None,
    )
    if not report.verified:
        with target.db.read() as conn:
            report.verified = verify_copy(target.db, conn, data, report)
    return imported


def _finisher(
    db: Store, data: SourceData, found: copy_derived.Differences
) -> Callable[[Any, int], None]:
    """The copy's last writes: the vectors and body pieces the target does not hold yet."""

    def finish(conn: Any, generation: int) -> None:
        copy_derived.make_equal(db.repos, conn, generation, found, data.supply, data.pieces)

    return finish


def _count_imported(
    report: CopyReport, imported: ImportReport, found: copy_derived.Differences
) -> None:
    """Set the report's counts of what the import into the target added, replaced and kept."""
    report.added, report.replaced = imported.added, imported.replaced
    report.unchanged = imported.unchanged
    report.links_added, report.links_removed = imported.links_added, imported.links_removed
    report.vectors_copied, report.embedded = imported.vectors_reused, imported.embedded
    report.vectors_replaced = found.vectors_replaced
    report.piece_vectors_copied = found.pieces_written
    report.context_vectors = imported.context_vectors


def read_source(db: Store, model_id: str) -> SourceData:
    """The source as an export under model_id reads it (that model's vectors that still match
    their entry's text included), the body pieces of those vectors, its context vectors and
    how many tokens it records, in one snapshot."""
    with db.read() as conn:
        document = document_in(db.repos, conn, model_id)
        contexts = db.repos.transfer.context_vectors(conn)
        pieces = db.repos.transfer.pieces_by_id(conn, model_id)
        tokens = db.repos.tokens.count_tokens(conn)
    # The same rule as an import of the export: vectors of model_id, each with its text hash.
    supply, _ = supply_from_export(document.vectors, model_id, DIMENSIONS, db.location)
    context = {
        entry_id: (model, len(blob) // 4, blob) for entry_id, (model, blob) in contexts.items()
    }
    supply = dataclasses.replace(supply, context=context)
    records = {record.id: record for record in document.entries}
    pieces = copy_derived.current_pieces(records, supply, pieces)
    return SourceData(document, supply, model_id, pieces, tokens)


def verify_copy(db: Store, conn: Any, data: SourceData, report: CopyReport) -> list[str]:
    """Inside the target's write: compare what it now holds with the source, field by field,
    and the vectors and body pieces stored under the model in use with those copied.

    Returns what was checked; sets how many long entries have no body pieces in the target.
    Raises StorageError naming the first difference.
    """
    records = data.records
    ids = list(records)
    stored = db.repos.transfer.read_records(conn, ids)
    for entry_id, record in records.items():
        differences = _differences(record, stored.get(entry_id))
        if differences:
            raise CopyMismatchError(
                f"the copy of entry {entry_id} differs from the source in {differences}; "
                "nothing was written"
            )
    links = {link.key: link for link in db.repos.transfer.read_links(conn, ids)}
    missing = [link.key for link in data.document.links if links.get(link.key) != link]
    if missing:
        raise CopyMismatchError(f"link {missing[0]} did not copy; nothing was written")
    model_id = data.model_id
    vectors = db.repos.transfer.vectors_by_id(conn, model_id)
    # The text hash too: the same bytes stored under another text are not the source's vector.
    hashes = data.supply.text_hashes
    wrong = [i for i, blob in data.supply.summary.items() if vectors.get(i) != (hashes[i], blob)]
    del vectors  # the pieces are read next; a large base's two maps need not both be held
    if wrong:
        raise CopyMismatchError(f"the vector of entry {wrong[0]} did not copy; nothing was written")
    pieces, report.long_without_pieces = copy_derived.verify_pieces(
        db.repos, conn, records, data.pieces, model_id
    )
    return [
        f"{len(ids)} entries",
        f"{len(data.document.links)} links",
        f"{len(data.supply.summary)} vectors",
        f"{pieces} body-piece vectors",
    ]


def _differences(expected: EntryRecord, found: EntryRecord | None) -> list[str]:
    if found is None:
        return ["existence"]
    return [
        item.name
        for item in dataclasses.fields(EntryRecord)
        if getattr(expected, item.name) != getattr(found, item.name)
    ]


def copy_notices(report: CopyReport) -> list[str]:
    """What the copy left as it was or did not carry, and what to run about it."""
    notices = []
    if report.other_target_entries:
        notices.append(
            f"The target also holds {report.other_target_entries} entries not in the source; "
            "they were left as they were."
        )
    if report.long_without_pieces:
        notices.append(
            f"{report.long_without_pieces} long entries have no body-piece vectors in the "
            "target (the source had none current to copy, or the copy embedded them): "
            "semantic search reads only their start until 'rekall index rebuild', run on "
            "the target, embeds them."
        )
    if report.source_tokens:
        notices.append(
            f"The source's {report.source_tokens} tokens (revoked ones included) are not "
            "copied: they belong to the base that checks them; make the target's with "
            "'rekall token create NAME' there."
        )
    return notices


def open_location(location: str) -> Rekall:
    """The facade on a PostgreSQL URL or a SQLite file path (created if missing)."""
    from rekall.config import load_config
    from rekall.service.facade import Rekall
    from rekall.storage.postgres.connection import is_postgres_url

    config = load_config()
    if is_postgres_url(location):
        return Rekall(config._replace(database_url=location))
    return Rekall(config._replace(database_url=""), db_file=Path(location).expanduser())
