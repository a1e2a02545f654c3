"""The repositories of one backend: a module per area of the storage contract."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rekall.storage.contract import (
        EntriesRepo,
        KeywordRepo,
        LinksRepo,
        MergeRepo,
        MetaRepo,
        ReviewRepo,
        TokensRepo,
        TransferRepo,
        VectorSearch,
        VectorsRepo,
    )


@dataclass(frozen=True)
class Repositories:
    """One implementation of every area of the contract."""

    entries: EntriesRepo
    links: LinksRepo
    keyword: KeywordRepo
    vectors: VectorsRepo
    review: ReviewRepo
    transfer: TransferRepo
    meta: MetaRepo
    tokens: TokensRepo
    merge: MergeRepo
    # None: the service searches vectors in its own in-process index (SQLite).
    vector_search: VectorSearch | None = None
