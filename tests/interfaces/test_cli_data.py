"""The data commands through the CLI: export, import, backup, restore, check; exit codes."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import Result

from tests.storage.test_refusals import TEAM_TRIGGERS

Invoke = Callable[..., Result]
Fingerprint = Callable[[Path], str]
LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "original-rekall-v0.3" / "knowledge.db"


@pytest.fixture
def two_entries(cli: Invoke) -> list[str]:
    """Two entries added through the CLI, linked; return their ids."""
    first = cli("add", "bug", "CORS fails on Safari", "-t", "cors", "-c", "credentials include")
    second = cli("add", "til", "nohup survives logout", "-c", "SIGHUP")
    ids = [first.stdout.strip(), second.stdout.strip()]
    assert cli("link", *ids, "--reason", "both bit us").exit_code == 0
    return ids


def test_export_json_to_stdout_and_to_a_file(
    cli: Invoke, two_entries: list[str], tmp_path: Path
) -> None:
    result = cli("export")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["format"] == "rekall-export" and len(data["entries"]) == 2
    assert data["links"][0]["reason"] == "both bit us"
    target = tmp_path / "export.json"
    written = cli("export", "--output", str(target))
    assert written.exit_code == 0 and written.stdout == ""
    assert target.read_text("utf-8") == result.stdout
    assert str(target) in written.stderr


def test_export_markdown_needs_a_directory(
    cli: Invoke, two_entries: list[str], tmp_path: Path
) -> None:
    refused = cli("export", "--format", "markdown")
    assert refused.exit_code == 2
    assert "--output DIR" in refused.stderr
    done = cli("export", "--format", "markdown", "-o", str(tmp_path / "notes"))
    assert done.exit_code == 0
    assert len(list((tmp_path / "notes").glob("*.md"))) == 2


def test_import_round_trip_through_the_cli(
    cli: Invoke, two_entries: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exported = tmp_path / "export.json"
    cli("export", "-o", str(exported))
    monkeypatch.setenv("REKALL_HOME", str(tmp_path / "second"))
    dry = cli("import", str(exported), "--dry-run")
    assert dry.exit_code == 0
    assert "Dry run, nothing written; would add 2" in dry.stderr
    assert json.loads(cli("export").stdout)["entries"] == []
    result = cli("import", str(exported), "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    # The export carried both vectors: the import stores them instead of embedding again.
    assert (report["added"], report["links_added"]) == (2, 1)
    assert (report["vectors_reused"], report["embedded"]) == (2, 0)
    assert "add 2" in result.stderr
    assert cli("export").stdout == exported.read_text("utf-8")
    again = cli("import", str(exported), "--strategy", "replace")
    assert "leave 2 unchanged" in again.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"format": "rekall-export", "version": 1, "entries": [', "not valid JSON"),
        (b'{"format": "other", "version": 1}', "unknown format"),
        (b"\xff\xfe{}", "not valid UTF-8"),
    ],
    ids=["bad-json", "unknown-format", "bad-utf8"],
)
def test_import_of_a_malformed_file_exits_2_and_changes_nothing(
    cli: Invoke,
    two_entries: list[str],
    db_file: Path,
    db_fingerprint: Fingerprint,
    tmp_path: Path,
    content: bytes,
    message: str,
) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    before = db_fingerprint(db_file)
    result = cli("import", str(path))
    assert result.exit_code == 2
    assert "Error:" in result.stderr and str(path) in result.stderr and message in result.stderr
    assert db_fingerprint(db_file) == before


@pytest.mark.parametrize(
    "args", [[], ["a.json", "--from-db", "b.db"], ["x.json", "--strategy", "newest"]]
)
def test_import_usage_errors_exit_2(cli: Invoke, args: list[str]) -> None:
    result = cli("import", *args)
    assert result.exit_code == 2


def test_import_from_an_earlier_rekall_database(cli: Invoke, tmp_path: Path) -> None:
    source = tmp_path / "knowledge.db"
    shutil.copyfile(LEGACY, source)
    before = source.read_bytes()
    result = cli("import", "--from-db", str(source))
    assert result.exit_code == 0, result.stderr
    assert "add 35" in result.stderr
    assert "34 vectors reused, 1 embedded" in result.stderr
    assert source.read_bytes() == before
    listed = cli("list", "--status", "all", "--limit", "100", "--json")
    assert len(json.loads(listed.stdout)) == 35


def test_first_run_offers_the_import_once_on_stderr(
    cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / ".rekall").mkdir(parents=True)
    shutil.copyfile(LEGACY, home / ".rekall" / "knowledge.db")
    monkeypatch.setenv("HOME", str(home))
    first = cli("list")
    assert first.exit_code == 0
    offers = [line for line in first.stderr.splitlines() if "rekall import --from-db" in line]
    assert offers == [line for line in first.stderr.splitlines() if "earlier Rekall" in line]
    assert len(offers) == 1
    assert offers[0].endswith(f"rekall import --from-db {home / '.rekall' / 'knowledge.db'}")
    second = cli("list")
    assert "rekall import" not in second.stderr


def test_backup_and_restore(cli: Invoke, two_entries: list[str], db_file: Path) -> None:
    made = cli("backup")
    assert made.exit_code == 0
    backup = Path(made.stdout.strip())
    assert backup.parent == db_file.parent and backup.exists()
    cli("delete", two_entries[0], "--yes")
    refused = cli("restore", str(backup))  # stdin is not a terminal here
    assert refused.exit_code == 2 and "without confirmation" in refused.stderr
    assert "pass --yes" in refused.stderr and cli("show", two_entries[0]).exit_code == 1
    restored = cli("restore", str(backup), "--yes")
    assert restored.exit_code == 0, restored.stderr
    assert "Restored 2 entries" in restored.stderr and "kept at" in restored.stderr
    assert cli("show", two_entries[0]).exit_code == 0


def test_restore_of_a_bad_file_exits_2(
    cli: Invoke, two_entries: list[str], db_file: Path, db_fingerprint: Fingerprint, tmp_path: Path
) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("not a database")
    before = db_fingerprint(db_file)
    result = cli("restore", str(bad), "--yes")
    assert result.exit_code == 2
    assert "not an SQLite database" in result.stderr
    assert db_fingerprint(db_file) == before


def test_check_exit_codes_and_repair(cli: Invoke, two_entries: list[str], db_file: Path) -> None:
    healthy = cli("check")
    assert healthy.exit_code == 0
    assert healthy.stdout.count("ok") >= 5
    conn = sqlite3.connect(db_file)
    conn.execute(
        "INSERT INTO entries_fts (rowid, title, content, tags_text, project) "
        "VALUES (999, 'ghost', 'ghost', '', '')"
    )
    conn.execute("DELETE FROM embeddings")
    conn.commit()
    conn.close()
    broken = cli("check", "--json")
    assert broken.exit_code == 1
    report = json.loads(broken.stdout)
    assert report["healthy"] is False
    assert {f["name"] for f in report["findings"] if not f["ok"]} == {"keyword index", "vectors"}
    repaired = cli("check", "--repair", "--json")
    assert repaired.exit_code == 0, repaired.stdout
    assert "repaired: rebuilt the keyword index" in repaired.stderr
    said = json.loads(repaired.stdout)
    assert "rebuilt the keyword index from the entries" in said["repairs"]
    assert said["not_repaired"] == []
    assert cli("check").exit_code == 0


def test_the_cli_offers_every_import_strategy() -> None:
    from rekall.core.import_plan import STRATEGIES as SERVICE_STRATEGIES
    from rekall.interfaces.cli.commands_data import STRATEGIES

    assert STRATEGIES == SERVICE_STRATEGIES


def test_restore_replaces_a_corrupt_database_it_cannot_open(
    cli: Invoke, two_entries: list[str], db_file: Path
) -> None:
    backup = Path(cli("backup").stdout.strip())
    cli("list")  # close cleanly, then damage the file as a disk fault would
    for side in ("-wal", "-shm"):
        db_file.with_name(db_file.name + side).unlink(missing_ok=True)
    db_file.write_bytes(b"garbage, not a database" * 100)
    broken = cli("list")
    assert broken.exit_code == 1
    assert "rekall restore FILE" in broken.stderr and "rekall-backup-*.db" in broken.stderr
    restored = cli("restore", str(backup), "--yes")
    assert restored.exit_code == 0, restored.stderr
    kept = Path(restored.stderr.split("kept at ")[1].strip().rstrip("."))
    assert kept.read_bytes() == b"garbage, not a database" * 100
    assert cli("show", two_entries[1]).exit_code == 0
    assert cli("check").exit_code == 0


def make_foreign(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("args", [["list"], ["add", "bug", "t"], ["check"], ["stats"]])
def test_a_foreign_sqlite_file_is_refused_and_left_unchanged(
    cli: Invoke, db_file: Path, args: list[str]
) -> None:
    make_foreign(db_file)
    before = db_file.read_bytes()
    result = cli(*args)
    assert result.exit_code == 1
    assert "an SQLite database of another program (tables: invoices)" in result.stderr
    assert db_file.read_bytes() == before
    assert sorted(p.name for p in db_file.parent.iterdir()) == ["rekall.db"]


def test_a_rekall_03_database_in_place_is_pointed_to_import_from_db(
    cli: Invoke, db_file: Path
) -> None:
    db_file.parent.mkdir(parents=True)
    shutil.copyfile(LEGACY, db_file)
    before = db_file.read_bytes()
    result = cli("list")
    assert result.exit_code == 1
    assert "Rekall 0.3" in result.stderr and "rekall import --from-db" in result.stderr
    assert "pip install -U" not in result.stderr
    assert db_file.read_bytes() == before


def forbid_runbooks(db_file: Path) -> None:
    """A rule of the team's own on its base: no entry may be titled a runbook."""
    with closing(sqlite3.connect(db_file)) as conn, conn:
        conn.execute(TEAM_TRIGGERS["sqlite"])


