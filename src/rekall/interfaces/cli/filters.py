"""The entry filter the CLI's --type/--tag/--project/--status options describe (no click)."""

from __future__ import annotations

from rekall.core.entries import EntryFilter


def build_filter(
    types: tuple[str, ...], tags: tuple[str, ...], project: str | None, status: str
) -> EntryFilter:
    """An EntryFilter from CLI options; status 'all' lifts the status filter."""
    tag_list = tuple(t.strip().lower() for raw in tags for t in raw.split(",") if t.strip())
    return EntryFilter(
        types=types, tags=tag_list, project=project, status=None if status == "all" else status
    )
