"""`rekall db copy` between the SQLite file and PostgreSQL: every field, vectors reused, atomic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rekall.config import Config
from rekall.core.errors import StorageError, ValidationError
from rekall.service import Rekall, copying, transfer
from rekall.service.copying import copy_base
from rekall.storage.embeddings_repo import vectors_for_model
from tests.conftest import CliInvoker
from tests.contract.test_transfer_contract import full_document
from tests.service.test_transfer import write_json


def everything(rekall: Rekall) -> dict[str, object]:
    """The export (every field, link and context) plus each entry's vector bytes."""
    document = json.loads(rekall.export_json())
    document.pop("exported_at", None)
    with rekall.db.read() as conn:
        vectors = rekall.db.repos.transfer.vectors_by_id(
            conn, "sentence-transformers/all-MiniLM-L6-v2"
        )
    return {"export": document, "vectors": vectors}


@pytest.fixture
def personal(tmp_path: Path) -> Rekall:
    base = Rekall(db_file=tmp_path / "personal.db")
    base.import_data(write_json(tmp_path / "in.json", full_document()))
    first = base.add("bug", "CORS fails on Safari", "credentials: 'include'", ("cors",), "web")
    second = base.add("til", "nohup survives logout", "SIGHUP", ("shell",))
    base.link(first.id, second.id, "related", "both bite at night")
    base.grade_review(first.id, 4)
    return base


@pytest.mark.model
def test_copy_to_the_server_and_back_keeps_every_field(
    personal: Rekall, postgres_url: str, tmp_path: Path
) -> None:
    team = Rekall(Config(database_url=postgres_url))
    back = Rekall(db_file=tmp_path / "back.db")
    try:
        report = copy_base(personal, team)
        assert (report.entries, report.added, report.links) == (5, 5, 3)
        assert (report.vectors_copied, report.embedded) == (5, 0)
        assert everything(team) == everything(personal)
        assert report.verified == ["5 entries", "3 links", "5 vectors", "0 body-piece vectors"]

        again = copy_base(personal, team)
        assert (again.added, again.replaced, again.unchanged, again.vectors_copied) == (0, 0, 5, 0)
        assert everything(team) == everything(personal)

        returned = copy_base(team, back)
        assert (returned.added, returned.vectors_copied, returned.embedded) == (5, 5, 0)
        assert everything(back) == everything(personal)
        hits = team.search("browser blocks cross-origin request", mode="semantic").results
        assert hits[0].entry.title == "CORS fails on Safari"
    finally:
        team.close()
        back.close()
        personal.close()


@pytest.mark.model
def test_copy_export_and_import_carry_who_wrote_each_entry(
    personal: Rekall, postgres_url: str, tmp_path: Path
) -> None:
    team = Rekall(Config(database_url=postgres_url))
    back = Rekall(db_file=tmp_path / "back.db")
    fresh = Rekall(db_file=tmp_path / "fresh.db")
    try:
        with personal.acting_as("alice"):
            created = personal.add("til", "written by alice", "on her laptop")
        copy_base(personal, team)
        on_server = team.get(created.id, record_access=False)
        assert (on_server.created_by, on_server.updated_by) == ("alice", "alice")
        with team.acting_as("bob-token"):
            team.update(created.id, content="edited by bob on the server")
        copy_base(team, back)
        returned = back.get(created.id, record_access=False)
        assert (returned.created_by, returned.updated_by) == ("alice", "bob-token")

        exported = json.loads(team.export_json(tmp_path / "team.json"))
        record = next(e for e in exported["entries"] if e["id"] == created.id)
        assert (record["created_by"], record["updated_by"]) == ("alice", "bob-token")
        fresh.import_data(tmp_path / "team.json")
        imported = fresh.get(created.id, record_access=False)
        assert (imported.created_by, imported.updated_by) == ("alice", "bob-token")
    finally:
        for base in (team, back, fresh, personal):
            base.close()


@pytest.mark.model
def test_a_failed_verification_writes_nothing(
    personal: Rekall, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = Rekall(Config(database_url=postgres_url))

    def broken(*args: object) -> list[str]:
        raise StorageError("the copy of entry X differs from the source in title")

    monkeypatch.setattr(copying, "verify_copy", broken)
    try:
        generation = team.db.generation()
        with pytest.raises(StorageError, match="differs"):
            copy_base(personal, team)
        assert team.stats()["entries"] == 0
        assert team.db.generation() == generation
    finally:
        team.close()
        personal.close()


@pytest.mark.model
def test_a_bulk_copy_leaves_the_planner_statistics_of_the_base_it_wrote(
    tmp_path: Path, postgres_url: str
) -> None:
    personal = Rekall(db_file=tmp_path / "personal.db")
    team = Rekall(Config(database_url=postgres_url))
    try:
        for n in range(transfer.BULK_WRITE_ENTRIES):
            personal.add("til", f"note {n} on port {8000 + n}", f"the service on port {8000 + n}")
        copy_base(personal, team)
        # Before any ANALYZE, entries shows 0 or -1 here: COPY and INSERT leave it as it was.
        with team.db.read() as conn:
            row = conn.execute(
                "SELECT reltuples FROM pg_class WHERE oid = 'entries'::regclass"
            ).fetchone()
        assert row[0] == transfer.BULK_WRITE_ENTRIES
    finally:
        team.close()
        personal.close()


def test_copying_a_base_onto_itself_is_refused(personal: Rekall) -> None:
    with pytest.raises(ValidationError, match="same base"):
        copy_base(personal, personal)
    personal.close()


@pytest.mark.model
def test_the_cli_copies_this_base_to_the_server(cli: CliInvoker, postgres_url: str) -> None:
    assert cli("add", "bug", "ENOSPC watchers", "-t", "linux").exit_code == 0
    result = cli("db", "copy", "--to", postgres_url, "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["added"], report["vectors_copied"], report["embedded"]) == (1, 1, 0)
    listed = cli("list", "--json", env={"REKALL_DATABASE_URL": postgres_url})
    assert [e["title"] for e in json.loads(listed.stdout)] == ["ENOSPC watchers"]
    usage = cli("db", "copy")
    assert usage.exit_code == 2
    assert "--to" in usage.stderr


def test_vectors_for_model_is_the_sqlite_reference(personal: Rekall) -> None:
    # The copy compares vectors through vectors_by_id; on SQLite it must agree with the
    # repository the vector index loads from.
    with personal.db.read() as conn:
        by_id = personal.db.repos.transfer.vectors_by_id(
            conn, "sentence-transformers/all-MiniLM-L6-v2"
        )
        blobs = sorted(
            v.blob for v in vectors_for_model(conn, "sentence-transformers/all-MiniLM-L6-v2")
        )
    assert sorted(blob for _, blob in by_id.values()) == blobs
    personal.close()
