"""Two writers editing one entry at about the same time, on both backends with the real model:
what each changes is kept, and the vector stored is of the text written."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from rekall.config import Config
from rekall.core.entries import content_hash
from rekall.service import Rekall
from rekall.service.editing import EMBED_ATTEMPTS, TEXT_MOVED_NOTICE

pytestmark = pytest.mark.model
STORY = {"situation": "old situation", "solution": "old solution", "error_messages": ["E1"]}


@pytest.fixture
def elsewhere(backend_url: str, any_backend: Rekall) -> Iterator[Rekall]:
    """Another process's facade on the same base (its own connections)."""
    base = Rekall(Config(database_url=backend_url))
    try:
        yield base
    finally:
        base.close()


def while_embedding(
    base: Rekall, monkeypatch: pytest.MonkeyPatch, write: Callable[[int], None]
) -> list[int]:
    """Make write(n) run, as another writer, during base's n-th embedding (from 1); returns
    the list of the embeddings made."""
    real = base.indexer.vectors_for
    calls: list[int] = []

    def write_then_embed(texts: list[str]) -> object:
        calls.append(len(calls) + 1)
        write(len(calls))
        return real(texts)

    monkeypatch.setattr(base.indexer, "vectors_for", write_then_embed)
    return calls


def stored_hash(base: Rekall, entry_id: str) -> str | None:
    with base.db.read() as conn:
        seq = base.db.repos.entries.seq_of(conn, entry_id)
        return base.db.repos.vectors.stored_hash(conn, seq, base.semantic.model_id)


def test_fields_another_writer_changed_while_embedding_are_kept(
    any_backend: Rekall, elsewhere: Rekall, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = any_backend.add(
        "bug", "CORS fails on Safari", "Cookies dropped", ("cors",), None, 3, STORY
    )

    def other_edit(call: int) -> None:
        if call == 1:
            elsewhere.update(entry.id, title="CORS fails on Safari 17", tags=("cors", "safari"))
            elsewhere.update(entry.id, context={"solution": "B's solution", "error_messages": []})

    calls = while_embedding(any_backend, monkeypatch, other_edit)
    written = any_backend.update(entry.id, content="A's content", context={"situation": "A's"})
    final = elsewhere.get(entry.id, record_access=False)
    assert final == written
    assert (final.title, final.tags, final.content) == (
        "CORS fails on Safari 17",
        ("cors", "safari"),
        "A's content",
    )
    assert final.context is not None
    assert final.context.structured == {"situation": "A's", "solution": "B's solution"}
    # The first vector was of the text before the other edit: embedded again, then stored.
    assert calls == [1, 2]
    assert stored_hash(any_backend, entry.id) == content_hash(final.embedding_text())


def test_text_changed_at_every_attempt_is_saved_without_a_vector_and_said(
    any_backend: Rekall, elsewhere: Rekall, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = any_backend.add("bug", "CORS fails on Safari", "Cookies dropped", context=STORY)
    told: list[str] = []
    monkeypatch.setattr(any_backend.indexer, "notify", told.append)

    def other_edit(call: int) -> None:
        if call <= EMBED_ATTEMPTS:  # not during the rebuild below
            elsewhere.update(entry.id, title=f"Edit {call}")

    calls = while_embedding(any_backend, monkeypatch, other_edit)
    written = any_backend.update(entry.id, context={"situation": "A's"})
    assert len(calls) == EMBED_ATTEMPTS
    assert (written.title, written.context and written.context.text("situation")) == (
        f"Edit {EMBED_ATTEMPTS}",
        "A's",
    )
    assert stored_hash(any_backend, entry.id) is None  # no vector of any earlier text
    assert told == [TEXT_MOVED_NOTICE]
    assert any_backend.rebuild_index().embedded == 1
    assert stored_hash(any_backend, entry.id) == content_hash(written.embedding_text())


@pytest.mark.parametrize("change", [{"content": "Cookies blocked"}, {"tags": ["cors", "ios"]}])
def test_an_edit_of_an_entry_deleted_meanwhile_says_so(
    any_backend: Rekall,
    elsewhere: Rekall,
    monkeypatch: pytest.MonkeyPatch,
    change: dict[str, object],
) -> None:
    from rekall.core.errors import NotFoundError

    entry = any_backend.add("bug", "CORS fails on Safari", "Cookies dropped", ("cors",))
    while_embedding(any_backend, monkeypatch, lambda call: elsewhere.delete(entry.id))
    with pytest.raises(NotFoundError, match="was deleted meanwhile; nothing was written"):
        any_backend.update(entry.id, **change)
    assert any_backend.count_entries() == 0
