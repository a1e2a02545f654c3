"""What an import or a copy says when the base refuses its write: whose rule it was, and
what to do; on both backends, with a team's trigger of each kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from rekall.core.errors import RefusedWriteError, StorageError
from rekall.service import Rekall
from rekall.service.refusal_messages import copy_refused, import_refused
from tests.storage.test_refusals import TEAM_TRIGGERS

pytestmark = pytest.mark.model


def test_an_import_a_teams_trigger_refuses_names_it_as_the_teams(
    any_backend: Rekall, tmp_path: Path
) -> None:
    personal = Rekall(db_file=tmp_path / "personal.db")
    try:
        personal.add("reference", "Deploy runbook", "kubectl rollout restart", ("ops",))
        exported = tmp_path / "export.json"
        personal.export_json(exported)
    finally:
        personal.close()
    db = any_backend.db
    with db.write() as (conn, _):
        conn.execute(TEAM_TRIGGERS[db.kind])
    generation = db.generation()

    with pytest.raises(StorageError) as raised:
        any_backend.import_data(exported)
    rule = " (no_runbooks)" if db.kind == "postgres" else ""
    assert str(raised.value) == (
        f"{db.location} refused a write of the import of {exported} (runbooks live in the "
        f"wiki); nothing was written. A rule added to the base{rule}, not one of Rekall's "
        "schema, forbids what the file holds: change that rule or the file"
    )
    assert db.generation() == generation


def test_a_refusal_after_which_the_target_cannot_be_read_does_not_claim_it_was_not_written() -> (
    None
):
    refused = RefusedWriteError("postgresql://team@db/rekall", "a check failed", "no_x", False)
    message = str(copy_refused("postgresql://team@db/rekall", refused, known=False))
    assert "No other process wrote to it meanwhile" not in message
    assert "Whether another process wrote to it meanwhile is unknown" in message
    assert "running the copy again finishes it" in message
    assert message.endswith(
        "If none did, a rule added to the target (no_x), not one of Rekall's schema, forbids "
        "what the source holds: change that rule or the source, then run the copy again"
    )


def test_an_import_refused_by_a_rule_of_rekalls_own_says_what_to_run() -> None:
    refused = RefusedWriteError(
        "notes.db", "UNIQUE constraint failed: entries.id", "entries.id", True
    )
    message = str(import_refused("notes.db", Path("export.json"), refused))
    assert message == (
        "notes.db refused a write of the import of export.json (UNIQUE constraint failed: "
        "entries.id); nothing was written. Run the import again (another process may have "
        "written the same entries at that moment); if it is refused again, the refused rule "
        "(entries.id) is one of Rekall's own schema, which the import's checks keep: run "
        "'rekall check' (the base may have been changed outside Rekall), and if it finds "
        "nothing, report it as a bug in Rekall with this message"
    )
