"""An entry as an editable Markdown document with a small front matter, and back."""

from __future__ import annotations

from typing import Any

from rekall.core.context import LIST_FIELDS, TEXT_FIELDS
from rekall.core.entries import Entry
from rekall.core.errors import ValidationError

HEADER_FIELDS = ("title", "type", "tags", "project", "confidence")
# Header key → context field. List fields take one line per item; text fields go on
# indented continuation lines when they span several.
CONTEXT_KEYS = {
    "situation": "situation",
    "solution": "solution",
    "what_failed": "what_failed",
    "error": "error_messages",
    "keyword": "trigger_keywords",
    "file": "files_modified",
    "conversation": "conversation_excerpt",
}
ALLOWED_KEYS = HEADER_FIELDS + tuple(CONTEXT_KEYS)
CONTINUATION = "  "


def entry_to_document(entry: Entry) -> str:
    """key: value lines between --- fences, then the Markdown content."""
    lines = [
        "---",
        f"title: {entry.title}",
        f"type: {entry.type}",
        f"tags: {', '.join(entry.tags)}",
        f"project: {entry.project or ''}",
        f"confidence: {entry.confidence}",
        *_context_lines(entry),
        "---",
        "",
    ]
    return "\n".join(lines) + entry.content


def _context_lines(entry: Entry) -> list[str]:
    """One line per context value; an empty line per absent field shows what can be filled."""
    lines: list[str] = []
    for key, name in CONTEXT_KEYS.items():
        if name in LIST_FIELDS:
            items = entry.context.items(name) if entry.context else ()
            lines += [f"{key}: {item}" for item in items] or [f"{key}:"]
        else:
            text = (entry.context.text(name) if entry.context else None) or ""
            first, *rest = text.split("\n")
            lines.append(f"{key}: {first}".rstrip())
            lines += [CONTINUATION + line for line in rest]
    return lines


def parse_document(text: str) -> dict[str, Any]:
    """Fields and content from an edited document. Raises ValidationError on a broken header."""
    text = text.replace("\r\n", "\n")
    if not text.startswith("---\n"):
        raise ValidationError("the edited text must start with the '---' header; edit aborted")
    header, sep, content = text[4:].partition("\n---\n")
    if not sep:
        raise ValidationError("the header's closing '---' line is missing; edit aborted")
    fields = _parse_lines(header.splitlines(), ALLOWED_KEYS)
    fields["content"] = content[1:] if content.startswith("\n") else content
    return fields


def context_block(entry: Entry | None) -> str:
    """The context as the editable lines of the document header (for a text box)."""
    if entry is None:
        entry = Entry("", "", "", "", (), None, "", 0, "", "")
    return "\n".join(_context_lines(entry))


def parse_context_block(text: str) -> dict[str, Any]:
    """Context fields from lines written like context_block's. Raises ValidationError."""
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    return _parse_lines(lines, tuple(CONTEXT_KEYS))


def context_of(values: dict[str, Any]) -> dict[str, Any]:
    """The context fields among form or document values, as Rekall.add takes them."""
    return {name: values[name] for name in (*TEXT_FIELDS, *LIST_FIELDS) if name in values}


def _parse_lines(lines: list[str], allowed: tuple[str, ...]) -> dict[str, Any]:
    """key: value lines; list keys repeat, indented lines continue a text field."""
    fields: dict[str, Any] = {CONTEXT_KEYS[key]: [] for key in allowed if key in CONTEXT_KEYS}
    fields = {name: value for name, value in fields.items() if name in LIST_FIELDS}
    last = ""
    for line in lines:
        if line.startswith(CONTINUATION) and last in TEXT_FIELDS:
            fields[last] += "\n" + line[len(CONTINUATION) :].rstrip()
            continue
        key, colon, value = line.partition(":")
        key = key.strip()
        if not colon or key not in allowed:
            raise ValidationError(f"unknown header line '{line}'; allowed: {', '.join(allowed)}")
        last = CONTEXT_KEYS.get(key, key)
        if last in LIST_FIELDS:
            fields[last] += [value.strip()] if value.strip() else []
        else:
            # `title: ""` means empty, as in YAML front matter, not the two characters "".
            fields[last] = "" if value.strip() in ('""', "''") else value.strip()
    return fields


def changed_fields(entry: Entry, fields: dict[str, Any]) -> dict[str, Any]:
    """Only what differs from the entry, in the shape Rekall.update takes.

    Raises ValidationError when the confidence is not a whole number.
    """
    if "confidence" in fields:
        try:
            fields = {**fields, "confidence": int(fields["confidence"])}
        except ValueError:
            raise ValidationError("confidence must be a whole number 0-5") from None
    current: dict[str, Any] = {
        "title": entry.title,
        "type": entry.type,
        "tags": ", ".join(entry.tags),
        "project": entry.project or "",
        "confidence": entry.confidence,
        "content": entry.content,
    }
    context = _context_changes(entry, fields)
    changes = {
        key: value for key, value in fields.items() if key in current and current[key] != value
    }
    if "tags" in changes:
        changes["tags"] = (changes["tags"],)
    if context:
        changes["context"] = context
    return changes


def _context_changes(entry: Entry, fields: dict[str, Any]) -> dict[str, Any]:
    """The context fields among fields whose value differs from the entry's."""
    changes: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if name in fields:
            text = (entry.context.text(name) if entry.context else None) or ""
            if (fields[name] or "").strip() != text:
                changes[name] = fields[name]
    for name in LIST_FIELDS:
        if name in fields:
            items = list(entry.context.items(name)) if entry.context else []
            if [item for item in fields[name] if item.strip()] != items:
                changes[name] = fields[name]
    return changes


def edited_changes(entry: Entry, edited: str, original: str) -> dict[str, Any]:
    """The changes an edited document makes to entry (empty when none).

    Raises ValidationError on a broken header or a bad confidence.
    """
    if not original.endswith("\n") and edited.endswith("\n"):
        # Editors end the file with a newline the content never had.
        edited = edited[:-1]
    return changed_fields(entry, parse_document(edited))
