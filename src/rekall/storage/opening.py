"""Opening the base a configuration names: the SQLite file, or a PostgreSQL server by URL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rekall.storage.database import open_database

if TYPE_CHECKING:
    from rekall.storage.contract import Store


def open_store(database_url: str, db_file: Path) -> Store:
    """The SQLite file at db_file, unless database_url names a server. Raises StorageError."""
    if not database_url.strip():
        return open_database(db_file)
    # Only now: the SQLite path never imports psycopg.
    from rekall.storage.postgres.database import PostgresDatabase

    return PostgresDatabase(database_url.strip())
