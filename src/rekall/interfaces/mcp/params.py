"""Tool parameter types: enums as Literal, described fields, so input schemas explain themselves."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from rekall.core.entries import EntryFilter, validate_filter_text

EntryType = Literal[
    "bug", "pattern", "decision", "pitfall", "config", "reference", "snippet", "til"
]
SearchMode = Literal["hybrid", "semantic", "keyword"]
LinkType = Literal["related", "supersedes", "derived_from", "contradicts"]
StatusFilter = Literal["active", "deprecated", "all"]
Status = Literal["active", "deprecated"]
RecentSort = Literal["updated", "created", "accessed"]

EntryId = Annotated[
    str,
    Field(description="an entry id, or a unique prefix of one (6+ characters is usually enough)"),
]
Types = Annotated[
    list[EntryType] | None, Field(description="only entries of these types (any of them)")
]
Tags = Annotated[
    list[str] | None, Field(description="only entries carrying every one of these tags")
]
Project = Annotated[str | None, Field(description="only entries of this project")]
StatusOption = Annotated[
    StatusFilter,
    Field(description="active (default) hides deprecated entries; 'all' includes them"),
]


def entry_filter(
    types: list[EntryType] | None,
    tags: list[str] | None,
    project: str | None,
    status: StatusFilter,
) -> EntryFilter:
    """An EntryFilter from tool arguments; tags are matched in lower case.

    Raises ValidationError on a project or tag that is not text (NUL, a lone surrogate).
    """
    tag_list = tuple(
        validate_filter_text(t.strip().lower(), "tag")
        for raw in tags or ()
        for t in raw.split(",")
        if t.strip()
    )
    return EntryFilter(
        types=tuple(types or ()),
        tags=tag_list,
        project=validate_filter_text(project, "project") if project else None,
        status=None if status == "all" else status,
    )
