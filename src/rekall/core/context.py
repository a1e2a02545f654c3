"""An entry's context: what happened, the fix, what failed, error messages, keywords, files."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from rekall.core.errors import ValidationError

TEXT_FIELDS = ("situation", "solution", "what_failed", "conversation_excerpt")
LIST_FIELDS = ("error_messages", "trigger_keywords", "files_modified")
CONTEXT_FIELDS = TEXT_FIELDS + LIST_FIELDS
LABELS = {
    "situation": "Situation",
    "solution": "Solution",
    "what_failed": "What failed",
    "error_messages": "Errors",
    "trigger_keywords": "Keywords",
    "files_modified": "Files",
    "conversation_excerpt": "Conversation",
    "notes": "Notes",
}
MAX_TEXT_CHARS = 20_000
MAX_ITEMS = 50
MAX_ITEM_CHARS = 2_000


class EntryContext(NamedTuple):
    """Why an entry was written: a structured JSON object, free text, and trigger keywords.

    structured keeps every key it was given (Rekall 0.3 also stored times and how the
    context was captured); the named fields above are the ones Rekall reads and edits.
    """

    structured: dict[str, Any] | None = None
    legacy_text: str | None = None
    keywords: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return self.structured is None and self.legacy_text is None and not self.keywords

    def text(self, name: str) -> str | None:
        """A text field, or None when absent or blank."""
        value = (self.structured or {}).get(name)
        return value.strip() or None if isinstance(value, str) else None

    def items(self, name: str) -> tuple[str, ...]:
        """A list field; the trigger keywords fall back to the keyword table."""
        value = (self.structured or {}).get(name)
        found = tuple(str(v) for v in value if str(v).strip()) if isinstance(value, list) else ()
        if name == "trigger_keywords" and not found:
            return self.keywords
        return found

    @property
    def notes(self) -> str | None:
        """Free context text, unless it only repeats the situation and solution."""
        if self.legacy_text is None or not self.legacy_text.strip():
            return None
        if self.legacy_text.strip() == _summary_line(self):
            return None
        return self.legacy_text.strip()

    def fields(self) -> dict[str, Any]:
        """Every named field (None or [] when absent) and the notes, in display order."""
        shown: dict[str, Any] = {}
        for name in CONTEXT_FIELDS:
            shown[name] = list(self.items(name)) if name in LIST_FIELDS else self.text(name)
        shown["notes"] = self.notes
        return shown

    def search_keys(self) -> str:
        """What a person pastes into a search: error messages, keywords and file paths."""
        parts = [*self.items("error_messages"), *self.items("trigger_keywords")]
        return "\n".join(parts + list(self.items("files_modified")))

    def search_story(self) -> str:
        """The narrative fields, searched like the content."""
        parts = [self.text(name) for name in TEXT_FIELDS]
        return "\n".join(part for part in [*parts, self.notes] if part)

    def embedding_part(self) -> str:
        """The situation and the solution: the meaning of the context, embedded with the entry."""
        parts = [self.text("situation"), self.text("solution")]
        return "\n".join(part for part in parts if part)


def embedding_part(context: EntryContext | None) -> str:
    """The context text embedded with an entry ('' without context)."""
    return "" if context is None else context.embedding_part()


def embedding_part_of_json(structured: str | None) -> str:
    """The embedded context text from stored structured JSON ('' when there is none)."""
    if structured is None:
        return ""
    value = json.loads(structured)
    return EntryContext(value if isinstance(value, dict) else None).embedding_part()


def validate_context_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Context field changes cleaned up ('' or [] clears a field). Raises ValidationError."""
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name in TEXT_FIELDS:
            clean[name] = _check_text(value, name)
        elif name in LIST_FIELDS:
            clean[name] = _check_list(value, name)
        else:
            raise ValidationError(
                f"unknown context field '{name}'; use: {', '.join(CONTEXT_FIELDS)}"
            )
    return clean


def apply_context_changes(
    current: EntryContext | None, changes: Mapping[str, Any]
) -> EntryContext | None:
    """The context after validated changes; None once nothing is left."""
    base = current or EntryContext()
    structured = dict(base.structured or {})
    legacy = base.notes  # a text that only repeated the old situation/solution goes
    for name, value in changes.items():
        if value in (None, []):
            structured.pop(name, None)
        else:
            structured[name] = value
    keywords = base.keywords
    if "trigger_keywords" in changes:
        keywords = tuple(changes["trigger_keywords"] or ())
    if not any(structured.get(name) for name in CONTEXT_FIELDS):
        structured_or_none = None
    else:
        structured_or_none = structured
    result = EntryContext(structured_or_none, legacy, keywords)
    return None if result.is_empty else result


def _check_text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"the context field '{name}' must be text")
    _reject_binary(value, name)
    text = value.strip()
    if len(text) > MAX_TEXT_CHARS:
        raise ValidationError(
            f"the {LABELS[name].lower()} has {len(text):,} characters; "
            f"keep it under {MAX_TEXT_CHARS:,}"
        )
    return text or None


def _check_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    items: list[str] = []
    for raw in value:
        if not isinstance(raw, str):
            raise ValidationError(f"the context field '{name}' must be a list of text")
        _reject_binary(raw, name)
        item = " ".join(raw.split())
        if name == "trigger_keywords":
            item = item.lower()
        if len(item) > MAX_ITEM_CHARS:
            raise ValidationError(
                f"an item of {LABELS[name].lower()} is longer than {MAX_ITEM_CHARS:,} characters"
            )
        if item and item not in items:
            items.append(item)
    if len(items) > MAX_ITEMS:
        raise ValidationError(
            f"{len(items)} {LABELS[name].lower()} given; the limit is {MAX_ITEMS}"
        )
    return items


def _reject_binary(value: str, name: str) -> None:
    if "\x00" in value:
        raise ValidationError(f"the {LABELS[name].lower()} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError(f"the {LABELS[name].lower()} is not valid UTF-8 text") from exc


def _summary_line(context: EntryContext) -> str:
    """The text Rekall 0.3 derived from a structured context as its free context."""
    lines = []
    if situation := context.text("situation"):
        lines.append(f"Situation: {situation}")
    if solution := context.text("solution"):
        lines.append(f"Solution: {solution}")
    return "\n".join(lines)
