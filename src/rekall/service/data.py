"""The facade's data operations; their modules load on first use, off the search path."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rekall.core.errors import RefusedWriteError, StorageError

if TYPE_CHECKING:
    from rekall.service.facade import Rekall
    from rekall.service.indexing import Progress
    from rekall.service.maintenance import CheckReport
    from rekall.service.restore import RestoreReport
    from rekall.service.transfer import ImportReport
    from rekall.storage.contract import Store
    from rekall.storage.database import Database


def export_json(rekall: Rekall, output: Path | None, vectors: bool) -> str:
    """The whole base as versioned export JSON, also written to output when given.

    With vectors, the file carries those of the model whose identity is known without
    loading it (its weights' fingerprint), so an import under the same weights reuses them.
    """
    from rekall.service import transfer

    model_id = rekall.semantic.known_model_id() if vectors else None
    return transfer.export_json(rekall.db, output, model_id)[0]


def export_markdown(rekall: Rekall, directory: Path) -> int:
    """One Markdown file per entry in a new directory; returns how many."""
    from rekall.service import transfer

    return len(transfer.export_markdown(rekall.db, directory).entries)


def import_data(
    rekall: Rekall,
    source: Path,
    strategy: str,
    dry_run: bool,
    progress: Progress | None,
    legacy: bool,
) -> ImportReport:
    """Import an export file, a Markdown folder, or (legacy) an earlier Rekall database.

    Everything is validated before one write transaction. Raises ValidationError, and
    StorageError when the base refuses one of the writes (nothing is written).
    """
    from rekall.service import legacy_import, transfer

    transfer.check_source(
        source, "no such database file" if legacy else "no such file or directory"
    )
    with _refusal_explained(rekall.db, source):
        if legacy:
            return legacy_import.import_legacy(
                rekall.db,
                rekall.indexer,
                source,
                strategy=strategy,
                dry_run=dry_run,
                progress=progress,
            )
        document = transfer.load_document(source)
        return transfer.import_document(
            rekall.db,
            rekall.indexer,
            document,
            source=str(source),
            strategy=strategy,
            dry_run=dry_run,
            progress=progress,
        )


@contextmanager
def _refusal_explained(db: Store, source: Path) -> Iterator[None]:
    """A write of the import that the base refuses (a constraint or trigger of its schema, or
    another process adding the same entry at that moment), named with what to do
    (refusal_messages.py)."""
    from rekall.service.refusal_messages import import_refused
    from rekall.storage.refusals import refusals_named

    try:
        with refusals_named(db):
            yield
    except RefusedWriteError as error:
        raise import_refused(db.location, source, error) from error


def backup(rekall: Rekall, target: Path | None) -> Path:
    """A consistent copy of the base (beside it, timestamped, by default)."""
    from rekall.service import restore as restoring

    return restoring.backup(_embedded(rekall, "backup"), target)


def restore(rekall: Rekall, source: Path) -> RestoreReport:
    """Replace the base with a validated backup, then rebuild the vector index from it."""
    from rekall.service import restore as restoring

    report = restoring.restore(_embedded(rekall, "restore"), source)
    rekall.semantic.rebuild_index()
    return report


def check(rekall: Rekall, repair: bool, progress: Progress | None) -> CheckReport:
    """Health checks; with repair, rebuild derived data (never entries) and check again."""
    from rekall.service import maintenance

    rebuild = rekall.rebuild_index if repair else None
    if rekall.db.kind != "sqlite":
        from rekall.service.server_check import check_server

        return check_server(rekall.db, rekall.semantic.model_id, rebuild, progress, rekall.notify)
    return maintenance.check(
        _embedded(rekall, "check"), rebuild, progress, rekall.semantic.model_id
    )


def _embedded(rekall: Rekall, command: str) -> Database:
    """The SQLite database behind the facade. Raises StorageError on a server backend."""
    from rekall.storage.database import Database

    if isinstance(rekall.db, Database):
        return rekall.db
    raise StorageError(
        f"rekall {command} works on the SQLite file, but this base is on PostgreSQL at "
        f"{rekall.db.location}; use the server's own tools there (pg_dump and pg_restore)"
    )
