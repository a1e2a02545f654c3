"""The options that carry an entry's context on `rekall add` and `rekall edit`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

# option → (context field, repeatable, help)
CONTEXT_OPTIONS: dict[str, tuple[str, bool, str]] = {
    "--situation": ("situation", False, "What was happening when the problem appeared."),
    "--solution": ("solution", False, "What fixed it."),
    "--what-failed": ("what_failed", False, "What was tried and did not work."),
    "--error": ("error_messages", True, "An exact error message (repeatable)."),
    "--keyword": ("trigger_keywords", True, "A word that should bring this back (repeatable)."),
    "--file": ("files_modified", True, "A file that was changed (repeatable)."),
    "--conversation": ("conversation_excerpt", False, "An excerpt of the discussion."),
}
_PREFIX = "context_"


def with_context_options(replacing: bool) -> Callable[[click.Command], click.Command]:
    """Decorator adding the context options; for edit, a list given replaces the old one."""
    suffix = " Replaces the old value ('' clears it)." if replacing else ""

    def decorate(command: click.Command) -> click.Command:
        for flag, (name, repeatable, help_text) in CONTEXT_OPTIONS.items():
            command.params.append(
                click.Option(
                    [flag, _PREFIX + name],
                    multiple=repeatable,
                    default=None,
                    help=help_text + suffix,
                )
            )
        return command

    return decorate


def context_changes(options: dict[str, Any]) -> dict[str, Any]:
    """The context fields given on the command line, as Rekall.add/update take them."""
    changes: dict[str, Any] = {}
    for name, _repeatable, _help in CONTEXT_OPTIONS.values():
        value = options.get(_PREFIX + name)
        if value is None or value == ():
            continue
        changes[name] = list(value) if isinstance(value, tuple) else value
    return changes
