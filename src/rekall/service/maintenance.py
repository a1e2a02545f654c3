"""Health checks of a base, and repair of its derived data."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from rekall.core.entries import content_hash, supersession_cycles
from rekall.core.errors import ModelError
from rekall.search.model_files import MODEL_ID
from rekall.service.indexing import Progress, RebuildReport
from rekall.service.leftovers import remove_leftovers
from rekall.service.pieces import pieces_report, pieces_state
from rekall.storage import fts_repo, maintenance
from rekall.storage.database import Database
from rekall.storage.vector_rows import PendingText

if TYPE_CHECKING:
    from rekall.storage.contract import Store

Rebuild = Callable[[Progress | None], RebuildReport]
FTS_CHECK_ATTEMPTS = 3


@dataclass(frozen=True)
class Finding:
    """One health check: its name, whether it passed, and what was found. A finding may pass
    and still name something to do (todo): derived data not built yet, never wrong."""

    name: str
    ok: bool
    detail: str
    todo: bool = False


@dataclass
class CheckReport:
    """The findings of `rekall check` and, with --repair, what was repaired."""

    findings: list[Finding]
    # What each repair did, or why it was not done: those words start "could not".
    repairs: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return all(finding.ok for finding in self.findings)

    @staticmethod
    def not_done(repair: str) -> bool:
        """Whether repair (one of repairs) says why something was not repaired."""
        return repair.startswith("could not ")


def run_checks(db: Database, model_id: str = MODEL_ID) -> list[Finding]:
    """Every health check, read-only; vectors not under model_id count as stale."""
    fts_problem = _fts_problem(db)
    with db.read() as conn:
        integrity = maintenance.integrity_problems(conn)
        vectors, pieces = vector_findings(db, conn, model_id, maintenance.orphan_vectors(conn))
        references = reference_findings(db, conn)
    return [
        Finding("integrity", not integrity, "; ".join(integrity[:5]) or "SQLite reports ok"),
        Finding("keyword index", not fts_problem, fts_problem or "ok"),
        vectors,
        *references,
        pieces,
    ]


def vector_findings(
    db: Store, conn: Any, model_id: str, orphans: int = 0
) -> tuple[Finding, Finding]:
    """The checks of the vectors and body pieces, on either backend: entries without a
    vector of model_id (the weights in use), with one of older text, with one of another
    model; orphans counts vectors of no entry (only SQLite can hold them)."""
    vectors = db.repos.vectors
    pairs = list(vectors.texts_with_hashes(conn, model_id))
    other = sum(n for k, n in vectors.count_vectors(conn).items() if k != model_id)
    late, long = pieces_state(pairs, vectors.stored_pieces(conn, model_id))
    missing, stale = _missing_and_stale(pairs)
    # An entry whose vector is of another model has none of model_id: counted once, as other.
    counts = (max(0, missing - other), stale, other)
    finding = _vector_finding(model_id, len(pairs), counts, orphans)
    if other and db.kind != "sqlite":
        # A shared base: the other model may be the team's, and this client the odd one out.
        finding = replace(finding, detail=finding.detail + SHARED_OTHER_MODEL)
    return (
        finding,
        Finding("body pieces", *pieces_report(len(late), long)),
    )


def re_embed(rebuild: Rebuild, progress: Progress | None, done: str = "") -> str:
    """Run rebuild (re-embed what is missing or stale) and say what it did (its report's
    summary), with done after it, or why it could not: the model may be missing or fail to
    load."""
    try:
        report = rebuild(progress)
    except ModelError as exc:
        return f"could not re-embed: {exc}"
    return report.summary() + done


def reference_findings(db: Store, conn: Any) -> list[Finding]:
    """The checks of what entries point to, on either backend: links to a missing entry,
    superseded_by naming a missing entry, and entries superseding each other in a ring."""
    orphans = db.repos.links.orphan_links(conn)
    dangling = db.repos.links.dangling_supersessions(conn)
    cycles = supersession_cycles(db.repos.entries.supersessions(conn))
    links = Finding(
        "links",
        not orphans,
        "; ".join(f"{s} -> {t} ({k}) points to a missing entry" for s, t, k in orphans[:5])
        or "every link joins two existing entries",
    )
    return [links, _supersession_finding(dangling, cycles)]


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


# Said on a server base when vectors of another model are found.
SHARED_OTHER_MODEL = (
    " (on a shared base that replaces the vectors every client searches: first check with "
    "'rekall model status' that this client has the team's model and weights)"
)


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
    repairs.append(re_embed(rebuild, progress, "; rebuilt the vector index"))
    return CheckReport(run_checks(db, model_id), repairs)
