"""A JSON (and JSONC) parser that keeps where each object and member sits in the text."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from rekall.core.errors import ClientConfigError

_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\.)*"', re.DOTALL)
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_LITERALS = {"true": True, "false": False, "null": None}
_SPACE = re.compile(r"[ \t\r\n]*")
# Only the top object and the objects directly in it need member positions; deeper values
# are decoded by the json module's C scanner (a user file of megabytes parses in milliseconds).
POSITIONED_DEPTH = 2


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


class JsonSyntaxError(ClientConfigError):
    """The text is not valid JSON (or JSONC); the message gives the line and column."""


@dataclass
class Member:
    """A key and its value's span in the text (value_end is exclusive)."""

    key: str
    key_start: int
    value_start: int
    value_end: int
    value: Any


@dataclass
class JsonObject:
    """An object with the span of its braces and its members in text order."""

    start: int
    end: int
    members: list[Member] = field(default_factory=list)

    def get(self, key: str) -> Member | None:
        """The last member named key (JSON parsers keep the last duplicate), or None."""
        found = [member for member in self.members if member.key == key]
        return found[-1] if found else None


def plain(value: Any) -> Any:
    """A parsed value with JsonObject turned into dicts, for comparing with wanted values."""
    if isinstance(value, JsonObject):
        return {member.key: plain(member.value) for member in value.members}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


class _Parser:
    def __init__(self, text: str, jsonc: bool) -> None:
        self.text = text
        self.jsonc = jsonc
        self.pos = 1 if text.startswith("\ufeff") else 0
        self.depth = 0

    def fail(self, reason: str) -> JsonSyntaxError:
        line = self.text.count("\n", 0, self.pos) + 1
        column = self.pos - (self.text.rfind("\n", 0, self.pos) + 1) + 1
        return JsonSyntaxError(f"line {line}, column {column}: {reason}")

    def skip(self) -> None:
        while True:
            self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if not self.jsonc or not self.text.startswith("/", self.pos):
                return
            if self.text.startswith("//", self.pos):
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            elif self.text.startswith("/*", self.pos):
                end = self.text.find("*/", self.pos + 2)
                if end < 0:
                    raise self.fail("unclosed /* comment")
                self.pos = end + 2
            else:
                return

    def document(self) -> Any:
        self.skip()
        value = self.value()
        self.skip()
        if self.pos != len(self.text):
            raise self.fail("unexpected text after the end of the document")
        return value

    def value(self) -> Any:
        if self.pos >= len(self.text):
            raise self.fail("unexpected end of the document")
        if self.depth >= POSITIONED_DEPTH:
            try:
                value, self.pos = _DECODER.raw_decode(self.text, self.pos)
                return value
            except ValueError:
                pass  # comments or trailing commas inside (JSONC), or an error to locate
        char = self.text[self.pos]
        if char == "{":
            return self.object()
        if char == "[":
            return self.array()
        if char == '"':
            return self.string()
        for word, literal in _LITERALS.items():
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return literal
        match = _NUMBER.match(self.text, self.pos)
        if not match:
            raise self.fail(f"unexpected character {char!r}")
        self.pos = match.end()
        return json.loads(match.group())

    def string(self) -> str:
        match = _STRING.match(self.text, self.pos)
        if not match:
            raise self.fail("unterminated or invalid string")
        self.pos = match.end()
        try:
            return str(json.loads(match.group()))
        except json.JSONDecodeError as exc:
            raise self.fail(f"invalid string escape ({exc.msg})") from exc

    def items(self, close: str, item: Any) -> None:
        """Parse comma-separated items up to close (a trailing comma only in JSONC)."""
        self.pos += 1
        self.skip()
        if self.text.startswith(close, self.pos):
            self.pos += 1
            return
        while True:
            item()
            self.skip()
            if self.text.startswith(close, self.pos):
                self.pos += 1
                return
            if not self.text.startswith(",", self.pos):
                raise self.fail(f"expected ',' or '{close}'")
            self.pos += 1
            self.skip()
            if self.text.startswith(close, self.pos):
                if not self.jsonc:
                    raise self.fail(f"trailing comma before '{close}'")
                self.pos += 1
                return

    def array(self) -> list[Any]:
        values: list[Any] = []
        self.depth += 1
        self.items("]", lambda: values.append(self.value()))
        self.depth -= 1
        return values

    def object(self) -> JsonObject:
        found = JsonObject(self.pos, -1)

        def member() -> None:
            if not self.text.startswith('"', self.pos):
                raise self.fail("expected a quoted key")
            key_start = self.pos
            key = self.string()
            self.skip()
            if not self.text.startswith(":", self.pos):
                raise self.fail("expected ':' after a key")
            self.pos += 1
            self.skip()
            value_start = self.pos
            value = self.value()
            found.members.append(Member(key, key_start, value_start, self.pos, value))

        self.depth += 1
        self.items("}", member)
        self.depth -= 1
        found.end = self.pos
        return found


def parse(text: str, jsonc: bool = False) -> Any:
    """Parse a document (empty text counts as {}). Raises ClientConfigError with the place."""
    if not text.strip().lstrip("\ufeff"):
        return JsonObject(0, 0)
    return _Parser(text, jsonc).document()
