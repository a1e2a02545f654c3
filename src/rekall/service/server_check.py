"""`rekall check` on a server backend: the server, pgvector, the indexes, the vectors, and
what entries point to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rekall.service.maintenance import CheckReport, Finding, reference_findings
from rekall.service.pieces import pieces_report, pieces_state

if TYPE_CHECKING:
    from rekall.storage.contract import Store


def check_server(db: Store, model_id: str) -> CheckReport:
    """What the server reports: its version, pgvector's, whether each index is usable; how
    many entries have a vector of model_id (the weights in use); links and superseded_by
    (maintenance.reference_findings) and body pieces, as on SQLite."""
    findings = _server_findings(db)
    with db.read() as conn:
        entries = db.repos.entries.count_entries(conn).get("total", 0)
        vectors = db.repos.vectors.count_vectors(conn).get(model_id, 0)
        late, long = pieces_state(
            db.repos.vectors.texts_with_hashes(conn, model_id),
            db.repos.vectors.stored_pieces(conn, model_id),
        )
        references = reference_findings(db, conn)
    missing = entries - vectors
    findings.append(
        Finding(
            "vectors",
            missing == 0,
            f"{vectors} of {entries} entries have a vector"
            + ("" if missing == 0 else "; run 'rekall index rebuild'"),
        )
    )
    findings += [*references, Finding("body pieces", *pieces_report(len(late), long))]
    return CheckReport(findings)


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
        detail = f"{index['method']}, {index['bytes'] / 1e6:.1f} MB"
        if not index["valid"]:
            detail += "; not usable: run REINDEX INDEX " + index["name"]
        findings.append(Finding(f"index {index['name']}", bool(index["valid"]), detail))
    return findings
