"""The versioned JSON export document: writing it, and parsing untrusted files into records."""

from __future__ import annotations

import json
from typing import Any

from rekall import __version__
from rekall.core.errors import ValidationError
from rekall.core.export_vectors import vectors_from_dict, vectors_to_dict
from rekall.core.record_checks import link_from_dict, record_from_dict, shown
from rekall.core.records import (
    EntryRecord,
    ExportDocument,
    LinkRecord,
    link_to_dict,
    record_to_dict,
)

FORMAT_NAME = "rekall-export"
# Version 2 added the optional "vectors" section; version 1 files are read as they are.
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
TOP_LEVEL_KEYS = {"format", "version", "rekall_version", "entries", "links"}
VECTORS_KEY = "vectors"


def document_to_json(document: ExportDocument) -> str:
    """The document as pretty JSON. Deterministic: the same base always gives the same text."""
    data: dict[str, Any] = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "rekall_version": __version__,
        "entries": [record_to_dict(record) for record in document.entries],
        "links": [link_to_dict(link) for link in document.links],
    }
    if document.vectors is not None and document.vectors.items:
        data[VECTORS_KEY] = vectors_to_dict(document.vectors)
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def decode_text(data: bytes, source: str) -> str:
    """UTF-8 text of a file. Raises ValidationError naming the file and the bad byte."""
    if b"\x00" in data:
        offset = data.index(b"\x00")
        raise ValidationError(
            f"{source}: contains a NUL byte at offset {offset}; this is binary data, "
            "not a Rekall export"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"{source}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8 and try again"
        ) from exc


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a valid JSON number")


def load_json(text: str, source: str) -> Any:
    """Parse JSON strictly (no NaN/Infinity). Raises ValidationError with line and column."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"{source}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from exc
    except ValueError as exc:
        raise ValidationError(f"{source}: not valid JSON ({exc})") from exc
    except RecursionError as exc:
        raise ValidationError(f"{source}: JSON nested too deeply") from exc


def parse_json_document(data: bytes, source: str) -> ExportDocument:
    """Validate a whole export file into a document. Raises ValidationError on any problem."""
    raw = load_json(decode_text(data, source), source)
    if not isinstance(raw, dict):
        raise ValidationError(
            f'{source}: expected a JSON object with "format": "{FORMAT_NAME}", '
            f"found {type(raw).__name__}"
        )
    check_header(raw.get("format"), raw.get("version"), source)
    known = TOP_LEVEL_KEYS | ({VECTORS_KEY} if raw["version"] >= 2 else set())
    unknown = set(raw) - known
    if unknown:
        names = ", ".join(sorted(shown(name) for name in unknown))
        raise ValidationError(f"{source}: unknown top-level field(s) {names}")
    entries = _list_of(raw, "entries", source)
    links = _list_of(raw, "links", source)
    document = build_document(
        [record_from_dict(item, f"{source}: entry {n}") for n, item in enumerate(entries, 1)],
        [link_from_dict(item, f"{source}: link {n}") for n, item in enumerate(links, 1)],
        source,
    )
    if VECTORS_KEY not in raw:
        return document
    ids = {record.id for record in document.entries}
    vectors = vectors_from_dict(raw[VECTORS_KEY], ids, source)
    return ExportDocument(document.entries, document.links, vectors)


def check_header(format_name: Any, version: Any, source: str) -> None:
    """Accept only this format at a version this code reads. Raises ValidationError."""
    if format_name != FORMAT_NAME:
        found = shown(json.dumps(format_name, ensure_ascii=False))
        raise ValidationError(
            f'{source}: unknown format {found}; expected "{FORMAT_NAME}" '
            "(a file written by 'rekall export')"
        )
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValidationError(f'{source}: "version" must be a whole number')
    if version not in READABLE_VERSIONS:
        newer = (
            " (written by a newer Rekall; upgrade to import it)" if version > FORMAT_VERSION else ""
        )
        raise ValidationError(
            f"{source}: export version {version} is not supported; this Rekall reads "
            f"versions {', '.join(map(str, READABLE_VERSIONS))}{newer}"
        )


def _list_of(raw: dict[str, Any], key: str, source: str) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise ValidationError(f'{source}: "{key}" must be a list, not {type(value).__name__}')
    return value


def build_document(
    entries: list[EntryRecord], links: list[LinkRecord], source: str
) -> ExportDocument:
    """A document from validated parts. Raises ValidationError on duplicate ids or links."""
    seen: set[str] = set()
    for record in entries:
        if record.id in seen:
            raise ValidationError(f"{source}: entry {record.id} appears more than once")
        seen.add(record.id)
    keys: set[tuple[str, str, str]] = set()
    for link in links:
        if link.key in keys:
            raise ValidationError(
                f"{source}: link {link.source} -> {link.target} ({link.type}) appears twice"
            )
        keys.add(link.key)
    return ExportDocument(tuple(entries), tuple(links))
