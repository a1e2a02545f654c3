"""Argument types every command shares: text that must be UTF-8, integers SQLite can hold."""

from __future__ import annotations

from typing import Any

import click

# SQLite stores integers in 64 bits; anything larger overflows deep in a query.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


class ArgumentError(click.ClickException):
    """A refused argument: one "Error:" line and exit 2, like every other refused field."""

    exit_code = 2


class Utf8Text(click.types.StringParamType):
    """A string argument; refuses undecodable bytes (lone surrogates from a non-UTF-8 argv)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text: str = super().convert(value, param, ctx)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            byte = ord(text[exc.start]) - 0xDC00
            where = f"byte 0x{byte:02x}" if 0x80 <= byte <= 0xFF else "a lone surrogate"
            name = param.get_error_hint(ctx) if param is not None and ctx else "an argument"
            raise ArgumentError(
                f"{name} is not valid UTF-8 text ({where} at position {exc.start}); "
                "convert it first, e.g. with iconv -f latin1 -t utf-8"
            ) from None
        return text


TEXT = Utf8Text()


class CheckedPath(click.ParamType):  # type: ignore[type-arg]
    """A click.Path that refuses a NUL byte cleanly (the OS cannot name such a file; click
    lets os.stat's ValueError through as a traceback)."""

    def __init__(self, inner: click.Path) -> None:
        self.inner = inner
        self.name = inner.name

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and "\x00" in value:
            name = param.get_error_hint(ctx) if param is not None and ctx else "a path"
            raise ArgumentError(f"{name} contains a NUL byte, which no file name can hold")
        return self.inner.convert(value, param, ctx)


def bounded(param_type: click.ParamType[Any]) -> click.ParamType[Any]:
    """The same type with every string made UTF-8-checked and every integer made int64-bounded."""
    if param_type is click.STRING:
        return TEXT
    if param_type is click.INT:
        return click.IntRange(INT64_MIN, INT64_MAX)
    if isinstance(param_type, click.IntRange) and (
        param_type.min is None or param_type.max is None
    ):
        low = INT64_MIN if param_type.min is None else param_type.min
        high = INT64_MAX if param_type.max is None else param_type.max
        return click.IntRange(low, high)
    if isinstance(param_type, click.Path):
        return CheckedPath(param_type)
    if isinstance(param_type, click.Tuple):
        return click.Tuple([bounded(item) for item in param_type.types])
    return param_type


def harden(command: click.Command) -> None:
    """Apply bounded() to every parameter of a command and of its subcommands."""
    for param in command.params:
        param.type = bounded(param.type)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            harden(sub)
