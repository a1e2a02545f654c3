"""Derived files are trusted for one history of the database: catch a file copied back."""

from __future__ import annotations

from pathlib import Path

from rekall.search import lineage as seen
from rekall.storage.connection import read_identity, rotate_token
from rekall.storage.database import Database

COPIED_BACK = (
    "The database is older than the vector index built from it: was the file copied back "
    "from a backup? The index will be rebuilt from the database. To go back to a backup, "
    "use `rekall restore FILE`, which keeps every derived file in step."
)


def distrust_copied_back(db: Database, index_dir: Path) -> bool:
    """Give the database a new token if its derived files saw a later generation of it.

    A database file copied back from a backup returns to an older generation with the same
    uid and token; once written past the snapshot's generation, the snapshot would look
    current. Checked when the database opens, before any write. True if the token changed.
    """
    with db.read() as conn:
        identity = read_identity(conn)
    known = seen.seen_generation(index_dir, identity.lineage)
    if known is None or known <= identity.generation:
        return False
    with db.write() as (conn, _generation):
        if read_identity(conn).lineage == identity.lineage:
            rotate_token(conn)
    return True
