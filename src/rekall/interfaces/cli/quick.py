"""`rekall search` without loading click: plain arguments parsed here, output as click prints it.

Importing click and building the command line was ~10 ms of a ~60 ms cold search beyond the
`import numpy` floor. Only arguments this parser fully understands take this path; anything
else (help, a bad value, an unknown option, `--opt=value`, a repeated option) goes to the
click command, which then says exactly what it always said. Errors raised while searching
are shown by click's own exception classes, so messages and exit codes are click's.
"""

from __future__ import annotations

import errno
import re
import sys
from typing import Any, NoReturn

from rekall.config import SEARCH_MODES
from rekall.core.entries import ENTRY_TYPES, MAX_SEARCH_LIMIT, STATUSES
from rekall.core.errors import RekallError, UsageError
from rekall.core.results import SlotRecord

# click.utils.strip_ansi's pattern: click removes these when a stream is not a terminal.
ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")
DIGITS = re.compile(r"[0-9]+", re.ASCII)
CHOICES = {
    "mode": SEARCH_MODES,
    "types": ENTRY_TYPES,
    "status": (*STATUSES, "all"),
}
OPTIONS = {
    "--mode": "mode",
    "-m": "mode",
    "-n": "limit",
    "--limit": "limit",
    "--type": "types",
    "--tag": "tags",
    "--project": "project",
    "-p": "project",
    "--status": "status",
}
REPEATABLE = {"types", "tags"}


class SearchArgs(SlotRecord):
    """What `rekall search` was asked, as the click command would receive it."""

    __slots__ = ("query", "mode", "limit", "as_json", "types", "tags", "project", "status")

    def __init__(self) -> None:
        self.query = ""
        self.mode: str | None = None
        self.limit: int | None = None
        self.as_json = False
        self.types: list[str] = []
        self.tags: list[str] = []
        self.project: str | None = None
        self.status = "active"


def parse_search_args(args: list[str]) -> SearchArgs | None:
    """The arguments after `search`, or None when click must handle them."""
    parsed, queries, seen = SearchArgs(), [], set()
    remaining = iter(args)
    for arg in remaining:
        if not _plain_text(arg):
            return None
        if arg == "--json":
            if "json" in seen:
                return None
            seen.add("json")
            parsed.as_json = True
            continue
        if arg.startswith("-"):
            name = OPTIONS.get(arg)
            value = next(remaining, None)
            if name is None or value is None or value.startswith("-") or not _plain_text(value):
                return None
            if name in seen and name not in REPEATABLE:
                return None
            seen.add(name)
            if not _store(parsed, name, value):
                return None
            continue
        queries.append(arg)
    if len(queries) != 1:
        return None
    parsed.query = queries[0]
    return parsed


def _plain_text(arg: str) -> bool:
    try:
        arg.encode("utf-8")  # lone surrogates from a non-UTF-8 argv: click names them
    except UnicodeEncodeError:
        return False
    return True


def _store(parsed: SearchArgs, name: str, value: str) -> bool:
    """Set one option as click's types would convert it; False when click must decide."""
    if name == "limit":
        if not DIGITS.fullmatch(value) or not 1 <= int(value) <= MAX_SEARCH_LIMIT:
            return False
        parsed.limit = int(value)
    elif name in CHOICES:
        # click.Choice(case_sensitive=False) gives back the choice as declared.
        if not value.isascii():
            return False
        choice = {c.casefold(): c for c in CHOICES[name]}.get(value.casefold())
        if choice is None:
            return False
        if name in REPEATABLE:
            parsed.types.append(choice)
        else:
            setattr(parsed, name, choice)
    elif name == "tags":
        parsed.tags.append(value)
    else:
        parsed.project = value
    return True


def plain_echo(message: str, err: bool = False) -> None:
    """click.echo for a str on a POSIX stream with a real encoding: the line, without ANSI
    codes when the stream is not a terminal, flushed."""
    stream = sys.stderr if err else sys.stdout
    text = message + "\n"
    if not stream.isatty():
        text = ANSI.sub("", text)
    stream.write(text)
    stream.flush()


def can_answer(argv: list[str]) -> bool:
    """Whether this process may answer `rekall search` here (else click does)."""
    streams = (sys.stdout, sys.stderr)
    return (
        argv[1:2] == ["search"]
        and sys.platform != "win32"  # click writes to the Windows console its own way
        and all(s is not None and "ascii" not in str(s.encoding).lower() for s in streams)
    )


def answer_search(args: list[str]) -> bool:
    """Run `rekall search` with args when they are plain; False when click must."""
    parsed = parse_search_args(args)
    if parsed is None:
        return False
    from rekall.interfaces.cli import render
    from rekall.interfaces.cli.filters import build_filter
    from rekall.service import Rekall

    try:
        service = Rekall(notify=lambda message: plain_echo(message, err=True))
        try:
            filters = build_filter(
                tuple(parsed.types), tuple(parsed.tags), parsed.project, parsed.status
            )
            response = service.search(parsed.query, parsed.mode, filters, parsed.limit)
            if parsed.as_json:
                render.print_json(render.search_response_dict(response), plain_echo)
            else:
                render.print_search(response, plain_echo)
        except KeyboardInterrupt:
            plain_echo("Interrupted.", err=True)
            sys.exit(130)
        finally:
            service.close()
    except UsageError as exc:
        _exit_like_click("UsageError", str(exc))
    except RekallError as exc:
        _exit_like_click("ClickException", str(exc))
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        _exit_on_closed_pipe()
    return True


def _exit_like_click(kind: str, message: str) -> NoReturn:
    """Show an error with click's own class (it is loaded now, only for the error)."""
    import click

    error: click.ClickException = (
        click.UsageError(message, ctx=None)
        if kind == "UsageError"
        else click.ClickException(message)
    )
    error.show()
    sys.exit(error.exit_code)


def _exit_on_closed_pipe() -> NoReturn:
    """What click does when the reader of stdout went away (`rekall search x | head -1`)."""
    from click import utils

    # Named PacifyFlushWrapper before click 8.2.
    wrapper: Any = getattr(utils, "_PacifyFlushWrapper", None) or utils.PacifyFlushWrapper
    sys.stdout = wrapper(sys.stdout)
    sys.stderr = wrapper(sys.stderr)
    sys.exit(1)
