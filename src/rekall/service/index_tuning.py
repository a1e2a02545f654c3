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
    """The HNSW settings after applying the given ones (none given: just read them).

    m and ef_construction rebuild both HNSW indexes; ef_search becomes the database's own
    setting, which every new connection of every client starts with. before_build is called
    once the values are checked, before a build (which may take minutes). Raises ValidationError
    for a value out of pgvector's bounds and StorageError on SQLite, changing nothing.
    """
    if db.kind == "sqlite":
        raise StorageError(ON_SQLITE)
    from rekall.storage.postgres.index_settings import check_settings, wanted_options

    check_settings(m, ef_construction, ef_search)
    if (m, ef_construction) != (None, None):
        # Checked against the indexes' current values before a build that may take minutes.
        wanted_options(getattr(db, "index_settings")()["indexes"], m, ef_construction)  # noqa: B009
        if before_build is not None:
            before_build()
    if (m, ef_construction, ef_search) != (None, None, None):
        getattr(db, "tune_indexes")(m, ef_construction, ef_search)  # noqa: B009 - server only
    settings: dict[str, Any] = getattr(db, "index_settings")()  # noqa: B009 - server only
    if ef_search is not None:  # this process's sessions started before the change
        settings.update(ef_search=ef_search, ef_search_source="database")
    return {"backend": "postgresql", "location": db.location, **settings}
