"""Edit one member of a JSON (or JSONC) document in place, leaving every other byte as it was.

Client config files are the user's: re-serialising them would reorder keys, reflow arrays
and drop comments. So the document is parsed with positions (core.json_positions), and only
the span of the one member being added, replaced or removed is rewritten.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rekall.core.errors import ClientConfigError
from rekall.core.json_positions import JsonObject, JsonSyntaxError, Member, parse, plain

__all__ = ["JsonSyntaxError", "lookup", "parse", "plain", "remove", "upsert"]


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return "a number"


def _line_indent(text: str, pos: int) -> str:
    prefix = text[text.rfind("\n", 0, pos) + 1 : pos]
    return prefix[: len(prefix) - len(prefix.lstrip(" \t"))]


def _own_line(text: str, pos: int) -> bool:
    return not text[text.rfind("\n", 0, pos) + 1 : pos].strip(" \t\ufeff")


def _render(value: Any, indent: str, unit: str, newline: str) -> str:
    """Objects one member a line, as config files are written; arrays of plain values inline."""
    if not isinstance(value, dict) or not value:
        return json.dumps(value, ensure_ascii=False)
    inner = indent + unit
    members = [
        f"{json.dumps(key, ensure_ascii=False)}: {_render(item, inner, unit, newline)}"
        for key, item in value.items()
    ]
    return "{" + newline + inner + ("," + newline + inner).join(members) + newline + indent + "}"


@dataclass(frozen=True)
class _Style:
    unit: str
    newline: str


def _style(text: str, top: JsonObject) -> _Style:
    """The file's indent step and line ending, so an insertion looks like its neighbours."""
    newline = "\r\n" if "\r\n" in text else "\n"
    for member in top.members:
        if _own_line(text, member.key_start):
            outer = _line_indent(text, top.start)
            inner = _line_indent(text, member.key_start)
            if inner.startswith(outer) and len(inner) > len(outer):
                return _Style(inner[len(outer) :], newline)
    return _Style("  ", newline)


def _member_text(key: str, value: Any, indent: str, style: _Style) -> str:
    rendered = _render(value, indent, style.unit, style.newline)
    return f"{json.dumps(key, ensure_ascii=False)}: {rendered}"


def _line_tail(text: str, member: Member) -> tuple[bool, int] | None:
    """When only a comma and a // comment follow the member on its line: (comma?, next line)."""
    pos = member.value_end
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    comma = text.startswith(",", pos)
    pos += comma
    while pos < len(text) and text[pos] in " \t\r":
        pos += 1
    if text.startswith("//", pos):
        pos = text.find("\n", pos)
        pos = len(text) if pos < 0 else pos
    if pos < len(text) and text[pos] != "\n":
        return None
    return comma, pos + 1


def _on_own_lines(text: str, member: Member) -> tuple[bool, int] | None:
    """The member's line tail when it has its lines to itself (one member a line)."""
    return _line_tail(text, member) if _own_line(text, member.key_start) else None


def _insert(text: str, obj: JsonObject, key: str, value: Any, style: _Style) -> str:
    """Add a member last, as a line of its own when its neighbours are; commas mirror them."""
    if not obj.members:
        outer = _line_indent(text, obj.start)
        indent = outer + style.unit
        added = style.newline + indent + _member_text(key, value, indent, style)
        interior = text[obj.start + 1 : obj.end - 1]
        if interior.strip():  # a comment sits in the empty object: the member goes below it
            eol = text.find("\n", obj.start, obj.end)
            if eol < 0:
                return text[: obj.start + 1] + added + text[obj.start + 1 :]
            line = indent + _member_text(key, value, indent, style) + style.newline
            return text[: eol + 1] + line + text[eol + 1 :]
        return text[: obj.start + 1] + added + style.newline + outer + text[obj.end - 1 :]
    last = obj.members[-1]
    tail = _on_own_lines(text, last)
    if tail is None:  # a one-line object stays on one line
        added = f", {json.dumps(key, ensure_ascii=False)}: {json.dumps(value, ensure_ascii=False)}"
        return text[: last.value_end] + added + text[last.value_end :]
    comma, line_end = tail
    indent = _line_indent(text, last.key_start)
    line = indent + _member_text(key, value, indent, style) + ("," if comma else "")
    line += style.newline
    if comma:  # the file ends members with a trailing comma: so does the new one
        return text[:line_end] + line + text[line_end:]
    return text[: last.value_end] + "," + text[last.value_end : line_end] + line + text[line_end:]


