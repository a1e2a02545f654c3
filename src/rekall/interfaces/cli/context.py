"""Shared CLI plumbing: the service for this invocation, stdin reading, option types."""

from __future__ import annotations

import io
import os
import stat
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from rekall.core.entries import ENTRY_TYPES, STATUSES
from rekall.core.errors import UsageError, ValidationError
from rekall.interfaces.cli.filters import build_filter as build_filter

if TYPE_CHECKING:
    from rekall.service import Rekall


def get_service(ctx: click.Context | None = None) -> Rekall:
    """The Rekall facade for this invocation, opened once and closed when the command ends."""
    ctx = ctx or click.get_current_context()
    root = ctx.find_root()
    service = root.meta.get("rekall.service")
    if service is None:
        from rekall.service import Rekall

        service = Rekall(notify=lambda message: click.echo(message, err=True))
        root.meta["rekall.service"] = service
        root.call_on_close(service.close)
    return service


def stdin_is_terminal() -> bool:
    """Whether a person can answer a prompt or use an editor here."""
    return sys.stdin.isatty()


def confirm_or_refuse(question: str, refusal: str) -> None:
    """Ask question on the terminal (abort on no); without a terminal raise UsageError
    with refusal, which should name --yes."""
    if not stdin_is_terminal():
        raise UsageError(f"{refusal}: stdin is not a terminal; pass --yes")
    click.confirm(question, abort=True, err=True)


def read_stdin_text() -> str:
    """All of stdin as UTF-8. Raises ValidationError naming the bad byte."""
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"stdin is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "convert it first, e.g. with iconv -f latin1 -t utf-8"
        ) from exc


def content_from(option: str | None) -> str:
    """Content from -c, else from piped stdin, else empty.

    Raises ValidationError when stdin is a pipe or file that held nothing: `git diff |
    rekall add snippet …` with an empty diff must not save an empty snippet.
    """
    if option is not None:
        return option
    if stdin_is_terminal():
        return ""
    text = read_stdin_text()
    if not text.strip() and stdin_is_piped():
        raise ValidationError(
            "stdin was empty (the command before '|' printed nothing), so nothing was "
            "saved; pass -c '' to save an entry without content"
        )
    return text


def stdin_is_piped() -> bool:
    """Whether stdin is a pipe or a file (not a terminal, /dev/null or nothing at all)."""
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError, io.UnsupportedOperation):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode)


TYPE_CHOICE = click.Choice(ENTRY_TYPES, case_sensitive=False)
STATUS_CHOICE = click.Choice((*STATUSES, "all"), case_sensitive=False)


def filter_options(default_status: str) -> list[click.Option]:
    """--type/--tag/--project/--status, shared by list, search and similar."""
    return [
        click.Option(
            ["--type", "types"],
            type=TYPE_CHOICE,
            multiple=True,
            help="Only this type (repeatable).",
        ),
        click.Option(
            ["--tag", "tags"],
            multiple=True,
            help="Only entries with this tag (repeatable, or comma list; all must match).",
        ),
        click.Option(["--project", "-p"], default=None, help="Only this project."),
        click.Option(
            ["--status"],
            type=STATUS_CHOICE,
            default=default_status,
            show_default=True,
            help="Only this status; 'all' for every status.",
        ),
    ]


def with_filters(default_status: str) -> Callable[[click.Command], click.Command]:
    """Decorator adding the shared filter options to a command."""

    def decorate(command: click.Command) -> click.Command:
        command.params.extend(filter_options(default_status))
        return command

    return decorate
