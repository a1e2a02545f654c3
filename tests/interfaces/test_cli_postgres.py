"""The CLI on a PostgreSQL base chosen by REKALL_DATABASE_URL, in process and as processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rekall.config import Config
from rekall.service import Rekall
from tests.conftest import CliInvoker


def rekall_process(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`rekall ARGS` as its own process, on its own connections to the server."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "rekall"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "REKALL_DATABASE_URL": url},
        timeout=180,
        check=False,
    )


def test_commands_work_unchanged_on_the_server(
    cli: CliInvoker, postgres_url: str, db_file: Path
) -> None:
    env = {"REKALL_DATABASE_URL": postgres_url}
    added = cli("add", "bug", "ENOSPC watchers", "-t", "linux", "-c", "raise the limit", env=env)
    assert added.exit_code == 0, added.stderr
    listed = cli("list", "--json", env=env)
    assert [e["title"] for e in json.loads(listed.stdout)] == ["ENOSPC watchers"]
    found = cli("search", "ENOSPC", "--mode", "keyword", "--json", env=env)
    assert json.loads(found.stdout)["results"][0]["title"] == "ENOSPC watchers"
    stats = json.loads(cli("stats", "--json", env=env).stdout)
    assert stats["storage_backend"] == "postgres"
    assert stats["entries"] == 1
    assert stats["pgvector_version"]
    assert stats["server_version"]
    assert "embeddings_hnsw (hnsw" in stats["indexes"]
    check = cli("check", env=env)
    assert "pgvector" in check.stdout + check.stderr
    findings = json.loads(cli("check", "--json", env=env).stdout)["findings"]
    assert {"links", "superseded_by", "index embeddings_hnsw"} <= {f["name"] for f in findings}
    lines = check.stdout.splitlines()
    # Every detail starts in the same column, past the longest index name.
    assert len({line.index(f["detail"]) for line, f in zip(lines, findings, strict=True)}) == 1
    assert not db_file.exists(), "the SQLite file must not be created on a server base"


def test_backup_on_the_server_says_what_to_use(cli: CliInvoker, postgres_url: str) -> None:
    result = cli("backup", env={"REKALL_DATABASE_URL": postgres_url})
    assert result.exit_code == 1
    assert "pg_dump" in result.stderr


@pytest.mark.model
def test_each_write_from_another_process_is_seen_by_the_next_search(postgres_url: str) -> None:
    """A long-lived process and several writer processes, each on its own connections."""
    reader = Rekall(Config(database_url=postgres_url), long_lived=True)
    try:
        assert reader.search("kubernetes eviction", mode="hybrid").results == []
        first = rekall_process(postgres_url, "add", "bug", "Pods evicted under memory pressure")
        assert first.returncode == 0, first.stderr
        hits = reader.search("kubernetes eviction", mode="hybrid").results
        assert [r.entry.title for r in hits][:1] == ["Pods evicted under memory pressure"]

        with ThreadPoolExecutor(max_workers=4) as pool:
            runs = list(
                pool.map(
                    lambda n: rekall_process(
                        postgres_url, "add", "til", f"parallel note {n}", "-c", "zebra"
                    ),
                    range(4),
                )
            )
        assert [run.returncode for run in runs] == [0] * 4, [run.stderr for run in runs]
        found = reader.search("zebra", mode="keyword", limit=20).results
        assert sorted(r.entry.title for r in found) == [f"parallel note {n}" for n in range(4)]
        assert len({r.entry.id for r in found}) == 4
        assert reader.stats()["vectors"] == 5
    finally:
        reader.close()


def test_config_show_masks_the_password(cli: CliInvoker) -> None:
    env = {"REKALL_DATABASE_URL": "postgresql://team:s3cret@db.internal/rekall"}
    shown = cli("config", "show", env=env)
    assert "postgresql://team:***@db.internal/rekall" in shown.stdout
    assert "s3cret" not in shown.stdout + shown.stderr


def test_config_set_writes_a_server_url_that_the_next_command_uses(
    cli: CliInvoker, postgres_url: str, db_file: Path
) -> None:
    result = cli("config", "set", "database_url", postgres_url)
    assert result.exit_code == 0, result.stderr
    assert json.loads(cli("stats", "--json").stdout)["storage_backend"] == "postgres"
    assert not db_file.exists()


def test_index_settings_are_shown_and_changed_for_the_base(
    cli: CliInvoker, postgres_url: str
) -> None:
    env = {"REKALL_DATABASE_URL": postgres_url}
    shown = cli("index", "settings", env=env)
    assert shown.exit_code == 0, shown.stderr
    assert "embeddings_hnsw          m 16, ef_construction 128" in shown.stdout
    assert "ef_search                200 (Rekall's default)" in shown.stdout
    changed = cli("index", "settings", "--m", "24", "--ef-construction", "200", "--json", env=env)
    assert changed.exit_code == 0, changed.stderr
    assert "Building the HNSW indexes again" in changed.stderr
    indexes = json.loads(changed.stdout)["indexes"]
    assert indexes["embeddings_hnsw"] == {"m": 24, "ef_construction": 200}
    refused = cli("index", "settings", "--m", "60", "--ef-construction", "100", env=env)
    assert refused.exit_code == 2
    assert "ef_construction (100) must be at least twice m (60)" in refused.stderr
    assert "Building" not in refused.stderr
    assert "m 24, ef_construction 200" in cli("index", "settings", env=env).stdout
    stats = json.loads(cli("stats", "--json", env=env).stdout)
    assert "embeddings_hnsw (hnsw m=24, ef_construction=200, " in stats["indexes"]


def test_index_settings_on_sqlite_say_there_is_nothing_to_tune(cli: CliInvoker) -> None:
    result = cli("index", "settings", "--m", "24")
    assert result.exit_code == 1
    assert "on SQLite every search compares the query with every vector" in result.stderr


def test_an_add_a_rule_of_the_server_base_refuses_says_whose_and_writes_nothing(
    cli: CliInvoker, postgres_url: str
) -> None:
    import psycopg

    env = {"REKALL_DATABASE_URL": postgres_url}
    assert cli("add", "til", "nohup survives logout", "-c", "SIGHUP", env=env).exit_code == 0
    with psycopg.connect(postgres_url, autocommit=True) as conn:  # a rule of the team's own
        conn.execute(
            "ALTER TABLE entries ADD CONSTRAINT no_runbooks "
            "CHECK (lower(title) NOT LIKE '%runbook%')"
        )
    result = cli("add", "reference", "Deploy runbook", "-c", "step one", env=env)
    assert result.exit_code == 1
    assert 'violates check constraint "no_runbooks"); nothing was written' in result.stderr
    assert "A rule added to the base (no_runbooks)" in result.stderr
    assert "Traceback" not in result.stderr
    listed = json.loads(cli("list", "--json", env=env).stdout)
    assert [entry["title"] for entry in listed] == ["nohup survives logout"]
