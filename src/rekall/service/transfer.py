"""Export the base to JSON or Markdown, and import either back by a chosen strategy."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rekall.core.entries import content_hash
from rekall.core.errors import StorageError, ValidationError
from rekall.core.export_format import build_document, document_to_json, parse_json_document
from rekall.core.export_vectors import ExportVectors
from rekall.core.import_plan import BaseState, ImportPlan, plan_import
from rekall.core.markdown_format import entry_to_markdown, markdown_file_name, parse_markdown_entry
from rekall.core.records import EntryRecord, ExportDocument, LinkRecord
from rekall.service.import_writer import (
    PreparedVectors,
    VectorSupply,
    check_vector_values,
    prepare_vectors,
    supply_from_export,
    write_plan,
)
from rekall.service.indexing import Indexer, Progress
from rekall.service.semantic import DIMENSIONS

if TYPE_CHECKING:
    from rekall.storage.contract import Repositories, Store

EXPORT_FORMATS = ("json", "markdown")
# An export of 50,000 entries with their vectors is about 200 MB; parsing JSON takes a few
# times its size in memory, so a larger file is refused before it is read.
MAX_IMPORT_BYTES = 256 * 1024 * 1024
# One exported Markdown entry: the content limit plus its front matter.
MAX_MARKDOWN_BYTES = 2 * 1024 * 1024
READ_CHUNK = 1024 * 1024
# After writing this many entries at once, the planner's statistics are refreshed (the
# threshold PostgreSQL's autovacuum starts from).
BULK_WRITE_ENTRIES = 50


@dataclass
class ImportReport:
    """What an import changed (or, in a dry run, would change)."""

    source: str
    strategy: str
    dry_run: bool
    added: int = 0
    replaced: int = 0
    merged: int = 0
    skipped: int = 0
    unchanged: int = 0
    links_added: int = 0
    links_removed: int = 0
    embedded: int = 0
    vectors_reused: int = 0
    without_vector: int = 0
    context_vectors: int = 0
    notices: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_document(db: Store, model_id: str | None = None) -> ExportDocument:
    """The whole base as one consistent document, entries and links in id order.

    With model_id, the document carries that model's vectors that still match their
    entry's text (a vector of older text is left out, so the import embeds it again).
    """
    with db.read() as conn:
        return document_in(db.repos, conn, model_id)


def document_in(repos: Repositories, conn: Any, model_id: str | None) -> ExportDocument:
    """read_document inside the caller's read, which may read more in the same snapshot."""
    records = repos.transfer.read_records(conn)
    links = repos.transfer.read_links(conn)
    stored = {} if model_id is None else repos.transfer.vectors_by_id(conn, model_id)
    items = {
        entry_id: (digest, blob)
        for entry_id, (digest, blob) in stored.items()
        if entry_id in records
        and len(blob) == DIMENSIONS * 4
        and digest == content_hash(records[entry_id].embedding_text())
    }
    vectors = ExportVectors(model_id, DIMENSIONS, items) if model_id and items else None
    return ExportDocument(tuple(records.values()), tuple(links), vectors)


def export_json(
    db: Store, output: Path | None, model_id: str | None = None
) -> tuple[str, ExportDocument]:
    """The base as export JSON, with model_id's vectors when given; also written atomically
    to output when given."""
    document = read_document(db, model_id)
    text = document_to_json(document)
    if output is not None:
        partial = output.with_name(output.name + ".partial")
        try:
            partial.write_text(text, encoding="utf-8")
            os.replace(partial, output)
        except OSError as exc:
            raise StorageError(f"cannot write {output}: {exc.strerror or exc}") from exc
    return text, document


