"""`rekall db copy` carries vectors by the export's rule: those of the weights in use only."""

from __future__ import annotations

from pathlib import Path

import pytest

from rekall.config import Config
from rekall.search.model_files import MODEL_ID
from rekall.service import Rekall
from rekall.service.copying import copy_base
from tests.search.test_model_identity import copy_of_the_model, nudge
from tests.service.conftest import fill

pytestmark = pytest.mark.model
QUERY = "browser blocks cross-origin request"


@pytest.fixture
def nudged_weights(tmp_path: Path) -> Path:
    """Other weights (one bit changed) that pass the self-check: another fingerprint."""
    model = copy_of_the_model(tmp_path, "nudged")
    nudge(model / "model.safetensors")
    return model


def open_base(opened: list[Rekall], target: str, tmp_path: Path, postgres: str = "") -> Rekall:
    """A new base: a SQLite file named target, or (target "postgres") the server."""
    if target == "postgres":
        base = Rekall(Config(database_url=postgres))
    else:
        base = Rekall(db_file=tmp_path / f"{target}.db")
    opened.append(base)
    return base


def models(base: Rekall) -> dict[str, int]:
    with base.db.read() as conn:
        return base.db.repos.vectors.count_vectors(conn)


@pytest.fixture(params=["sqlite", "postgres"])
def target_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_vectors_of_other_weights_are_embedded_again_not_copied_as_current(
    target_kind: str,
    nudged_weights: Path,
    opened: list[Rekall],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    source = open_base(opened, "source", tmp_path)
    fill(source)  # embedded by the published weights
    assert models(source) == {MODEL_ID: 6}

    monkeypatch.setenv("REKALL_MODEL_PATH", str(nudged_weights))
    url = request.getfixturevalue("postgres_url") if target_kind == "postgres" else ""
    target = open_base(opened, "target", tmp_path, url)
    nudged_id = target.semantic.model_id
    assert nudged_id != MODEL_ID

    report = copy_base(source, target)
    assert (report.added, report.vectors_copied, report.embedded) == (6, 0, 6)
    assert models(target) == {nudged_id: 6}
    assert target.check().healthy
    assert target.search(QUERY, mode="semantic").results[0].entry.title == "CORS fails on Safari"


def test_vectors_of_the_weights_in_use_are_copied_to_the_server_and_back(
    nudged_weights: Path,
    opened: list[Rekall],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    postgres_url: str,
) -> None:
    monkeypatch.setenv("REKALL_MODEL_PATH", str(nudged_weights))
    source = open_base(opened, "source", tmp_path)
    fill(source)
    nudged_id = source.semantic.model_id
    assert models(source) == {nudged_id: 6}
    with source.db.read() as conn:
        original = source.db.repos.transfer.vectors_by_id(conn, nudged_id)

    team = open_base(opened, "postgres", tmp_path, postgres_url)
    report = copy_base(source, team)
    assert (report.added, report.vectors_copied, report.embedded) == (6, 6, 0)
    assert report.verified[2:] == ["6 vectors", "0 body-piece vectors"]
    assert models(team) == {nudged_id: 6}
    # Semantic search on the server looks up the vectors of the weights in use.
    assert team.search(QUERY, mode="semantic").results[0].entry.title == "CORS fails on Safari"
    assert team.check().healthy

    back = open_base(opened, "back", tmp_path)
    returned = copy_base(team, back)
    assert (returned.added, returned.vectors_copied, returned.embedded) == (6, 6, 0)
    with back.db.read() as conn:
        assert back.db.repos.transfer.vectors_by_id(conn, nudged_id) == original
    assert back.check().healthy
