"""An entry rewritten while the configured weights cannot load keeps no vector of its old
text, whatever model stored it: once the weights are back, it is never scored by that text,
in this process, in one that had the old vector loaded, or in a new one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from rekall.config import Config
from rekall.search.model_files import MODEL_ID
from rekall.service import Rekall
from tests.search.test_model_identity import copy_of_the_model, nudge
from tests.service.test_body_pieces import ANSWER, PARAGRAPHS, QUESTION, RUNBOOK

pytestmark = pytest.mark.model
OLD_TEXT_QUERY = "safari drops cross-site cookies"
REWRITTEN = {"title": "Postgres autovacuum tuning", "content": "Lower the scale factor."}


@pytest.fixture
def nudged_weights(tmp_path: Path) -> Path:
    """Weights of another fingerprint (one bit changed), as fine-tuned or re-exported ones."""
    model = copy_of_the_model(tmp_path, "nudged")
    nudge(model / "model.safetensors")
    return model


class Bases:
    """Facades on one base, each opened with the model path it is given; closed at the end."""

    def __init__(self, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.url = url
        self.monkeypatch = monkeypatch
        self.opened: list[Rekall] = []

    def open(
        self, weights: Path, long_lived: bool = False, told: list[str] | None = None
    ) -> Rekall:
        self.monkeypatch.setenv("REKALL_MODEL_PATH", str(weights))
        notify = told.append if told is not None else None
        base = Rekall(Config(database_url=self.url), long_lived=long_lived, notify=notify)
        self.opened.append(base)
        return base


@pytest.fixture
def bases(backend_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bases]:
    made = Bases(backend_url, monkeypatch)
    yield made
    for base in made.opened:
        base.close()


def add_entries(base: Rekall) -> tuple[str, str]:
    """A short entry and a long one (with body pieces); their ids."""
    cors = base.add("bug", "CORS fails on Safari", "Safari drops cross-site cookies.", ("cors",))
    runbook = base.add("reference", RUNBOOK, "\n\n".join([*PARAGRAPHS, ANSWER]), ("runbook",))
    return cors.id, runbook.id


def semantic_ids(base: Rekall, query: str) -> list[str]:
    return [r.entry.id for r in base.search(query, mode="semantic", limit=10).results]


def vectors_left(base: Rekall, model_id: str) -> tuple[dict[str, int], dict[int, list[str]]]:
    with base.db.read() as conn:
        vectors = base.db.repos.vectors
        return vectors.count_vectors(conn), vectors.stored_pieces(conn, model_id)


def assert_old_text_never_served(
    bases: Bases, reader: Rekall, weights: Path, cors: str, runbook: str
) -> None:
    """Neither the reader (its index loaded before the edit) nor a new process scores the
    entries by their old text: they have no vector until `rekall index rebuild`."""
    for base in (reader, bases.open(weights)):
        assert cors not in semantic_ids(base, OLD_TEXT_QUERY)
        assert runbook not in semantic_ids(base, QUESTION)
    assert vectors_left(reader, reader.semantic.model_id) == ({}, {})
    assert bases.open(weights).rebuild_index().embedded == 2
    assert semantic_ids(reader, "postgres autovacuum")[0] == cors


def test_an_edit_without_the_weights_drops_the_vector_of_the_old_text(
    bases: Bases, nudged_weights: Path, tmp_path: Path
) -> None:
    reader = bases.open(nudged_weights, long_lived=True)
    cors, runbook = add_entries(reader)
    fingerprinted = reader.semantic.model_id
    assert fingerprinted != MODEL_ID
    assert semantic_ids(reader, OLD_TEXT_QUERY)[0] == cors  # its index is loaded
    assert semantic_ids(reader, QUESTION)[0] == runbook
    assert vectors_left(reader, fingerprinted)[1]  # the runbook has body pieces

    told: list[str] = []
    writer = bases.open(tmp_path / "unmounted" / "weights", told=told)
    writer.update(cors, **REWRITTEN)
    writer.update(runbook, content="Short now: the certificate section moved to the wiki.")
    assert any(notice.startswith("Saved without a vector") for notice in told)
    assert_old_text_never_served(bases, reader, nudged_weights, cors, runbook)


def test_an_import_without_the_weights_drops_the_vector_of_the_old_text(
    bases: Bases, nudged_weights: Path, tmp_path: Path
) -> None:
    reader = bases.open(nudged_weights, long_lived=True)
    cors, runbook = add_entries(reader)
    assert semantic_ids(reader, QUESTION)[0] == runbook
    exported = json.loads(reader.export_json(vectors=False))
    for record in exported["entries"]:
        if record["id"] == cors:
            record.update(REWRITTEN)
        else:
            record["content"] = "Short now: the certificate section moved to the wiki."
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(exported), encoding="utf-8")

    writer = bases.open(tmp_path / "unmounted" / "weights")
    report = writer.import_data(edited, strategy="replace")
    assert (report.replaced, report.without_vector) == (2, 2)
    assert_old_text_never_served(bases, reader, nudged_weights, cors, runbook)
