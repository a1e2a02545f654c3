"""An entry as an editable Markdown document with a small front matter, and back."""

from __future__ import annotations

from typing import Any

from rekall.core.entries import Entry
from rekall.core.errors import ValidationError

HEADER_FIELDS = ("title", "type", "tags", "project", "confidence")


def entry_to_document(entry: Entry) -> str:
    """key: value lines between --- fences, then the Markdown content."""
    lines = [
        "---",
        f"title: {entry.title}",
        f"type: {entry.type}",
        f"tags: {', '.join(entry.tags)}",
        f"project: {entry.project or ''}",
        f"confidence: {entry.confidence}",
        "---",
        "",
    ]
    return "\n".join(lines) + entry.content


def parse_document(text: str) -> dict[str, Any]:
    """Fields and content from an edited document. Raises ValidationError on a broken header."""
    text = text.replace("\r\n", "\n")
    if not text.startswith("---\n"):
        raise ValidationError("the edited text must start with the '---' header; edit aborted")
    header, sep, content = text[4:].partition("\n---\n")
    if not sep:
        raise ValidationError("the header's closing '---' line is missing; edit aborted")
    fields: dict[str, Any] = {}
    for line in header.splitlines():
        key, colon, value = line.partition(":")
        if not colon or key.strip() not in HEADER_FIELDS:
            raise ValidationError(
                f"unknown header line '{line}'; allowed: {', '.join(HEADER_FIELDS)}"
            )
        value = value.strip()
        # `title: ""` means empty, as in YAML front matter, not the two characters "".
        fields[key.strip()] = "" if value in ('""', "''") else value
    fields["content"] = content[1:] if content.startswith("\n") else content
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
    changes = {key: value for key, value in fields.items() if current.get(key) != value}
    if "tags" in changes:
        changes["tags"] = (changes["tags"],)
    return changes


def edited_changes(entry: Entry, edited: str, original: str) -> dict[str, Any]:
    """The changes an edited document makes to entry (empty when none).

    Raises ValidationError on a broken header or a bad confidence.
    """
    if not original.endswith("\n") and edited.endswith("\n"):
        # Editors end the file with a newline the content never had.
        edited = edited[:-1]
    return changed_fields(entry, parse_document(edited))
