"""`rekall check` and its repair on a server backend: server, pgvector, indexes, vectors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

    With rebuild given (the facade's rebuild_index, as `rekall index rebuild`), re-embed
    missing and stale vectors and add missing body pieces, then check again. Entries are
    never changed; the server keeps its own indexes (an unusable one is named with the
    REINDEX that mends it).
    """
    if rebuild is None:
        return CheckReport(_findings(db, model_id))
    # The server's HNSW index takes each vector as it is written: nothing else to rebuild.
    repairs = [re_embed(rebuild, progress)]
    return CheckReport(_findings(db, model_id), repairs)


def _findings(db: Store, model_id: str) -> list[Finding]:
    """The server's findings, then those of the data, in the SQLite file's order."""
    findings = _server_findings(db)
    with db.read() as conn:
        vectors, pieces = vector_findings(db, conn, model_id)
        references = reference_findings(db, conn)
    return [*findings, vectors, *references, pieces]


def _server_findings(db: Store) -> list[Finding]:
    """The server's version, pgvector's, and whether each index is usable."""
    figures: dict[str, Any] = getattr(db, "server_figures")()  # noqa: B009 - server only
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
            detail += "; not usable: run REINDEX INDEX " + index["qualified"]
        findings.append(Finding(f"index {index['name']}", bool(index["valid"]), detail))
    return findings
