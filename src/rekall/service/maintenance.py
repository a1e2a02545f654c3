"""Backups, restore after validation, and health checks with repair of derived data."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from rekall.core.entries import content_hash
from rekall.core.errors import MigrationError, ModelError, StorageError, ValidationError
from rekall.search.model_files import MODEL_ID
from rekall.service.indexing import Progress, RebuildReport
from rekall.storage import embeddings_repo, fts_repo, maintenance
from rekall.storage.connection import connect, read_generation, write_transaction
from rekall.storage.database import Database
from rekall.storage.embeddings_repo import PendingText
from rekall.storage.migrations import migrate
from rekall.storage.schema import SCHEMA_VERSION

Rebuild = Callable[[Progress | None], RebuildReport]


@dataclass(frozen=True)
class Finding:
    """One health check: its name, whether it passed, and what was found."""

    name: str
    ok: bool
    detail: str


@dataclass
class CheckReport:
    """The findings of `rekall check` and, with --repair, what was repaired."""

    findings: list[Finding]
    repairs: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return all(finding.ok for finding in self.findings)


@dataclass(frozen=True)
class RestoreReport:
    """Where the restored data came from and where the replaced database was kept."""

    restored_from: Path
    kept_copy: Path
    schema_version: int
    entries: int


def stamped_path(db_path: Path, label: str) -> Path:
    """A new file beside the database, named with label and the UTC time."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    candidate = db_path.with_name(f"{db_path.stem}-{label}-{stamp}.db")
    counter = 1
    while candidate.exists():
        candidate = db_path.with_name(f"{db_path.stem}-{label}-{stamp}-{counter}.db")
        counter += 1
    return candidate


def backup(db: Database, target: Path | None = None) -> Path:
    """Copy the base, consistent even while other processes write; return the new file.

    Raises ValidationError when target already exists as a file, StorageError on I/O errors.
    """
    if target is None:
        target = stamped_path(db.path, "backup")
    elif target.is_dir():
        target = stamped_path(target / db.path.name, "backup")
    elif target.exists():
        raise ValidationError(f"{target} already exists; choose a new file name")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        source = connect(db.path, readonly=True)
        try:
            maintenance.backup_to(source, target)
        finally:
            source.close()
    except (sqlite3.Error, OSError) as exc:
        raise StorageError(f"could not write the backup {target}: {exc}") from exc
    return target


def restore(db: Database, source: Path) -> RestoreReport:
    """Replace the base with a backup after checking it; the replaced base is kept beside it.

    The backup is checked on a private copy (SQLite file, Rekall schema this version can
    open or upgrade, integrity_check ok) before anything changes. Raises ValidationError
    naming the problem, and then nothing has changed.
    """
    if not source.is_file():
        raise ValidationError(f"{source}: no such backup file")
    if not maintenance.has_sqlite_header(source):
        raise ValidationError(f"{source} is not an SQLite database, so not a Rekall backup")
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=db.path.parent) as folder:
        staged = Path(folder) / "staged.db"
        shutil.copyfile(source, staged)
        wal = source.with_name(source.name + "-wal")
        if wal.exists():
            shutil.copyfile(wal, staged.with_name(staged.name + "-wal"))
        version = _validate_staged(staged, source)
        kept = stamped_path(db.path, "before-restore")
        _replace_live(db, staged, kept)
    with db.read() as conn:
        entries = int(conn.execute("SELECT count(*) FROM entries").fetchone()[0])
    return RestoreReport(source, kept, version, entries)


def _validate_staged(staged: Path, source: Path) -> int:
    """Check the private copy and upgrade it to the current schema; return its old version."""
    conn = sqlite3.connect(staged)
    try:
        problems = maintenance.integrity_problems(conn)
        if problems:
            raise ValidationError(
                f"{source} failed SQLite's integrity check ({'; '.join(problems[:3])}); "
                "it cannot be restored"
            )
        version = maintenance.check_rekall_schema(conn, SCHEMA_VERSION, str(source))
    except sqlite3.DatabaseError as exc:
        raise ValidationError(f"{source} cannot be read as a database ({exc})") from exc
    finally:
        conn.close()
    conn = connect(staged)
    try:
        migrate(conn, staged)
    except MigrationError as exc:
        raise ValidationError(f"{source} cannot be upgraded to this Rekall: {exc}") from exc
    finally:
        conn.close()
    return version


