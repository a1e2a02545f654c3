"""`rekall check` and its repair on a server backend: server, pgvector, indexes, vectors."""

from __future__ import annotations

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


def check_server(
    db: Store,
    model_id: str,
    rebuild: Rebuild | None = None,
    progress: Progress | None = None,
) -> CheckReport:
    """What the server reports: its version, pgvector's, whether each index is usable; the
    vectors of model_id (the weights in use), links, superseded_by and body pieces, with the
    SQLite file's checks (maintenance.vector_findings and reference_findings).

    With rebuild given (the facade's rebuild_index, as `rekall index rebuild`), first
    rebuild each of the base's indexes the server may not use (rebuild_unusable_indexes),
    then re-embed missing and stale vectors and add missing body pieces, then check again.
    Entries are never changed.
    """
    if rebuild is None:
        return CheckReport(_findings(db, model_id))
    # A usable HNSW index takes each vector as it is written: no other index work after.
    repairs = [*rebuild_unusable_indexes(db), re_embed(rebuild, progress)]
    return CheckReport(_findings(db, model_id), repairs)


def rebuild_unusable_indexes(db: Store) -> list[str]:
    """Rebuild each search index of this base that the server may not use, while searches
    go on (REINDEX INDEX CONCURRENTLY), and say what was done: "rebuilt index X", or why it
    could not be (a role that may not is told the statement its owner can run)."""
    repairs = []
    for index in _server_figures(db)["indexes"]:
        if index["valid"]:
            continue
        try:
            getattr(db, "reindex")(index["name"])  # noqa: B009 - server only
        except StorageError as exc:
            repairs.append(f"could not rebuild index {index['qualified']}: {exc}")
        else:
            repairs.append(f"rebuilt index {index['qualified']}")
    return repairs


def _findings(db: Store, model_id: str) -> list[Finding]:
    """The server's findings, then those of the data, in the SQLite file's order."""
    findings = _server_findings(db)
    with db.read() as conn:
        vectors, pieces = vector_findings(db, conn, model_id)
        references = reference_findings(db, conn)
    return [*findings, vectors, *references, pieces]


def _server_findings(db: Store) -> list[Finding]:
    """The server's version, pgvector's, and whether each index is usable."""
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
    return findings


def _server_figures(db: Store) -> dict[str, Any]:
    figures: dict[str, Any] = getattr(db, "server_figures")()  # noqa: B009 - server only
    return figures
