"""Context vectors kept from Rekall 0.3: never exported, and gone once their context changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rekall.config import Config
from rekall.service import Rekall
from rekall.service.copying import copy_base
from rekall.service.legacy_import import LEGACY_MODEL_ID
from tests.service.test_legacy_import import copy_fixture

pytestmark = pytest.mark.model


def context_vectors(base: Rekall) -> dict[str, str]:
    """entry id → model id of every kept context vector."""
    with base.db.read() as conn:
        return {i: model for i, (model, _) in base.db.repos.transfer.context_vectors(conn).items()}


@pytest.fixture
def legacy(service: Rekall, tmp_path: Path) -> Rekall:
    """A base imported from the Rekall 0.3 fixture, with its 8 context vectors."""
    service.import_data(copy_fixture(tmp_path / "old"), legacy=True)
    assert set(context_vectors(service).values()) == {LEGACY_MODEL_ID}
    assert len(context_vectors(service)) == 8
    return service


def test_an_edited_context_drops_its_vector_and_nothing_else_does(legacy: Rekall) -> None:
    edited, retitled, *rest = sorted(context_vectors(legacy))
    legacy.update(retitled, title="A new title, the context unchanged")
    legacy.update(edited, context={"situation": "Happened again on the staging server."})
    assert sorted(context_vectors(legacy)) == [retitled, *rest]


def test_the_export_leaves_them_out_and_an_import_of_it_has_none(
    legacy: Rekall, other: Rekall, tmp_path: Path
) -> None:
    exported = json.loads(legacy.export_json(tmp_path / "export.json"))
    # Entries, links and the entry vectors of the weights in use: no section for 0.3's.
    assert set(exported) == {"format", "version", "rekall_version", "entries", "links", "vectors"}
    assert exported["vectors"]["model_id"] != LEGACY_MODEL_ID
    contexts = [e["context"] for e in exported["entries"] if e["id"] in context_vectors(legacy)]
    assert len(contexts) == 8 and all(contexts)  # the contexts themselves are exported
    report = other.import_data(tmp_path / "export.json")
    assert (report.added, report.context_vectors) == (35, 0)
    assert context_vectors(other) == {}
    assert other.check().healthy


def test_a_copy_keeps_them_and_an_edit_on_the_server_drops_one(
    legacy: Rekall, postgres_url: str
) -> None:
    team = Rekall(Config(database_url=postgres_url))
    try:
        report = copy_base(legacy, team)
        assert report.context_vectors == 8
        assert context_vectors(team) == context_vectors(legacy)
        edited, *rest = sorted(context_vectors(team))
        team.update(edited, context={"solution": "Pin the driver version."})
        assert sorted(context_vectors(team)) == rest
    finally:
        team.close()
