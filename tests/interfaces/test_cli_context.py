"""Context on the command line: add and edit options, the editor document, show and search."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from rekall.interfaces.cli import commands_entries
from tests.interfaces.test_cli import add, assert_error, show

Invoke = Callable[..., Result]
Fingerprint = Callable[[Path], str]
ERROR = "Text content does not match server-rendered HTML"
CONTEXT_ARGS = [
    "--situation",
    "French users saw a crash on the product page",
    "--solution",
    "Pass the request locale to the price component",
    "--what-failed",
    "suppressHydrationWarning",
    "--error",
    ERROR,
    "--error",
    "Hydration failed because the initial UI does not match",
    "--keyword",
    "Hydration",
    "--file",
    "components/Price.tsx",
    "--file",
    "app/page.tsx",
]


def test_add_with_context_shows_it_in_text_and_json(cli: Invoke) -> None:
    entry_id = add(cli, "bug", "Hydration mismatch on prices", "-c", "Body.", *CONTEXT_ARGS)
    context = show(cli, entry_id)["context"]
    assert context == {
        "situation": "French users saw a crash on the product page",
        "solution": "Pass the request locale to the price component",
        "what_failed": "suppressHydrationWarning",
        "conversation_excerpt": None,
        "error_messages": [ERROR, "Hydration failed because the initial UI does not match"],
        "trigger_keywords": ["hydration"],
        "files_modified": ["components/Price.tsx", "app/page.tsx"],
        "notes": None,
    }
    text = cli("show", entry_id).stdout
    assert "Situation:    French users saw a crash on the product page" in text
    assert f"Errors:       {ERROR}\n              Hydration failed" in text
    assert "Files:        components/Price.tsx\n              app/page.tsx" in text


def test_a_pasted_error_finds_the_entry_first(cli: Invoke) -> None:
    add(cli, "til", "Server-rendered HTML and text content", "-c", "Text content of HTML.")
    entry_id = add(cli, "bug", "Prices", *CONTEXT_ARGS)
    result = cli("search", ERROR, "--mode", "keyword", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.index(entry_id) < result.stdout.index("Server-rendered HTML")


def test_edit_options_replace_context_fields_and_keep_the_others(cli: Invoke) -> None:
    entry_id = add(cli, "bug", "Prices", *CONTEXT_ARGS)
    result = cli("edit", entry_id, "--error", "ECONNRESET", "--situation", "")
    assert result.exit_code == 0, result.stderr
    context = show(cli, entry_id)["context"]
    assert isinstance(context, dict)
    assert context["error_messages"] == ["ECONNRESET"]
    assert context["situation"] is None
    assert context["files_modified"] == ["components/Price.tsx", "app/page.tsx"]


def test_bad_context_option_is_a_clean_usage_error(
    cli: Invoke, db_file: Path, db_fingerprint: Fingerprint
) -> None:
    entry_id = add(cli, "bug", "Prices")
    before = db_fingerprint(db_file)
    assert_error(cli("edit", entry_id, "--error", "x" * 2001), 2, "longer than 2,000")
    assert_error(cli("add", "bug", "t", "--solution", "a\x00b"), 2, "NUL")
    assert db_fingerprint(db_file) == before


EDITOR = """\
import pathlib, sys
path = pathlib.Path(sys.argv[1])
text = path.read_text(encoding="utf-8")
text = text.replace("error: ECONNREFUSED", "error: ECONNREFUSED\\nerror: connect ETIMEDOUT")
text = text.replace("solution:", "solution: Retry with backoff\\n  and a jitter")
path.write_text(text, encoding="utf-8")
"""


def test_the_editor_document_carries_the_context(
    cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry_id = add(cli, "bug", "Flaky API calls", "--error", "ECONNREFUSED", "--keyword", "retry")
    script = tmp_path / "editor.py"
    script.write_text(EDITOR, encoding="utf-8")
    monkeypatch.setenv("EDITOR", f'"{Path(sys.executable).as_posix()}" "{script.as_posix()}"')
    # CliRunner's stdin is never a terminal; here a person sits at one.
    monkeypatch.setattr(commands_entries, "stdin_is_terminal", lambda: True)
    result = cli("edit", entry_id)
    assert result.exit_code == 0, result.stderr
    context = show(cli, entry_id)["context"]
    assert isinstance(context, dict)
    assert context["error_messages"] == ["ECONNREFUSED", "connect ETIMEDOUT"]
    assert context["solution"] == "Retry with backoff\nand a jitter"
    assert context["trigger_keywords"] == ["retry"]
