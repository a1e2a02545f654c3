"""The vector index's settings on a server base: shown, and changed for the whole team."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rekall.core.errors import StorageError

if TYPE_CHECKING:
    from rekall.storage.contract import Store

ON_SQLITE = (
    "index settings are for a base on PostgreSQL; on SQLite every search compares the query "
    "with every vector (exact), so there is nothing to tune"
)


def index_settings(
    db: Store,
    m: int | None = None,
    ef_construction: int | None = None,
    ef_search: int | None = None,
    before_build: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """The HNSW settings after applying the given ones (none given: just read them), and
    whether the indexes were built again.

    ef_search becomes the database's own setting, which every new connection of every client
    starts with; m and ef_construction rebuild both HNSW indexes where they differ (an index
    already built so is left alone). before_build is called just before a build, which may
    take minutes. Raises ValidationError for a value out of pgvector's bounds and
    StorageError on SQLite or for a role that may not change the database, changing nothing.
    """
    if db.kind == "sqlite":
        raise StorageError(ON_SQLITE)
    from rekall.storage.postgres.index_settings import check_settings

    check_settings(m, ef_construction, ef_search)
    rebuilt = False
    if (m, ef_construction, ef_search) != (None, None, None):
        tune = getattr(db, "tune_indexes")  # noqa: B009 - server only
        rebuilt = tune(m, ef_construction, ef_search, before_build)
    settings: dict[str, Any] = getattr(db, "index_settings")()  # noqa: B009 - server only
    return {"backend": "postgresql", "location": db.location, **settings, "rebuilt": rebuilt}
