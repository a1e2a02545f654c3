"""Entries as Markdown files with front matter: readable anywhere, and read back losslessly.

Each front-matter line is `key: value` with the value in JSON syntax (quoted strings, lists,
null), which YAML readers also accept. The body after the front matter is the content as is.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from rekall.core.errors import ValidationError
from rekall.core.export_format import decode_text, load_json
from rekall.core.record_checks import link_from_dict, record_from_dict
from rekall.core.records import EntryRecord, LinkRecord, record_to_dict

# The Markdown export carries no vectors: it stays at version 1 of the export format.
MARKDOWN_VERSION = 1
MARKER = "rekall_export"
FENCE = "---"
SLUG_CHARS = 48


def entry_to_markdown(record: EntryRecord, links: Sequence[LinkRecord]) -> str:
    """One entry (with its outgoing links) as a Markdown document."""
    data = record_to_dict(record)
    content = data.pop("content")
    data["links"] = [
        {
            "target": link.target,
            "type": link.type,
            "reason": link.reason,
            "created_at": link.created_at,
        }
        for link in links
    ]
    lines = [FENCE, f"{MARKER}: {MARKDOWN_VERSION}"]
    lines += [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in data.items()]
    return "\n".join([*lines, FENCE, "", content])


def markdown_file_name(record: EntryRecord) -> str:
    """A file name that sorts by creation and says what the entry is about."""
    ascii_title = unicodedata.normalize("NFKD", record.title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:SLUG_CHARS].strip("-")
    return f"{record.id}-{slug}.md" if slug else f"{record.id}.md"


def parse_markdown_entry(data: bytes, source: str) -> tuple[EntryRecord, list[LinkRecord]]:
    """One exported Markdown file back into a record and its outgoing links.

    Raises ValidationError naming the file, and the line when the front matter is at fault.
    """
    front, content = _split(decode_text(data, source), source)
    fields = _front_matter(front, source)
    marker = fields.pop(MARKER, None)
    if marker != MARKDOWN_VERSION:
        raise ValidationError(
            f"{source}: front matter needs '{MARKER}: {MARKDOWN_VERSION}' "
            f"(found {json.dumps(marker)}); was this file written by 'rekall export'?"
        )
    raw_links = fields.pop("links", [])
    if "content" in fields:
        raise ValidationError(f"{source}: 'content' belongs in the body, not the front matter")
    fields["content"] = content
    record = record_from_dict(fields, source)
    if not isinstance(raw_links, list):
        raise ValidationError(f"{source}: 'links' must be a list")
    links = [
        link_from_dict(_with_source(item, record.id), f"{source}: link {n}")
        for n, item in enumerate(raw_links, 1)
    ]
    if any(link.source != record.id for link in links):
        raise ValidationError(f"{source}: a link listed in an entry's file must start from it")
    return record, links


def _with_source(item: Any, source_id: str) -> Any:
    if isinstance(item, dict) and "source" not in item:
        return {"source": source_id, **item}
    return item


def _split(text: str, source: str) -> tuple[list[str], str]:
    lines = text.split("\n")
    if lines[0].rstrip("\r") != FENCE:
        raise ValidationError(f"{source}: no front matter; the file must start with a '---' line")
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r") == FENCE:
            body = "\n".join(lines[index + 1 :])
            # The writer puts one blank line between front matter and content.
            for separator in ("\r\n", "\n"):
                if body.startswith(separator):
                    body = body[len(separator) :]
                    break
            return lines[1:index], body
    raise ValidationError(f"{source}: the front matter is not closed by a '---' line")


def _front_matter(lines: list[str], source: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for number, line in enumerate(lines, start=2):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, colon, value = stripped.partition(":")
        key = key.strip()
        if not colon or not key:
            raise ValidationError(f"{source}: line {number}: expected 'key: value'")
        if key in fields:
            raise ValidationError(f"{source}: line {number}: '{key}' is given twice")
        fields[key] = load_json(value.strip(), f"{source}: line {number} ('{key}')")
    return fields
