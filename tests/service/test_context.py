"""Context through the facade: stored, edited, searched by its error strings, embedded."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from rekall.core.entries import content_hash
from rekall.core.errors import ValidationError
from rekall.search.model_files import MODEL_ID
from rekall.service import Rekall
from rekall.storage import embeddings_repo, entries_repo

ERROR = "TypeError: Cannot read properties of undefined (reading 'map')"
HYDRATION = {
    "situation": "The product list crashed right after the API returned an empty page",
    "solution": "Default the items prop to an empty array before mapping",
    "what_failed": "Optional chaining on the render hid the crash but showed nothing",
    "error_messages": [ERROR],
    "trigger_keywords": ["Empty page", "items"],
    "files_modified": ["src/components/ProductList.tsx"],
}


def stored_hash(service: Rekall, entry_id: str) -> str | None:
    with service.db.read() as conn:
        return embeddings_repo.stored_hash(conn, entries_repo.seq_of(conn, entry_id), MODEL_ID)


@pytest.fixture
def with_context(service: Rekall) -> str:
    # Neighbours that share words with the error, so ranking first means something.
    service.add("til", "Array map on undefined in JavaScript", content="Reading map of undefined.")
    service.add("pattern", "Render lists with keys", content="Properties of each item need a key.")
    entry = service.add("bug", "Product list blank after deploy", "Crash", context=HYDRATION)
    return entry.id


def test_context_is_stored_and_read_back(service: Rekall, with_context: str) -> None:
    context = service.get(with_context).context
    assert context is not None
    assert context.fields() == {
        **HYDRATION,
        "trigger_keywords": ["empty page", "items"],
        "conversation_excerpt": None,
        "notes": None,
    }
    assert service.list_entries()[0].context == context


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
@pytest.mark.parametrize(
    "query", [ERROR, "src/components/ProductList.tsx", "empty page", "reading 'map'"]
)
def test_an_error_file_or_keyword_of_the_context_finds_its_entry_first(
    service: Rekall, with_context: str, query: str, mode: str
) -> None:
    results = service.search(query, mode=mode).results
    assert results[0].entry.id == with_context


def test_situation_and_solution_are_embedded_and_re_embedded_when_changed(
    service: Rekall, with_context: str
) -> None:
    entry = service.get(with_context)
    assert "Default the items prop" in entry.embedding_text()
    assert stored_hash(service, entry.id) == content_hash(entry.embedding_text())
    changed = service.update(entry.id, context={"solution": "Guard the map with a fallback"})
    assert stored_hash(service, entry.id) == content_hash(changed.embedding_text())
    assert stored_hash(service, entry.id) != content_hash(entry.embedding_text())
    assert service.rebuild_index().embedded == 0


def test_editing_the_context_alone_moves_the_keyword_index(
    service: Rekall, with_context: str
) -> None:
    before = service.get(with_context)
    after = service.update(with_context, context={"error_messages": ["ECONNRESET"]})
    assert after.updated_at > before.updated_at
    assert after.context is not None and after.context.text("situation") is not None
    assert service.search("ECONNRESET", mode="keyword").results[0].entry.id == with_context
    hits = service.search("undefined reading", mode="keyword").results
    assert with_context not in [hit.entry.id for hit in hits]


def test_clearing_every_field_removes_the_context(service: Rekall, with_context: str) -> None:
    cleared = {name: [] if isinstance(value, list) else "" for name, value in HYDRATION.items()}
    entry = service.update(with_context, context=cleared)
    assert entry.context is None
    assert service.search("ProductList.tsx", mode="keyword").results == []
    with service.db.read() as conn:
        assert conn.execute("SELECT count(*) FROM entry_context").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM context_keywords").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"mood": "x"}, "unknown context field"),
        ({"error_messages": ["ok", 3]}, "list of text"),
        ({"situation": "x" * 20_001}, "keep it under"),
    ],
)
def test_bad_context_changes_nothing(
    service: Rekall,
    with_context: str,
    db_file: Path,
    db_fingerprint: Callable[[Path], str],
    context: dict[str, object],
    message: str,
) -> None:
    before = db_fingerprint(db_file)
    with pytest.raises(ValidationError, match=message):
        service.update(with_context, context=context)
    with pytest.raises(ValidationError, match=message):
        service.add("bug", "Another", context=context)
    assert db_fingerprint(db_file) == before


def test_export_and_import_carry_the_context(
    service: Rekall, with_context: str, tmp_path: Path
) -> None:
    exported = tmp_path / "export.json"
    service.export_json(exported)
    data = json.loads(exported.read_text("utf-8"))
    saved = next(item for item in data["entries"] if item["id"] == with_context)
    assert saved["context"]["structured"]["error_messages"] == [ERROR]
    other = Rekall(db_file=tmp_path / "other.db")
    try:
        other.import_data(exported)
        assert other.get(with_context).context == service.get(with_context).context
        assert other.search(ERROR, mode="keyword").results[0].entry.id == with_context
    finally:
        other.close()