def test_an_import_the_base_refuses_says_why_exits_1_and_changes_nothing(
    cli: Invoke, two_entries: list[str], db_file: Path, db_fingerprint: Fingerprint, tmp_path: Path
) -> None:
    exported = tmp_path / "export.json"
    cli("export", "-o", str(exported))
    document = json.loads(exported.read_text("utf-8"))
    document["entries"][0].update(id="01JD3R00000000000000000001", title="Deploy runbook")
    del document["vectors"]  # this entry is new: the import embeds it
    exported.write_text(json.dumps(document), "utf-8")
    forbid_runbooks(db_file)
    before = db_fingerprint(db_file)
    result = cli("import", str(exported))
    assert result.exit_code == 1
    assert f"refused a write of the import of {exported} (runbooks live in the wiki)" in (
        result.stderr
    )
    assert "nothing was written" in result.stderr and "Traceback" not in result.stderr
    assert db_fingerprint(db_file) == before


def test_an_add_the_base_refuses_says_whose_rule_exits_1_and_changes_nothing(
    cli: Invoke, two_entries: list[str], db_file: Path, db_fingerprint: Fingerprint
) -> None:
    forbid_runbooks(db_file)
    before = db_fingerprint(db_file)
    result = cli("add", "reference", "Deploy runbook", "-c", "step one")
    assert result.exit_code == 1
    assert f"Error: {db_file} refused the write (runbooks live in the wiki); nothing was " in (
        result.stderr
    )
    assert "A rule added to the base" in result.stderr and "change that rule" in result.stderr
    assert "Traceback" not in result.stderr
    assert db_fingerprint(db_file) == before
    assert cli("add", "reference", "Deploy notes", "-c", "step one").exit_code == 0
