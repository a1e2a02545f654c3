"""Backups, restore after validation, and health checks with repair of derived data."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from rekall.core.entries import content_hash, supersession_cycles
from rekall.core.errors import MigrationError, ModelError, StorageError, ValidationError
from rekall.search.model_files import MODEL_ID
from rekall.service.indexing import Progress, RebuildReport
from rekall.service.leftovers import remove_leftovers
from rekall.service.pieces import pieces_report, pieces_state
from rekall.storage import embeddings_repo, entries_repo, fts_repo, maintenance
from rekall.storage.connection import connect, read_generation, write_transaction
from rekall.storage.database import Database
from rekall.storage.embeddings_repo import PendingText
from rekall.storage.migrations import migrate
from rekall.storage.schema import SCHEMA_VERSION

Rebuild = Callable[[Progress | None], RebuildReport]
FTS_CHECK_ATTEMPTS = 3


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
    remove_leftovers(db.path.parent)
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
    with staged_backup(db.path, source) as (staged, version):
        kept = stamped_path(db.path, "before-restore")
        _replace_live(db, staged, kept)
    with db.read() as conn:
        entries = int(conn.execute("SELECT count(*) FROM entries").fetchone()[0])
    return RestoreReport(source, kept, version, entries)


def restore_over_unusable(db_path: Path, source: Path) -> RestoreReport:
    """Restore when the live file cannot be opened (corrupt, another program's, Rekall
    0.3's): it is moved aside unchanged and the checked backup takes its place.

    Raises ValidationError on a bad backup (nothing changed), StorageError on I/O errors.
    """
    with staged_backup(db_path, source) as (staged, version):
        conn = connect(staged)
        try:
            with write_transaction(conn):  # a new identity: no derived file matches it
                maintenance.stamp_as_successor(conn, 0, [])
            entries = int(conn.execute("SELECT count(*) FROM entries").fetchone()[0])
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        kept = stamped_path(db_path, "unusable")
        try:
            os.replace(db_path, kept)
            for suffix in ("-wal", "-shm"):
                side = db_path.with_name(db_path.name + suffix)
                if side.exists():
                    os.replace(side, kept.with_name(kept.name + suffix))
            os.replace(staged, db_path)
        except OSError as exc:
            raise StorageError(f"restoring into {db_path} failed: {exc}") from exc
    return RestoreReport(source, kept, version, entries)


@contextlib.contextmanager
def staged_backup(db_path: Path, source: Path) -> Iterator[tuple[Path, int]]:
    """A checked private copy of the backup beside the database, and its schema version."""
    if not source.is_file():
        raise ValidationError(f"{source}: no such backup file")
    if not maintenance.has_sqlite_header(source):
        raise ValidationError(f"{source} is not an SQLite database, so not a Rekall backup")
    remove_leftovers(db_path.parent)
    prefix = f"{maintenance.RESTORE_DIR_PREFIX}{os.getpid()}-"
    with tempfile.TemporaryDirectory(prefix=prefix, dir=db_path.parent) as folder:
        staged = Path(folder) / "staged.db"
        shutil.copyfile(source, staged)
        wal = source.with_name(source.name + "-wal")
        if wal.exists():
            shutil.copyfile(wal, staged.with_name(staged.name + "-wal"))
        yield staged, _validate_staged(staged, source)


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
    try:
        live = connect(db.path)
    except StorageError:
        staged_conn.close()
        raise
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


def run_checks(db: Database, model_id: str = MODEL_ID) -> list[Finding]:
    """Every health check, read-only; vectors not under model_id count as stale."""
    fts_problem = _fts_problem(db)
    with db.read() as conn:
        integrity = maintenance.integrity_problems(conn)
        pairs = list(embeddings_repo.texts_with_hashes(conn, model_id))
        other = sum(n for k, n in embeddings_repo.count_vectors(conn).items() if k != model_id)
        late, long = pieces_state(pairs, embeddings_repo.stored_pieces(conn, model_id))
        orphans = maintenance.orphan_links(conn)
        dangling = maintenance.dangling_supersessions(conn)
        cycles = supersession_cycles(entries_repo.supersessions(conn))
        orphan_vectors = maintenance.orphan_vectors(conn)
    missing, stale = _missing_and_stale(pairs)
    return [
        Finding("integrity", not integrity, "; ".join(integrity[:5]) or "SQLite reports ok"),
        Finding("keyword index", not fts_problem, fts_problem or "ok"),
        _vector_finding(
            model_id, len(pairs), (max(0, missing - other), stale, other), orphan_vectors
        ),
        Finding(
            "links",
            not orphans,
            "; ".join(f"{s} -> {t} ({k}) points to a missing entry" for s, t, k in orphans[:5])
            or "every link joins two existing entries",
        ),
        _supersession_finding(dangling, cycles),
        Finding("body pieces", *pieces_report(len(late), long)),
    ]


def _supersession_finding(
    dangling: list[tuple[str, str]], cycles: list[tuple[str, ...]]
) -> Finding:
    problems = [f"{e} is superseded by missing entry {s}" for e, s in dangling[:5]]
    problems += [
        f"{' -> '.join((*ring, ring[0]))} supersede each other in a ring; "
        "deprecate one of them again, superseded by an entry outside the ring"
        for ring in cycles[:5]
    ]
    return Finding(
        "superseded_by",
        not problems,
        "; ".join(problems) or "every superseded_by names an existing, newer entry",
    )


def _fts_problem(db: Database) -> str:
    """What is wrong with the FTS index, or "" when it matches the entries.

    FTS5's integrity check is an INSERT, so it needs the write lock. Run as the first
    statement of its own transaction it waits for other writers (busy_timeout); after a read
    in the same transaction it would fail at once whenever another process had committed
    meanwhile, and a busy database would be reported as a corrupt index.
    """
    problem = ""
    for _attempt in range(FTS_CHECK_ATTEMPTS):
        with db.read() as conn:
            try:
                fts_repo.check_fts(conn)
                return ""
            except sqlite3.DatabaseError as exc:
                problem = str(exc)
        if "locked" not in problem and "busy" not in problem:
            return f"the FTS index disagrees with the entries ({problem})"
    return f"not checked: the database stayed busy with other writers ({problem}); run it again"


def _missing_and_stale(pairs: list[tuple[PendingText, str | None]]) -> tuple[int, int]:
    """How many entries have no vector for the model, and how many one of older text."""
    missing = stale = 0
    for text, stored in pairs:
        if stored is None:
            missing += 1
        elif content_hash(text.embedding_text()) != stored:
            stale += 1
    return missing, stale


def _vector_finding(
    model_id: str, total: int, counts: tuple[int, int, int], orphans: int
) -> Finding:
    """counts: entries without a vector, with one of older text, with one of another model."""
    missing, stale, other = counts
    if not (missing or stale or other or orphans):
        return Finding("vectors", True, f"all {total} entries have a current vector ({model_id})")
    parts = [f"{missing} entries have no vector", f"{stale} have a stale vector"]
    if other:
        parts.append(f"{other} have a vector of another model or other weights")
    if orphans:
        parts.append(f"{orphans} vectors belong to no entry")
    return Finding("vectors", False, ", ".join(parts) + "; 'rekall check --repair' re-embeds")


def check(
    db: Database,
    rebuild: Rebuild | None,
    progress: Progress | None = None,
    model_id: str = MODEL_ID,
) -> CheckReport:
    """Run the checks; with rebuild given, repair derived data first and check again.

    Repair rebuilds the FTS index, drops vectors of deleted entries, re-embeds missing and
    stale vectors and rebuilds the vector index (its snapshot deleted). Entries are never
    changed, so broken links or superseded_by remain reported. model_id names the current
    model and weights: vectors under another id are stale.
    """
    cleaned = [
        f"removed {path.name}, left by an interrupted restore or backup"
        for path in remove_leftovers(db.path.parent)
    ]
    findings = run_checks(db, model_id)
    if rebuild is None:
        return CheckReport(findings, cleaned)
    failed = {finding.name for finding in findings if not finding.ok}
    repairs = cleaned
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
    return CheckReport(run_checks(db, model_id), repairs)
