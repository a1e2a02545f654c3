"""Derived files are trusted for one history of the database: catch a file copied back."""

from __future__ import annotations

import contextlib
from pathlib import Path

from rekall.search import lineage as seen
from rekall.storage.connection import read_identity, rotate_token
from rekall.storage.database import Database

# vectors-<uid>.sqlite-vec.db and its -wal and -shm files, as earlier versions named them.
ORPHAN_PATTERN = "vectors-*.sqlite-vec.db*"
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


def remove_orphan_index_files(index_dir: Path) -> list[Path]:
    """Delete sqlite-vec files that earlier versions named by database uid; return them.

    A restore gives the database a new uid, so each restore left the previous file behind,
    never read again. Called when the index is rebuilt (restore, index rebuild, check
    --repair); a file another process still holds open (Windows) is left for the next time.
    """
    removed = []
    for path in sorted(index_dir.glob(ORPHAN_PATTERN)):
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed
