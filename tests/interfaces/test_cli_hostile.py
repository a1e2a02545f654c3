"""Hostile CLI arguments: undecodable bytes, huge integers, oversized queries, bad config."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from rekall.core.entries import MAX_QUERY_CHARS
from tests.conftest import CliInvoker

Fingerprint = Callable[[Path], str]
BAD = "\udcff\udcfe"  # what Python makes of the argv bytes 0xff 0xfe


@pytest.fixture
def seeded(cli: CliInvoker) -> None:
    cli("add", "bug", "CORS fails on Safari", "-p", "web", "-c", "credentials include")


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize(
    "args",
    [
        ["search", BAD, "--mode", "hybrid"],
        ["search", BAD, "--mode", "semantic"],
        ["search", BAD, "--mode", "keyword"],
        ["search", "cors", "--project", BAD],
        ["search", "cors", "--tag", BAD],
        ["list", "--project", BAD],
        ["list", "--tag", BAD],
        ["review", "--list", "--project", BAD],
        ["stale", "--project", BAD],
        ["show", BAD],
        ["similar", BAD],
        ["config", "set", "model_path", BAD],
    ],
)
def test_undecodable_argv_bytes_are_refused_as_not_utf8(
    cli: CliInvoker, db_file: Path, db_fingerprint: Fingerprint, args: list[str]
) -> None:
    before = db_fingerprint(db_file)
    result = cli(*args)
    assert result.exit_code == 2
    assert "not valid UTF-8" in result.stderr and "byte 0xff" in result.stderr
    assert "Traceback" not in result.stderr
    assert db_fingerprint(db_file) == before


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["list", "--offset", "9999999999999999999"], "--offset"),
        (["stale", "--days", "800000"], "--days"),
        (["stale", "--days", "99999999999999"], "--days"),
        (["add", "bug", "t", "--confidence", "99999999999999999999"], "--confidence"),
        (["test", "generate", "--seed", "-99999999999999999999"], "--seed"),
    ],
)
def test_huge_integers_are_range_errors(
    cli: CliInvoker, db_file: Path, db_fingerprint: Fingerprint, args: list[str], names: str
) -> None:
    before = db_fingerprint(db_file)
    result = cli(*args)
    assert result.exit_code == 2
    assert names in result.stderr and "not in the range" in result.stderr
    assert db_fingerprint(db_file) == before


@pytest.mark.usefixtures("seeded")
def test_the_largest_valid_offset_and_days_answer(cli: CliInvoker) -> None:
    assert cli("list", "--offset", str(2**63 - 1)).exit_code == 0
    assert cli("stale", "--days", "36500").exit_code == 0


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize("mode", ["keyword", "hybrid", "semantic"])
def test_an_oversized_query_is_refused_without_echoing_it(cli: CliInvoker, mode: str) -> None:
    query = "x" * (MAX_QUERY_CHARS + 1)
    result = cli("search", query, "--mode", mode)
    assert result.exit_code == 2
    assert f"the limit is {MAX_QUERY_CHARS:,}" in result.stderr
    assert "xxxxxxxxxx" not in result.stderr
    assert cli("search", "cors " * (MAX_QUERY_CHARS // 5), "--mode", "keyword").exit_code == 0


def test_config_set_refuses_a_default_limit_that_search_would_refuse(cli: CliInvoker) -> None:
    result = cli("config", "set", "default_limit", "5000")
    assert result.exit_code == 2 and "<= 1000" in result.stderr
    assert cli("config", "set", "default_limit", "1000").exit_code == 0
    cli("add", "bug", "CORS fails on Safari")
    assert cli("search", "cors", "--mode", "keyword").exit_code == 0


def test_config_show_prints_toml_values(cli: CliInvoker) -> None:
    text = cli("config", "show").stdout
    assert "model.allow_download = true " in text
    assert 'performance.vector_index_backend = "auto" ' in text
    assert not any(" = '" in line or " = True" in line for line in text.splitlines())


def test_deprecation_rings_are_refused_and_existing_ones_reported(
    cli: CliInvoker, db_file: Path, db_fingerprint: Fingerprint
) -> None:
    a, b, c = (cli("add", "til", title).stdout.strip() for title in ("Old", "Newer", "Newest"))
    assert cli("deprecate", a, "--superseded-by", b).exit_code == 0
    assert cli("deprecate", b, "--superseded-by", c).exit_code == 0
    for entry, replacement in ((b, a), (c, a), (c, b)):
        before = db_fingerprint(db_file)
        result = cli("deprecate", entry, "--superseded-by", replacement)
        assert result.exit_code == 2 and "would make a ring" in result.stderr, result.stderr
        assert db_fingerprint(db_file) == before
    assert cli("check").exit_code == 0
    conn = sqlite3.connect(db_file)  # as an import of hand-edited files could leave it
    conn.execute("UPDATE entries SET superseded_by = ? WHERE id = ?", (a, c))
    conn.commit()
    conn.close()
    report = cli("check")
    assert report.exit_code == 1
    assert f"{a} -> {b} -> {c} -> {a} supersede each other in a ring" in report.stdout


def test_show_of_an_unknown_id_is_an_error_not_a_usage_error(cli: CliInvoker) -> None:
    result = cli("show", "01ZZZZZZ")
    assert result.exit_code == 1 and "no entry id starts with '01ZZZZZZ'" in result.stderr
    assert cli("show", "not-an-id!").exit_code == 2


def test_edit_without_options_and_without_a_terminal_says_why(
    cli: CliInvoker, db_file: Path, db_fingerprint: Fingerprint
) -> None:
    entry_id = cli("add", "til", "Kept as is").stdout.strip()
    before = db_fingerprint(db_file)
    result = cli("edit", entry_id)  # CliRunner's stdin, like </dev/null, is no terminal
    assert result.exit_code == 2
    assert "stdin is not a terminal, so $EDITOR cannot run" in result.stderr
    assert "--situation" in result.stderr and "--error" in result.stderr  # context options too
    assert db_fingerprint(db_file) == before


def test_project_names_are_one_line_like_titles(cli: CliInvoker) -> None:
    entry_id = cli("add", "bug", "t", "-p", "web\napp\r\n").stdout.strip()
    assert cli("edit", entry_id, "-p", " mobile\n\tapp ").exit_code == 0
    lines = cli("list").stdout.splitlines()
    assert len(lines) == 1 and "mobile app" in lines[0]
    assert cli("list", "--project", "mobile app").stdout.count(entry_id) == 1