def _delete(text: str, obj: JsonObject, index: int) -> str:
    """Remove one member, undoing exactly what _insert does."""
    members = obj.members
    member = members[index]
    tail = _on_own_lines(text, member)
    if tail is None:
        if len(members) == 1:
            return text[: obj.start + 1] + text[obj.end - 1 :]
        if index > 0:
            return text[: members[index - 1].value_end] + text[member.value_end :]
        return text[: member.key_start] + text[members[1].key_start :]
    comma, line_end = tail
    line_start = text.rfind("\n", 0, member.key_start) + 1
    rest = text[obj.start + 1 : line_start] + text[line_end : obj.end - 1]
    if len(members) == 1 and not rest.strip():  # back to the {} it was made from
        return text[: obj.start + 1] + text[obj.end - 1 :]
    text = text[:line_start] + text[line_end:]
    if index == len(members) - 1 and index > 0 and not comma:
        # The previous member was followed by a separator for this one: drop it.
        separator = text.index(",", members[index - 1].value_end)
        return text[:separator] + text[separator + 1 :]
    return text


def _replace(text: str, member: Member, value: Any, style: _Style) -> str:
    if _own_line(text, member.key_start):
        indent = _line_indent(text, member.key_start)
        rendered = _render(value, indent, style.unit, style.newline)
    else:
        rendered = json.dumps(value, ensure_ascii=False)
    return text[: member.value_start] + rendered + text[member.value_end :]


def _top(text: str, jsonc: bool) -> JsonObject:
    document = parse(text, jsonc)
    if not isinstance(document, JsonObject):
        raise ClientConfigError(f"the top level is {_kind(document)}, not an object")
    return document


def _container(text: str, top: JsonObject, name: str) -> JsonObject | None:
    member = top.get(name)
    if member is None:
        return None
    if not isinstance(member.value, JsonObject):
        raise ClientConfigError(f"'{name}' is {_kind(member.value)}, not an object")
    return member.value


def lookup(text: str, container: str, key: str, jsonc: bool = False) -> Any:
    """The plain value of container.key, or None when absent. Raises ClientConfigError."""
    box = _container(text, _top(text, jsonc), container)
    member = box.get(key) if box else None
    return None if member is None else plain(member.value)


def upsert(text: str, container: str, key: str, value: Any, jsonc: bool = False) -> str:
    """The text with container.key set to value (unchanged if it already is).

    Raises ClientConfigError when the text is not valid or not shaped as expected.
    """
    top = _top(text, jsonc)
    if not text.strip().lstrip("\ufeff"):
        return _render({container: {key: value}}, "", "  ", "\n") + "\n"
    style = _style(text, top)
    box = _container(text, top, container)
    if box is None:
        return _insert(text, top, container, {key: value}, style)
    member = box.get(key)
    if member is None:
        return _insert(text, box, key, value, style)
    if plain(member.value) == value:
        return text
    return _replace(text, member, value, style)


def remove(text: str, container: str, key: str, jsonc: bool = False) -> str:
    """The text without container.key (unchanged if absent). Raises ClientConfigError."""
    box = _container(text, _top(text, jsonc), container)
    while box is not None and box.get(key) is not None:
        index = max(i for i, member in enumerate(box.members) if member.key == key)
        text = _delete(text, box, index)
        box = _container(text, _top(text, jsonc), container)
    return text