def export_markdown(db: Store, directory: Path) -> ExportDocument:
    """One Markdown file per entry in directory, which must be new or empty."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ValidationError(
            f"{directory} exists and is not an empty directory; choose a new one so no file "
            "of yours is overwritten"
        )
    document = read_document(db)
    outgoing: dict[str, list[LinkRecord]] = defaultdict(list)
    for link in document.links:
        outgoing[link.source].append(link)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for record in document.entries:
            text = entry_to_markdown(record, outgoing.get(record.id, []))
            (directory / markdown_file_name(record)).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise StorageError(f"cannot write to {directory}: {exc.strerror or exc}") from exc
    return document


def load_document(path: Path) -> ExportDocument:
    """Read and validate an export file, or a directory of exported Markdown files.

    Raises ValidationError naming the file and what is wrong with it.
    """
    if path.is_dir():
        return _load_markdown_dir(path)
    if path.suffix.lower() in (".md", ".markdown"):
        record, links = parse_markdown_entry(read_bounded(path, MAX_MARKDOWN_BYTES), str(path))
        return build_document([record], links, str(path))
    document = parse_json_document(read_bounded(path, MAX_IMPORT_BYTES), str(path))
    if document.vectors is not None:
        check_vector_values(document.vectors, str(path))
    return document


def _load_markdown_dir(directory: Path) -> ExportDocument:
    files = sorted(p for p in directory.iterdir() if p.suffix.lower() == ".md" and p.is_file())
    if not files:
        raise ValidationError(f"{directory}: no .md files to import")
    records: list[EntryRecord] = []
    links: list[LinkRecord] = []
    for path in files:
        record, outgoing = parse_markdown_entry(read_bounded(path, MAX_MARKDOWN_BYTES), str(path))
        records.append(record)
        links.extend(outgoing)
    return build_document(records, links, str(directory))


def check_source(path: Path, missing: str = "no such file or directory") -> None:
    """Raise ValidationError unless path names something that exists and can be looked at
    (a NUL byte or a name past the system's length cannot)."""
    shown = str(path) if len(str(path)) <= 200 else str(path)[:200] + "…"
    try:
        path.stat()
    except FileNotFoundError:
        raise ValidationError(f"{shown}: {missing}") from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ValidationError(f"{shown}: cannot be read ({reason})") from None


def read_bounded(path: Path, limit: int) -> bytes:
    """The file's bytes, read in chunks and never more than limit (a device such as
    /dev/zero or a pipe has no size to check first). Raises ValidationError when larger,
    binary (a NUL byte) or unreadable."""
    try:
        with path.open("rb") as handle:
            if path.is_file() and os.fstat(handle.fileno()).st_size > limit:
                raise ValidationError(_too_large(path, limit))
            chunks: list[bytes] = []
            size = 0
            while chunk := handle.read(READ_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise ValidationError(_too_large(path, limit))
                if b"\x00" in chunk:
                    offset = size - len(chunk) + chunk.index(0)
                    raise ValidationError(
                        f"{path}: contains a NUL byte at offset {offset}; this is binary data, "
                        "not a Rekall export"
                    )
                chunks.append(chunk)
    except FileNotFoundError as exc:
        raise ValidationError(f"{path}: no such file or directory") from exc
    except OSError as exc:
        raise ValidationError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    return b"".join(chunks)


def _too_large(path: Path, limit: int) -> str:
    return (
        f"{path}: larger than {limit // (1024 * 1024)} MB, the most Rekall imports at once; "
        "split it into several files, or export and import it as Markdown files"
    )


def read_state(repos: Repositories, conn: Any, document: ExportDocument) -> BaseState:
    """What the base holds for the entries and links a document mentions."""
    ids = [record.id for record in document.entries]
    sources = sorted({*ids, *(link.source for link in document.links)})
    referenced = {r.superseded_by for r in document.entries if r.superseded_by}
    referenced |= {end for link in document.links for end in (link.source, link.target)}
    return BaseState(
        records=repos.transfer.read_records(conn, ids),
        links=tuple(repos.transfer.read_links(conn, sources)),
        known_ids=frozenset(repos.transfer.existing_ids(conn, referenced)),
    )


def _write_in_one_transaction(
    db: Store,
    document: ExportDocument,
    how: tuple[str, str],
    vectors: PreparedVectors,
    supply: VectorSupply,
    finish: Callable[[Any, int], None] | None,
    verify: Callable[[Any], None] | None,
) -> ImportPlan:
    """Re-plan, write, finish, verify: one transaction (how: strategy, source)."""
    strategy, source = how
    with db.write() as (conn, generation):
        # Re-plan on what the base holds now: another process may have written meanwhile.
        plan = plan_import(document, read_state(db.repos, conn, document), strategy, source)
        write_plan(db.repos, conn, plan, vectors, supply, generation)
        if finish is not None:
            finish(conn, generation)
        if verify is not None:
            verify(conn)  # raising rolls the whole import back
    return plan


def import_document(
    db: Store,
    indexer: Indexer,
    document: ExportDocument,
    *,
    source: str,
    strategy: str,
    dry_run: bool,
    progress: Progress | None = None,
    supply: VectorSupply | None = None,
    verify: Callable[[Any], None] | None = None,
    finish: Callable[[Any, int], None] | None = None,
) -> ImportReport:
    """Plan, embed, then write everything in one transaction.

    Nothing is written when planning fails (ValidationError names the problem), in a dry
    run, or when verify(conn), called before commit, raises. Vectors are embedded before the
    write, in batches, reporting to progress. finish(conn, generation), given when the caller
    has more to write, runs in the same transaction after the plan is written (the write
    then happens even when the plan changes nothing), verify after it.
    """
    model_id = indexer.engine.model_id
    carried: list[str] = []
    if supply is None:
        supply, carried = supply_from_export(document.vectors, model_id, DIMENSIONS, source)
    with db.read() as conn:
        plan = plan_import(document, read_state(db.repos, conn, document), strategy, source)
        hashes = db.repos.transfer.seqs_and_hashes(conn, [r.id for r in plan.writes], model_id)
    report = ImportReport(source, strategy, dry_run)
    vectors = prepare_vectors(indexer, plan.writes, hashes, supply, progress, dry_run)
    if not dry_run and (plan.writes or plan.links_added or plan.links_removed or finish):
        plan = _write_in_one_transaction(
            db, document, (strategy, source), vectors, supply, finish, verify
        )
        if len(plan.writes) >= BULK_WRITE_ENTRIES:
            _refresh_statistics(db, report)
    _fill_report(report, plan, vectors.counts)
    report.notices.extend([*carried, *vectors.notices])
    return report


def _refresh_statistics(db: Store, report: ImportReport) -> None:
    # The import has committed: a failure here must not report it as failed.
    try:
        db.query(db.repos.meta.refresh_statistics)
    except StorageError as exc:
        report.notices.append(f"the planner's statistics were not refreshed ({exc})")


def _fill_report(report: ImportReport, plan: ImportPlan, counts: dict[str, int]) -> None:
    for outcome in ("added", "replaced", "merged", "skipped", "unchanged"):
        setattr(report, outcome, plan.count(outcome))
    report.links_added = len(plan.links_added)
    report.links_removed = len(plan.links_removed)
    for name, value in counts.items():
        setattr(report, name, value)
