"""Editing an entry in $EDITOR as Markdown with a small front matter."""

from __future__ import annotations

from typing import Any

import click

from rekall.core.entries import Entry
from rekall.core.errors import ValidationError

FIELDS = ("title", "type", "tags", "project", "confidence")


def entry_to_document(entry: Entry) -> str:
    """The editable text: key: value lines between --- fences, then the Markdown content."""
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
    if not text.startswith("---\n"):
        raise ValidationError("the edited text must start with the '---' header; edit aborted")
    header, sep, content = text[4:].partition("\n---\n")
    if not sep:
        raise ValidationError("the header's closing '---' line is missing; edit aborted")
    fields: dict[str, Any] = {}
    for line in header.splitlines():
        key, colon, value = line.partition(":")
        key = key.strip()
        if not colon or key not in FIELDS:
            raise ValidationError(f"unknown header line '{line}'; allowed: {', '.join(FIELDS)}")
        fields[key] = value.strip()
    if "confidence" in fields:
        try:
            fields["confidence"] = int(fields["confidence"])
        except ValueError:
            raise ValidationError("confidence must be a whole number 0-5") from None
    fields["content"] = content[1:] if content.startswith("\n") else content
    return fields


def changed_fields(entry: Entry, fields: dict[str, Any]) -> dict[str, Any]:
    """Only what differs from the entry, with tags as a tuple."""
    current = {
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


def edit_in_editor(entry: Entry) -> dict[str, Any]:
    """Open $EDITOR on the entry; return the changed fields (empty when unchanged).

    Raises ValidationError when the saved file is not UTF-8 or its header is broken.
    """
    document = entry_to_document(entry)
    try:
        edited = click.edit(document, extension=".md", require_save=True)
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"the edited text is not valid UTF-8 (byte {exc.start}); edit aborted"
        ) from exc
    if edited is None:
        return {}
    if not document.endswith("\n") and edited.endswith("\n"):
        # click.edit (and most editors) end the file with a newline the content never had.
        edited = edited[:-1]
    return changed_fields(entry, parse_document(edited))
