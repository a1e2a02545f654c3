"""The facade's data operations: export, import, backup, restore and check of the whole base."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from rekall.service.facade import Rekall
    from rekall.service.indexing import Progress
    from rekall.service.maintenance import CheckReport
    from rekall.service.restore import RestoreReport
    from rekall.service.transfer import ImportReport


class DataMethods:
    """Mixed into the facade. Each method loads service/data.py on first use, off the search
    path, and hands it the facade (its db, semantic engine, indexer and index rebuild)."""

    @property
    def _base(self) -> Rekall:
        return cast("Rekall", self)  # only ever mixed into Rekall

    def export_json(self, output: Path | None = None, vectors: bool = True) -> str:
        """The whole base as versioned export JSON, with the current model's vectors unless
        vectors is False (also written to output when given)."""
        from rekall.service import data

        return data.export_json(self._base, output, vectors)

    def export_markdown(self, directory: Path) -> int:
        """One Markdown file per entry in a new directory; returns how many."""
        from rekall.service import data

        return data.export_markdown(self._base, directory)

    def import_data(
        self,
        source: Path,
        strategy: str = "skip",
        dry_run: bool = False,
        progress: Progress | None = None,
        legacy: bool = False,
    ) -> ImportReport:
        """Import an export file, a Markdown folder or (legacy) an earlier Rekall database."""
        from rekall.service import data

        return data.import_data(self._base, source, strategy, dry_run, progress, legacy)

    def backup(self, target: Path | None = None) -> Path:
        """A consistent copy of the base (beside it, timestamped, by default)."""
        from rekall.service import data

        return data.backup(self._base, target)

    def restore(self, source: Path) -> RestoreReport:
        """Replace the base with a validated backup, keeping the replaced one beside it."""
        from rekall.service import data

        return data.restore(self._base, source)

    def check(self, repair: bool = False, progress: Progress | None = None) -> CheckReport:
        """Health checks; with repair, rebuild derived data (never entries) and check again."""
        from rekall.service import data

        return data.check(self._base, repair, progress)

    def index_settings(
        self,
        m: int | None = None,
        ef_construction: int | None = None,
        ef_search: int | None = None,
        before_build: Callable[[], None] | None = None,
    ) -> dict[str, Any]:
        """A server base's HNSW settings, after applying the given ones (service/index_tuning)."""
        from rekall.service.index_tuning import index_settings

        return index_settings(self._base.db, m, ef_construction, ef_search, before_build)