def _replace_live(db: Database, staged: Path, kept: Path) -> None:
    with db.read() as conn:
        generation = read_generation(conn)
        seqs = sorted(maintenance.vector_seqs(conn))
    staged_conn = connect(staged)
    live = connect(db.path)
    try:
        with write_transaction(staged_conn):
            maintenance.stamp_as_successor(staged_conn, generation, seqs)
        maintenance.match_page_size(staged_conn, live)
        maintenance.backup_to(live, kept)
        maintenance.copy_into(staged_conn, live)
    except (sqlite3.Error, OSError) as exc:
        raise StorageError(
            f"restoring into {db.path} failed ({exc}); nothing was replaced"
        ) from exc
    finally:
        staged_conn.close()
        live.close()


def run_checks(db: Database) -> list[Finding]:
    """Every health check, read-only."""
    with db.read() as conn:
        integrity = maintenance.integrity_problems(conn)
        try:
            fts_repo.check_fts(conn)
            fts_problem = ""
        except sqlite3.DatabaseError as exc:
            fts_problem = str(exc)
        pairs = list(embeddings_repo.texts_with_hashes(conn, MODEL_ID))
        orphans = maintenance.orphan_links(conn)
        dangling = maintenance.dangling_supersessions(conn)
        orphan_vectors = maintenance.orphan_vectors(conn)
    missing, stale = _missing_and_stale(pairs)
    return [
        Finding("integrity", not integrity, "; ".join(integrity[:5]) or "SQLite reports ok"),
        Finding(
            "keyword index",
            not fts_problem,
            f"the FTS index disagrees with the entries ({fts_problem})" if fts_problem else "ok",
        ),
        _vector_finding(len(pairs), missing, stale, orphan_vectors),
        Finding(
            "links",
            not orphans,
            "; ".join(f"{s} -> {t} ({k}) points to a missing entry" for s, t, k in orphans[:5])
            or "every link joins two existing entries",
        ),
        Finding(
            "superseded_by",
            not dangling,
            "; ".join(f"{e} is superseded by missing entry {s}" for e, s in dangling[:5])
            or "every superseded_by names an existing entry",
        ),
    ]


def _missing_and_stale(pairs: list[tuple[PendingText, str | None]]) -> tuple[int, int]:
    """How many entries have no vector for the model, and how many one of older text."""
    missing = stale = 0
    for text, stored in pairs:
        if stored is None:
            missing += 1
        elif content_hash(text.embedding_text()) != stored:
            stale += 1
    return missing, stale


def _vector_finding(total: int, missing: int, stale: int, orphans: int) -> Finding:
    if not (missing or stale or orphans):
        return Finding("vectors", True, f"all {total} entries have a current vector ({MODEL_ID})")
    parts = [f"{missing} entries have no vector", f"{stale} have a stale vector"]
    if orphans:
        parts.append(f"{orphans} vectors belong to no entry")
    return Finding("vectors", False, ", ".join(parts) + "; 'rekall check --repair' re-embeds")


def check(db: Database, rebuild: Rebuild | None, progress: Progress | None = None) -> CheckReport:
    """Run the checks; with rebuild given, repair derived data first and check again.

    Repair rebuilds the FTS index, drops vectors of deleted entries, re-embeds missing and
    stale vectors and rebuilds the vector index (its snapshot deleted). Entries are never
    changed, so broken links or superseded_by remain reported.
    """
    findings = run_checks(db)
    if rebuild is None:
        return CheckReport(findings)
    failed = {finding.name for finding in findings if not finding.ok}
    repairs: list[str] = []
    with db.write() as (conn, _):
        if failed & {"integrity", "keyword index"}:
            fts_repo.rebuild_fts(conn)
            repairs.append("rebuilt the keyword index from the entries")
        if maintenance.orphan_vectors(conn):
            maintenance.delete_orphan_vectors(conn)
            repairs.append("deleted vectors of entries that no longer exist")
    try:
        report = rebuild(progress)
        repairs.append(f"re-embedded {report.embedded} entries and rebuilt the vector index")
    except ModelError as exc:
        repairs.append(f"could not re-embed: {exc}")
    return CheckReport(run_checks(db), repairs)
