"""`rekall review`, `rekall stale`, access tracking and lookalike offers, through the CLI."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from rekall.interfaces.cli import commands_review
from rekall.service import Rekall
from tests.conftest import CliInvoker


def days_ago(days: float) -> str:
    moment = datetime.now(timezone.utc) - timedelta(days=days)
    return moment.isoformat(timespec="microseconds")


def write_entries(titles: list[str], age_days: float, project: str | None = None) -> list[str]:
    """Entries written age_days ago (the CLI itself runs on the real clock)."""
    service = Rekall(clock=lambda: days_ago(age_days))
    try:
        return [service.add("til", t, f"Notes on {t}.", (), project).id for t in titles]
    finally:
        service.close()


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend stdin is a terminal, so the session runs on the runner's input."""
    monkeypatch.setattr(commands_review, "stdin_is_terminal", lambda: True)


def test_a_session_needs_a_terminal(cli: CliInvoker) -> None:
    write_entries(["Docker layer caching"], 2)
    result = cli("review", input="5\n")
    assert result.exit_code == 2
    assert "needs a terminal" in result.stderr and "--list" in result.stderr
    assert result.stdout == ""


def test_list_shows_what_is_due(cli: CliInvoker) -> None:
    due = write_entries(["Docker layer caching", "Git reflog"], 3, "web")
    write_entries(["Written just now"], 0)
    result = cli("review", "--list", "--json")
    assert result.exit_code == 0, result.stderr
    items = json.loads(result.stdout)
    assert {item["id"] for item in items} == set(due)
    assert {(i["review_repetitions"], i["ease_factor"]) for i in items} == {(0, 2.5)}
    assert cli("review", "--list", "--project", "api").stderr.startswith("Nothing is due")
    lines = cli("review", "--list", "--limit", "1").stdout.splitlines()
    assert len(lines) == 1 and "due " in lines[0]


def test_a_session_grades_skips_and_quits(cli: CliInvoker, terminal: None) -> None:
    ids = write_entries(["First note", "Second note", "Third note"], 2)
    result = cli("review", input="5\ns\nq\n")
    assert result.exit_code == 0, result.stderr
    assert "[1/3]\nFirst note" in result.stdout and "[3/3]\nThird note" in result.stdout
    assert "Next review in 1 day." in result.stderr
    assert "Reviewed 1, skipped 1; 2 still due." in result.stderr
    due = {item["id"] for item in json.loads(cli("review", "--list", "--json").stdout)}
    assert due == set(ids[1:])


def test_a_bad_answer_asks_again_and_end_of_input_stops(cli: CliInvoker, terminal: None) -> None:
    write_entries(["First note", "Second note"], 2)
    result = cli("review", input="7\nmaybe\n3\n")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("Type a digit 0-5, s or q.") == 2
    assert "Reviewed 1, skipped 0; 1 still due." in result.stderr


def test_nothing_due_says_so(cli: CliInvoker, terminal: None) -> None:
    write_entries(["Written just now"], 0)
    result = cli("review")
    assert result.exit_code == 0
    assert "Nothing is due" in result.stderr


def test_grade_one_entry_from_a_script(cli: CliInvoker) -> None:
    [entry_id] = write_entries(["Docker layer caching"], 2)
    result = cli("review", "--grade", entry_id[:8], "5", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["review_repetitions"], data["review_interval"], data["ease_factor"]) == (1, 1, 2.6)
    assert data["access_count"] == 1
    assert cli("review", "--list").stdout == ""
    assert cli("review", "--grade", entry_id, "6").exit_code == 2


def test_stale_lists_idle_entries_with_a_suggestion(cli: CliInvoker) -> None:
    [old] = write_entries(["Old note"], 100)
    write_entries(["Recent note"], 10)
    result = cli("stale", "--json")
    assert result.exit_code == 0, result.stderr
    [item] = json.loads(result.stdout)
    assert (item["id"], item["idle_days"], item["suggestion"]) == (old, 100, "link")
    assert "link it" in item["reason"]
    text = cli("stale", "--days", "5").stdout
    assert "Old note" in text and "Recent note" in text and "link:" in text
    cli("show", old)
    assert cli("stale").stderr.startswith("No active entry has been idle for 90 days")
    assert cli("stale", "--days", "0").exit_code == 2


def test_show_records_an_access_and_search_and_list_do_not(cli: CliInvoker) -> None:
    [entry_id] = write_entries(["Docker layer caching"], 1)
    assert cli("search", "docker", "--mode", "keyword").exit_code == 0
    assert cli("list").exit_code == 0
    assert json.loads(cli("show", entry_id, "--json").stdout)["access_count"] == 1
    assert json.loads(cli("show", entry_id, "--json").stdout)["access_count"] == 2
    [listed] = json.loads(cli("list", "--json").stdout)
    assert listed["access_count"] == 2


@pytest.mark.model
def test_add_offers_a_lookalike_on_stderr(cli: CliInvoker) -> None:
    first = cli(
        "add", "pitfall", "Default list argument shared between calls", "-t", "python",
        "-c", "Never use a mutable default like []; default to None and build a new list.",
    ).stdout.strip()  # fmt: skip
    result = cli(
        "add", "pitfall", "Python mutable default argument pitfall", "-t", "python",
        "-c", "def f(x=[]) shares the list across calls; use None and create it inside.",
    )  # fmt: skip
    assert result.exit_code == 0
    new = result.stdout.strip()
    assert len(new) == 26  # stdout stays the id alone
    assert f"This looks like {first} 'Default list argument" in result.stderr
    assert f"rekall link {new} {first}" in result.stderr
    other = cli("add", "til", "nginx 413 Request Entity Too Large", "-c", "client_max_body_size")
    assert "looks like" not in other.stderr
