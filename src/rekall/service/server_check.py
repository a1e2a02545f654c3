"""`rekall check` and its repair on a server backend: server, pgvector, indexes, vectors."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rekall.core.errors import StorageError
from rekall.service.maintenance import (
    CheckReport,
    Finding,
    Rebuild,
    re_embed,
    reference_findings,
    vector_findings,
)
from rekall.service.stats import index_detail

if TYPE_CHECKING:
    from rekall.service.indexing import Progress
    from rekall.storage.contract import Store


# Said before each DROP or REINDEX CONCURRENTLY: either waits for every older transaction
# in the database, which can take long with nothing else to show.
WAITS = "(waits for transactions in progress)…"


def check_server(
    db: Store,
    model_id: str,
    rebuild: Rebuild | None = None,
    progress: Progress | None = None,
    notify: Callable[[str], None] | None = None,
) -> CheckReport:
    """What the server reports: its version, pgvector's, whether each index is usable and
    the copies stopped rebuilds left beside them; the vectors of model_id (the weights in
    use), links, superseded_by and body pieces, with the SQLite file's checks
    (maintenance.vector_findings and reference_findings).

    With rebuild given (the facade's rebuild_index, as `rekall index rebuild`), first drop
    those copies and rebuild each of the base's indexes the server may not use
    (repair_indexes, notify told before each), then re-embed missing and stale vectors and
    add missing body pieces, then check again. Entries are never changed.
    """
    if rebuild is None:
        return CheckReport(_findings(db, model_id))
    # A usable HNSW index takes each vector as it is written: no other index work after.
    repairs = [*repair_indexes(db, notify or _silent), re_embed(rebuild, progress)]
    return CheckReport(_findings(db, model_id), repairs)


def repair_indexes(db: Store, notify: Callable[[str], None]) -> list[str]:
    """Drop the copies stopped rebuilds left (each DROP INDEX CONCURRENTLY), then rebuild
    each search index the server may not use (REINDEX INDEX CONCURRENTLY), searches going
    on, and say what was done: "dropped leftover index X", "rebuilt index X", or why not
    (starting "could not"; a role that may not is told the statement to ask for)."""
    figures = _server_figures(db)
    repairs = []
    for leftover in figures["leftovers"]:
        if not leftover["building"]:
            notify(f"dropping leftover index {leftover['qualified']} {WAITS}")
        repairs.append(
            _attempt(db, "drop_leftover", leftover, "dropped leftover index", "drop leftover")
        )
    for index in figures["indexes"]:
        if not index["valid"]:
            notify(f"rebuilding index {index['qualified']} {WAITS}")
            repairs.append(_attempt(db, "reindex", index, "rebuilt index", "rebuild"))
    return repairs


def _attempt(db: Store, method: str, index: dict[str, Any], done: str, verb: str) -> str:
    """Call db's method (server only) on index and say done, or why it could not."""
    try:
        getattr(db, method)(index["name"])
    except StorageError as exc:
        said = str(exc)
        # The server's own words (a lost connection) do not say what was not done.
        if said.startswith("could not "):
            return said
        return f"could not {verb} index {index['qualified']}: {said}"
    return f"{done} {index['qualified']}"


def _silent(message: str) -> None:
    """No one to tell."""


def _findings(db: Store, model_id: str) -> list[Finding]:
    """The server's findings, then those of the data, in the SQLite file's order."""
    findings = _server_findings(db)
    with db.read() as conn:
        vectors, pieces = vector_findings(db, conn, model_id)
        references = reference_findings(db, conn)
    return [*findings, vectors, *references, pieces]


def _server_findings(db: Store) -> list[Finding]:
    """The server's version, pgvector's, whether each index is usable, and the copies
    stopped rebuilds left beside them."""
    figures = _server_figures(db)
    findings = [
        Finding("server", True, f"PostgreSQL {figures['server_version']} at {db.location}"),
        Finding(
            "pgvector",
            figures["pgvector_version"] is not None,
            f"version {figures['pgvector_version']}"
            if figures["pgvector_version"]
            else "the vector extension is missing; run CREATE EXTENSION vector",
        ),
    ]
    for index in figures["indexes"]:
        detail = index_detail(index)
        if not index["valid"]:
            detail += (
                "; not usable: 'rekall check --repair' rebuilds it (REINDEX INDEX "
                f"CONCURRENTLY {index['qualified']})"
            )
        findings.append(Finding(f"index {index['name']}", bool(index["valid"]), detail))
    return findings + [_leftover_finding(left) for left in figures["leftovers"]]


def _leftover_finding(left: dict[str, Any]) -> Finding:
    """A copy a stopped rebuild left: a problem, unless a build on its table is under way
    (it may be that build's own copy)."""
    detail = (
        f"{index_detail(left)}; not usable, yet updated on every write: a copy left by a "
        "stopped REINDEX or CREATE INDEX CONCURRENTLY"
    )
    name = f"index {left['name']}"
    if left["building"]:
        detail += "; an index build on its table is in progress: check again after it"
        return Finding(name, True, detail, todo=True)
    drop = f"DROP INDEX CONCURRENTLY {left['qualified']}"
    return Finding(name, False, f"{detail}; 'rekall check --repair' drops it ({drop})")


def _server_figures(db: Store) -> dict[str, Any]:
    figures: dict[str, Any] = getattr(db, "server_figures")()  # noqa: B009 - server only
    return figures
