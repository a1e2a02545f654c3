"""Validation of untrusted entry and link fields (from import files) into records."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from rekall.core import entries as core
from rekall.core.context import EntryContext
from rekall.core.errors import ValidationError
from rekall.core.ids import ID_LENGTH, looks_like_id_prefix, normalize_id_prefix
from rekall.core.records import ENTRY_FIELDS, LINK_FIELDS, EntryRecord, LinkRecord

MAX_TIMESTAMP_CHARS = 64
MAX_SHORT_TEXT_CHARS = 64
MAX_CONTEXT_BYTES = 200_000
MAX_KEYWORDS = 100
MAX_KEYWORD_CHARS = 200
MAX_REASON_CHARS = core.MAX_TITLE_CHARS * 4

Check = Callable[[Any, str], Any]


def _fail(where: str, problem: str) -> ValidationError:
    return ValidationError(f"{where}: {problem}")


def shown(value: object, limit: int = 60) -> str:
    """Untrusted text made safe to print in a message: escaped, printable, short."""
    text = str(value).encode("utf-8", "backslashreplace").decode("utf-8")
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _names(keys: set[Any]) -> str:
    return ", ".join(sorted(shown(key) for key in keys))


def _text(value: Any, where: str, limit: int, *, bytes_limit: bool = False) -> str:
    """A string without NUL or lone surrogates, within limit (characters or UTF-8 bytes)."""
    if not isinstance(value, str):
        raise _fail(where, f"must be a string, not {type(value).__name__}")
    if "\x00" in value:
        raise _fail(where, "contains a NUL character")
    try:
        size = len(value.encode("utf-8")) if bytes_limit else len(value)
    except UnicodeEncodeError as exc:
        raise _fail(where, "is not valid UTF-8 text (a lone surrogate)") from exc
    if size > limit:
        unit = "bytes" if bytes_limit else "characters"
        raise _fail(where, f"is {size:,} {unit} long; the limit is {limit:,} {unit}")
    return value


def _optional(check: Check) -> Check:
    def optional(value: Any, where: str) -> Any:
        return None if value is None else check(value, where)

    return optional


def check_id(value: Any, where: str) -> str:
    """An entry id: 26 Crockford base32 characters, upper case."""
    text = _text(value, where, ID_LENGTH)
    if (
        len(text) != ID_LENGTH
        or not looks_like_id_prefix(text)
        or normalize_id_prefix(text) != text
    ):
        raise _fail(where, f"'{text}' is not an entry id (26 characters such as 01JD3K...)")
    return text


def check_timestamp(value: Any, where: str) -> str:
    """An ISO-8601 date and time, kept exactly as written."""
    text = _text(value, where, MAX_TIMESTAMP_CHARS)
    try:
        datetime.fromisoformat(text)
    except ValueError as exc:
        raise _fail(where, f"'{text}' is not an ISO-8601 date and time") from exc
    return text


def _check_int(low: int, high: int | None) -> Check:
    def check(value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(where, f"must be a whole number, not {type(value).__name__}")
        if value < low or (high is not None and value > high):
            raise _fail(where, f"{value} is out of range ({low}-{high if high else 'any'})")
        return value

    return check


def check_float(value: Any, where: str) -> float:
    """A finite number, stored as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(where, f"must be a number, not {type(value).__name__}")
    if not math.isfinite(value):
        raise _fail(where, "must be a finite number")
    return float(value)


def _core_check(validate: Callable[[Any], Any], limit: int) -> Check:
    """Apply a core validator to a string field, naming the field on failure."""

    def check(value: Any, where: str) -> Any:
        text = _text(value, where, limit)
        try:
            return validate(text)
        except ValidationError as exc:
            raise _fail(where, str(exc)) from exc

    return check


def check_title(value: Any, where: str) -> str:
    """A title, kept as written: non-blank, within the limit."""
    text = _text(value, where, core.MAX_TITLE_CHARS)
    if not text.strip():
        raise _fail(where, "is empty")
    return text


def check_tags(value: Any, where: str) -> tuple[str, ...]:
    """A list of tags, normalised as `rekall add` does."""
    if not isinstance(value, list):
        raise _fail(where, f"must be a list of strings, not {type(value).__name__}")
    items = [_text(item, f"{where}[{n}]", core.MAX_TAG_CHARS) for n, item in enumerate(value)]
    try:
        return core.validate_tags(items)
    except ValidationError as exc:
        raise _fail(where, str(exc)) from exc


def check_context(value: Any, where: str) -> EntryContext | None:
    """{"structured": object|null, "legacy_text": string|null, "keywords": [string]}."""
    if not isinstance(value, dict):
        raise _fail(where, f"must be an object, not {type(value).__name__}")
    unknown = set(value) - {"structured", "legacy_text", "keywords"}
    if unknown:
        raise _fail(where, f"unknown field(s) {_names(unknown)}")
    structured = value.get("structured")
    if structured is not None:
        _check_structured(structured, f"{where}.structured")
    legacy = _optional(lambda v, w: _text(v, w, core.MAX_CONTENT_BYTES, bytes_limit=True))
    keywords = value.get("keywords", [])
    if not isinstance(keywords, list) or len(keywords) > MAX_KEYWORDS:
        raise _fail(f"{where}.keywords", f"must be a list of at most {MAX_KEYWORDS} strings")
    words = [_text(k, f"{where}.keywords[{n}]", MAX_KEYWORD_CHARS) for n, k in enumerate(keywords)]
    context = EntryContext(
        structured,
        legacy(value.get("legacy_text"), f"{where}.legacy_text"),
        tuple(sorted(set(words))),
    )
    return None if context.is_empty else context


