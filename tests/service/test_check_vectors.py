"""`rekall index rebuild` reads a batch's stored hashes in one statement, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from rekall.service import Rekall
from rekall.service.maintenance import Finding
from tests.service.test_copy_derived import LONG, derived, drop_pieces
from tests.storage.recorder import Recorder

pytestmark = pytest.mark.model


def finding(base: Rekall, name: str) -> Finding:
    return next(f for f in base.check().findings if f.name == name)


def test_a_rebuild_reads_the_stored_hashes_of_a_batch_in_one_statement(
    any_backend: Rekall, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries whose pieces are missing keep their vectors; whether a vector is current is
    read for the whole batch at once, not with a round trip per entry."""
    for n in range(3):
        any_backend.add("reference", f"Payments runbook, part {n}", LONG)
    drop_pieces(any_backend)
    vectors = derived(any_backend)[0]
    sent = record_writes(any_backend, monkeypatch)
    report = any_backend.rebuild_index()
    assert (report.embedded, report.total) == (3, 3)
    assert derived(any_backend)[0] == vectors  # the vectors kept, bit for bit
    assert finding(any_backend, "body pieces").detail.startswith("all 3 long entries have current")
    reads = [text for text, _ in sent if "content_hash FROM embeddings" in text]
    assert len(reads) == 1, reads


def record_writes(base: Rekall, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """The statements run on the connections of base's write transactions from now on."""
    sent: list[tuple[str, Any]] = []
    write = base.db.write

    @contextmanager
    def recorded() -> Iterator[tuple[Any, int]]:
        with write() as (conn, generation):
            recorder = Recorder(conn)
            recorder.sent = sent
            yield recorder, generation

    monkeypatch.setattr(base.db, "write", recorded)
    return sent
