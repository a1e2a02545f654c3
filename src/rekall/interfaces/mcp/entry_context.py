"""The structured context of an entry as MCP sees it: a schema clients can show, bounded."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from rekall.core.context import MAX_ITEM_CHARS, MAX_ITEMS, MAX_TEXT_CHARS, EntryContext

Text = Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS)]
Item = Annotated[str, StringConstraints(max_length=MAX_ITEM_CHARS)]
Items = Annotated[list[Item], Field(max_length=MAX_ITEMS)]


class ContextInput(BaseModel):
    """The story around an entry. Every field is optional; on update, a field given replaces
    the old value ('' or [] clears it) and fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    situation: Text | None = Field(
        default=None, description="what was happening when the problem appeared"
    )
    solution: Text | None = Field(default=None, description="what fixed it, in a sentence or two")
    what_failed: Text | None = Field(
        default=None, description="what was tried first and did not work"
    )
    error_messages: Items | None = Field(
        default=None,
        description="exact error messages, copied verbatim (one per item): they are what "
        "someone will paste into a search next time",
    )
    trigger_keywords: Items | None = Field(
        default=None,
        description="short words or phrases that should bring this entry back, e.g. "
        "['hydration', 'locale']",
    )
    files_modified: Items | None = Field(
        default=None, description="paths of the files changed, e.g. ['components/Price.tsx']"
    )
    conversation_excerpt: Text | None = Field(
        default=None, description="a short excerpt of the discussion that led to the fix"
    )

    def changes(self) -> dict[str, Any]:
        """The fields given, as Rekall.add and Rekall.update take them."""
        return self.model_dump(exclude_none=True)


class ContextView(BaseModel):
    """An entry's context as stored; absent fields are null or empty."""

    situation: str | None
    solution: str | None
    what_failed: str | None
    error_messages: list[str]
    trigger_keywords: list[str]
    files_modified: list[str]
    conversation_excerpt: str | None
    notes: str | None = Field(description="free context text, e.g. from Rekall 0.3")


def context_view(context: EntryContext | None) -> ContextView | None:
    """The context of an entry for get_entry, or None when it has none."""
    if context is None:
        return None
    return ContextView(**context.fields())
