"""The one-time offer to import a database of the earlier Rekall found at its old place."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rekall.core.errors import StorageError

if TYPE_CHECKING:
    from rekall.storage.contract import Store

LEGACY_FILENAME = "knowledge.db"
OFFER_KEY = "legacy_import_offered"


def legacy_locations() -> list[Path]:
    """Where the earlier Rekall kept its database by default."""
    import platformdirs  # only an empty base looks (see rekall.paths)

    candidates: list[Path] = []
    with contextlib.suppress(RuntimeError):  # no home directory known
        candidates.append(Path.home() / ".rekall" / LEGACY_FILENAME)
    for author in (None, False):
        data_dir = platformdirs.user_data_dir("rekall", appauthor=author)
        candidates.append(Path(data_dir) / LEGACY_FILENAME)
    return list(dict.fromkeys(candidates))


def offer_legacy_import(db: Store, notify: Callable[[str], None]) -> None:
    """Once, on an empty base, point at an earlier Rekall database if one is found."""
    with db.read() as conn:
        if db.repos.meta.meta_value(conn, OFFER_KEY) or not db.repos.meta.is_empty(conn):
            return
    found = next((path for path in legacy_locations() if path.is_file()), None)
    if found is None:
        return
    shown = f'"{found}"' if any(c in str(found) for c in " '\"$&;()") else str(found)
    notify(
        f"Found a database of the earlier Rekall at {found}; to bring its entries in, run: "
        f"rekall import --from-db {shown}"
    )
    try:
        with db.write() as (conn, _):
            db.repos.meta.set_meta_value(conn, OFFER_KEY, 1)
    except StorageError:
        pass  # a read-only base: the offer simply shows again next time
