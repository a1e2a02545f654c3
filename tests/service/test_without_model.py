"""Without a model: entries are saved, keyword search works, and the user is told what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from rekall.core.errors import ModelError
from rekall.service import Rekall


@pytest.fixture
def no_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the model path at an empty folder, as a user with a broken setup would."""
    empty = tmp_path / "no-model"
    empty.mkdir()
    monkeypatch.setenv("REKALL_MODEL_PATH", str(empty))
    return empty


def test_add_saves_entry_and_tells_once(no_model: Path) -> None:
    told: list[str] = []
    service = Rekall(notify=told.append)
    try:
        service.add("bug", "CORS fails on Safari", "credentials include")
        service.add("til", "nohup survives logout", "SIGHUP")
        assert len(told) == 1 and "rekall index rebuild" in told[0]
        assert service.stats()["entries_without_vector"] == 2
    finally:
        service.close()


@pytest.mark.parametrize("mode", ["hybrid", "semantic"])
def test_search_falls_back_to_keywords_and_says_so(no_model: Path, mode: str) -> None:
    service = Rekall()
    try:
        service.add("bug", "CORS fails on Safari", "credentials include")
        response = service.search("safari cors", mode=mode)
        assert response.mode == "keyword"
        assert [r.entry.title for r in response.results] == ["CORS fails on Safari"]
        assert "keyword results only" in response.notices[0]
        assert "REKALL_MODEL_PATH" in response.notices[0]
    finally:
        service.close()


def test_model_status_explains_how_to_get_it(no_model: Path) -> None:
    service = Rekall()
    try:
        status = service.model_status()
        assert status["available"] is False
        assert "config.json" in status["problem"]
        service.add("til", "Saved without a vector", "text")
        with pytest.raises(ModelError, match="REKALL_MODEL_PATH"):
            service.rebuild_index()
    finally:
        service.close()


@pytest.mark.model
def test_rebuild_embeds_what_was_saved_without_model(
    no_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = Rekall()
    service.add("bug", "CORS fails on Safari", "credentials include")
    service.close()
    monkeypatch.delenv("REKALL_MODEL_PATH")
    service = Rekall()
    try:
        done: list[tuple[int, int]] = []
        report = service.rebuild_index(lambda d, t: done.append((d, t)))
        assert (report.embedded, report.up_to_date) == (1, 0)
        assert done[-1] == (1, 1)
        hit = service.search("browser blocks cross-origin request", mode="semantic")
        assert hit.results[0].entry.title == "CORS fails on Safari"
        assert service.rebuild_index().embedded == 0
    finally:
        service.close()


@pytest.mark.model
def test_vectors_of_another_model_are_reembedded(service: Rekall) -> None:
    service.add("bug", "CORS fails on Safari", "credentials include")
    with service.db.write() as (conn, _):
        conn.execute("UPDATE embeddings SET model_id = 'some/other-model'")
    assert service.stats()["vectors_other_models"] == 1
    assert service.search("cross-origin", mode="semantic").results == []
    assert service.rebuild_index().embedded == 1
    assert service.stats()["vectors"] == 1
    assert service.search("cross-origin", mode="semantic").results
