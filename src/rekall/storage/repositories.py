"""The repositories of one backend: a module per area of the storage contract."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Generic, TypeVar, cast, overload

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

R = TypeVar("R")
AREAS = ("entries", "links", "keyword", "vectors", "review", "transfer", "meta", "tokens", "merge")


class _Area(Generic[R]):
    """One area's module, imported at its first use and then kept on the instance."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, repos: None, owner: type) -> _Area[R]: ...
    @overload
    def __get__(self, repos: Repositories, owner: type) -> R: ...
    def __get__(self, repos: Repositories | None, owner: type) -> R | _Area[R]:
        if repos is None:
            return self
        module = importlib.import_module(repos.modules[self.name])
        # Found in the instance's dict from now on: this descriptor defines no __set__.
        repos.__dict__[self.name] = module
        return cast(R, module)


class Repositories:
    """One implementation of every area of the contract, each module imported when first used.

    A cold search uses four of the nine areas; importing the other five (links, review,
    transfer, tokens, merge) cost it ~2 ms. modules maps each area to its module's full name.
    """

    entries: _Area[EntriesRepo] = _Area()
    links: _Area[LinksRepo] = _Area()
    keyword: _Area[KeywordRepo] = _Area()
    vectors: _Area[VectorsRepo] = _Area()
    review: _Area[ReviewRepo] = _Area()
    transfer: _Area[TransferRepo] = _Area()
    meta: _Area[MetaRepo] = _Area()
    tokens: _Area[TokensRepo] = _Area()
    merge: _Area[MergeRepo] = _Area()

    def __init__(
        self, modules: Mapping[str, str], vector_search: VectorSearch | None = None
    ) -> None:
        if sorted(modules) != sorted(AREAS):
            raise ValueError(
                f"repositories need one module per area {AREAS}, got {sorted(modules)}"
            )
        self.modules = dict(modules)
        # None: the service searches vectors in its own in-process index (SQLite).
        self.vector_search: VectorSearch | None = vector_search
