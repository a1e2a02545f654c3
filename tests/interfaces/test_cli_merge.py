"""`rekall consolidate` and `rekall merge` through the CLI, on a real base with the real model."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from rekall.core.entries import build_new_entry
from rekall.core.ids import new_id
from rekall.storage import entries_repo
from rekall.storage.database import open_database

Invoke = Callable[..., Result]
Fingerprint = Callable[[Path], str]


def add(cli: Invoke, kind: str, title: str, content: str, tags: str) -> str:
    result = cli("add", kind, title, "-c", content, "-t", tags)
    assert result.exit_code == 0, result.stderr
    return result.stdout.strip()


def lookalikes(cli: Invoke) -> tuple[str, str, str]:
    keep = add(cli, "bug", "CORS fails on Safari", "Send credentials: include.", "cors,safari")
    dup = add(cli, "bug", "Safari blocks cross-origin requests", "Use include.", "cors,browser")
    other = add(cli, "til", "Postgres VACUUM reclaims disk space", "Run it nightly.", "postgres")
    return keep, dup, other


def test_consolidate_lists_groups_with_the_merge_command(cli: Invoke) -> None:
    keep, dup, other = lookalikes(cli)
    result = cli("consolidate")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and lines[0].startswith("1. rekall merge ")
    assert set(lines[0].split()[3:]) == {keep, dup}
    assert lines[1].split()[0] == "keep" and 0.7 <= float(lines[2].split()[0]) < 1
    assert "1 group of lookalikes (cosine >= 0.70) among 3 active entries" in result.stderr
    [group] = json.loads(cli("consolidate", "--json").stdout)
    assert {e["id"] for e in group["entries"]} == {keep, dup} and other not in group[
        "merge_command"
    ]
    assert group["keep"] == group["entries"][0]["id"] and group["entries"][0]["similarity"] == 1.0
    assert cli("consolidate", "--threshold", "0.99").stdout == ""
    assert json.loads(cli("consolidate", "--type", "til", "--json").stdout) == []


def test_consolidate_says_which_entries_it_could_not_compare(cli: Invoke, db_file: Path) -> None:
    lookalikes(cli)
    db = open_database(db_file)
    with db.write() as (conn, _):
        entries_repo.insert_entry(conn, new_id(), build_new_entry("til", "No vector"), "2025-01-01")
    db.close()
    result = cli("consolidate")
    assert "among 3 active entries" in result.stderr
    assert (
        "1 active entries have no vector" in result.stderr
        and "rekall index rebuild" in result.stderr
    )


def test_merge_dry_run_then_merge_then_delete(
    cli: Invoke, db_file: Path, db_fingerprint: Fingerprint
) -> None:
    keep, dup, other = lookalikes(cli)
    before = db_fingerprint(db_file)
    rehearsal = cli("merge", keep, dup, "--dry-run")
    assert rehearsal.exit_code == 0, rehearsal.stderr
    assert (
        rehearsal.stdout.startswith("CORS fails on Safari\n")
        and "(merged from " in rehearsal.stdout
    )
    assert "Would merge 1 entry" in rehearsal.stderr and "nothing was changed" in rehearsal.stderr
    assert db_fingerprint(db_file) == before
    result = cli("merge", keep[:10], dup[:10])
    assert result.exit_code == 0 and result.stdout.strip() == keep
    assert f"deprecated, superseded by {keep}" in result.stderr
    shown = json.loads(cli("show", dup, "--json").stdout)
    assert (shown["status"], shown["superseded_by"]) == ("deprecated", keep)
    data = json.loads(cli("merge", keep, other, "--delete", "--json").stdout)
    assert data["others"] == "deleted" and data["merged"] == [other] and not data["dry_run"]
    assert data["kept"]["tags"] == ["browser", "cors", "postgres", "safari"]
    assert cli("show", other).exit_code == 1


def test_bad_merges_are_usage_errors_and_change_nothing(
    cli: Invoke, db_file: Path, db_fingerprint: Fingerprint
) -> None:
    keep, dup, _ = lookalikes(cli)
    before = db_fingerprint(db_file)
    for args, code, message in (
        ([keep, keep], 2, "entry to keep"),
        ([keep, "ZZZZZZZZ"], 1, "no entry id"),  # well-formed, finds nothing: not usage
        ([keep], 2, "Missing argument"),
    ):
        result = cli("merge", *args)
        assert result.exit_code == code and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert db_fingerprint(db_file) == before
