"""Uniting lookalike entries: the merged content, tags, context and review state (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rekall.core.context import EntryContext
from rekall.core.entries import Entry, validate_content, validate_tags
from rekall.core.errors import ValidationError
from rekall.core.review import ReviewState, parse_instant, shift

SEPARATOR = "\n\n---\n\n"


def check_merge_ids(keep: str, others: Sequence[str]) -> tuple[str, ...]:
    """The other ids, each once. Raises ValidationError if none is left or KEEP is among them."""
    if keep in others:
        raise ValidationError(f"{keep} is the entry to keep; list it once, before the others")
    unique = tuple(dict.fromkeys(others))
    if not unique:
        raise ValidationError("give at least one entry to merge into the one kept")
    return unique


def merged_content(keep: Entry, others: Sequence[Entry]) -> str:
    """KEEP's content, then each other's under a separator naming where it came from.

    Raises ValidationError when the result passes the content size limit.
    """
    parts = [keep.content.rstrip()] if keep.content.strip() else []
    for other in others:
        body = other.content.strip()
        heading = f"**{other.title}** (merged from {other.id})"
        parts.append(f"{heading}\n\n{body}" if body else heading)
    return validate_content(SEPARATOR.join(parts) + "\n")


def merged_tags(keep: Entry, others: Sequence[Entry]) -> tuple[str, ...]:
    """Every tag of every entry. Raises ValidationError past the tag limit."""
    return validate_tags([*keep.tags, *(tag for other in others for tag in other.tags)])


def _merge_value(kept: Any, other: Any) -> Any:
    if kept == other or other in (None, "", [], {}):
        return kept
    if kept in (None, "", [], {}):
        return other
    if isinstance(kept, list) and isinstance(other, list):
        return kept + [item for item in other if item not in kept]
    if isinstance(kept, str) and isinstance(other, str):
        return kept + SEPARATOR + other
    return kept


def merged_context(contexts: Sequence[EntryContext | None]) -> EntryContext | None:
    """One context holding all of them: lists united, differing texts joined, KEEP's first.

    Nothing is dropped, so the others can be deleted without losing what they recorded.
    """
    present = [context for context in contexts if context is not None and not context.is_empty]
    if not present:
        return None
    structured: dict[str, Any] | None = None
    legacy: str | None = None
    keywords: list[str] = []
    for context in present:
        if context.structured is not None:
            merged = dict(structured or {})
            for key, value in context.structured.items():
                merged[key] = _merge_value(merged.get(key), value)
            structured = merged
        legacy = _merge_value(legacy, context.legacy_text)
        keywords += [word for word in context.keywords if word not in keywords]
    return EntryContext(structured, legacy, tuple(keywords))


def _last_review(state: ReviewState) -> datetime | None:
    if state.next_review is None:
        return None
    return parse_instant(shift(state.next_review, -state.interval))


def latest_review(states: Sequence[ReviewState]) -> ReviewState:
    """The state of the entry reviewed most recently (the first one if none was reviewed)."""
    reviewed = [(moment, i) for i, s in enumerate(states) if (moment := _last_review(s))]
    if not reviewed:
        return states[0]
    return states[max(reviewed)[1]]