def _check_structured(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise _fail(where, f"must be an object or null, not {type(value).__name__}")
    # Looked for in the strings themselves: in the JSON text, a user's literal "\\u0000"
    # (six characters) reads the same as an escaped NUL.
    if _contains_nul(value):
        raise _fail(where, "contains a NUL character")
    _text(json.dumps(value, ensure_ascii=False), where, MAX_CONTEXT_BYTES, bytes_limit=True)


def _contains_nul(value: Any) -> bool:
    """Whether any key or string inside a parsed JSON value holds NUL (walked without
    recursion: the value may nest as deep as the parser allowed)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


ENTRY_CHECKS: dict[str, Check] = {
    "id": check_id,
    "type": _core_check(core.validate_type, MAX_SHORT_TEXT_CHARS),
    "title": check_title,
    "content": lambda v, w: _text(v, w, core.MAX_CONTENT_BYTES, bytes_limit=True),
    "tags": check_tags,
    "project": _optional(_core_check(core.validate_project, core.MAX_PROJECT_CHARS)),
    "status": _core_check(core.validate_status, MAX_SHORT_TEXT_CHARS),
    "confidence": _check_int(*core.CONFIDENCE_RANGE),
    "superseded_by": _optional(check_id),
    "created_at": check_timestamp,
    "updated_at": check_timestamp,
    "access_count": _check_int(0, None),
    "last_accessed": _optional(check_timestamp),
    "memory_type": _optional(lambda v, w: _text(v, w, MAX_SHORT_TEXT_CHARS)),
    "consolidation_score": _optional(check_float),
    "next_review": _optional(check_timestamp),
    "review_interval": _optional(_check_int(0, None)),
    "ease_factor": _optional(check_float),
    "review_repetitions": _check_int(0, None),
    "centrality_score": _optional(check_float),
    "created_by": _optional(lambda v, w: _text(v, w, MAX_SHORT_TEXT_CHARS)),
    "updated_by": _optional(lambda v, w: _text(v, w, MAX_SHORT_TEXT_CHARS)),
    "context": _optional(check_context),
}
REQUIRED_ENTRY_FIELDS = ("id", "type", "title", "content", "created_at", "updated_at")
ENTRY_DEFAULTS: dict[str, Any] = {
    "tags": [],
    "status": "active",
    "confidence": 3,
    "access_count": 0,
    # Optional in version 1: files written before review existed have no repetition count.
    "review_repetitions": 0,
}


def record_from_dict(data: Any, where: str) -> EntryRecord:
    """Validate one entry object into a record. Raises ValidationError naming where and why."""
    if not isinstance(data, Mapping):
        raise _fail(where, f"an entry must be an object, not {type(data).__name__}")
    raw_id = data.get("id")
    if isinstance(raw_id, str) and len(raw_id) <= ID_LENGTH:
        where = f"{where} (id {shown(raw_id)})"
    unknown = set(data) - set(ENTRY_FIELDS)
    if unknown:
        raise _fail(where, f"unknown field(s) {_names(unknown)}")
    missing = [name for name in REQUIRED_ENTRY_FIELDS if name not in data]
    if missing:
        raise _fail(where, f"missing field(s) {', '.join(missing)}")
    values = {
        name: check(data.get(name, ENTRY_DEFAULTS.get(name)), f"{where}: field '{name}'")
        for name, check in ENTRY_CHECKS.items()
    }
    record = EntryRecord(**values)
    if record.superseded_by == record.id:
        raise _fail(where, "an entry cannot be superseded by itself")
    return record


def link_from_dict(data: Any, where: str) -> LinkRecord:
    """Validate one link object. Raises ValidationError naming where and why."""
    if not isinstance(data, Mapping):
        raise _fail(where, f"a link must be an object, not {type(data).__name__}")
    unknown = set(data) - set(LINK_FIELDS)
    missing = [name for name in ("source", "target", "type", "created_at") if name not in data]
    if unknown or missing:
        detail = f"unknown field(s) {_names(unknown)}" if unknown else ""
        detail = detail or f"missing field(s) {', '.join(missing)}"
        raise _fail(where, detail)
    link_type = _text(data["type"], f"{where}: field 'type'", MAX_SHORT_TEXT_CHARS)
    if link_type not in core.LINK_TYPES:
        raise _fail(
            where, f"unknown link type '{link_type}'; use one of {', '.join(core.LINK_TYPES)}"
        )
    link = LinkRecord(
        source=check_id(data["source"], f"{where}: field 'source'"),
        target=check_id(data["target"], f"{where}: field 'target'"),
        type=link_type,
        reason=_optional(lambda v, w: _text(v, w, MAX_REASON_CHARS))(
            data.get("reason"), f"{where}: field 'reason'"
        ),
        created_at=check_timestamp(data["created_at"], f"{where}: field 'created_at'"),
    )
    if link.source == link.target:
        raise _fail(where, "a link cannot point from an entry to itself")
    return link
