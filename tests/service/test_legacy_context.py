"""Contexts imported from Rekall 0.3 are shown whole, and their errors and keywords find them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from rekall.service import Rekall
from tests.service.test_legacy_import import EXPECTED_ENTRIES, copy_fixture

WITH_STRUCTURE = [e for e in EXPECTED_ENTRIES if e["structured_context"]]
FREE_TEXT_ONLY = [e for e in EXPECTED_ENTRIES if e["context_text"] and not e["structured_context"]]
# Every error message, trigger keyword and file of every structured context, with its entry.
QUERIES = [
    (query, entry["id"])
    for entry in WITH_STRUCTURE
    for name in ("error_messages", "trigger_keywords", "files_modified")
    for query in entry["structured_context"][name] or []
]


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rekall]:
    root = tmp_path_factory.mktemp("legacy-context")
    with pytest.MonkeyPatch.context() as patch:
        for name, sub in (("REKALL_HOME", "data"), ("REKALL_CACHE_DIR", "cache"), ("HOME", "home")):
            patch.setenv(name, str(root / sub))
        patch.setenv("REKALL_CONFIG", str(root / "config.toml"))
        patch.setenv("HF_HUB_OFFLINE", "1")
        service = Rekall()
        service.import_data(copy_fixture(root / "old"), legacy=True)
        yield service
        service.close()


def test_the_fixture_has_what_these_tests_rely_on() -> None:
    assert len(WITH_STRUCTURE) == 10 and len(FREE_TEXT_ONLY) == 2
    assert len(QUERIES) == 40 + 4 + 3  # keywords, error messages, files


@pytest.mark.parametrize("expected", WITH_STRUCTURE, ids=lambda e: e["title"][:30])
def test_every_structured_context_field_is_on_the_entry(
    imported: Rekall, expected: dict[str, Any]
) -> None:
    context = imported.get(expected["id"], record_access=False).context
    assert context is not None
    fields = context.fields()
    for name in ("situation", "solution", "what_failed", "conversation_excerpt"):
        assert fields[name] == expected["structured_context"][name]
    for name in ("error_messages", "trigger_keywords", "files_modified"):
        assert fields[name] == (expected["structured_context"][name] or [])
    assert fields["notes"] is None  # 0.3's "Situation: …\nSolution: …" repeats the fields
    assert context.structured is not None
    assert context.structured["created_at"] == expected["structured_context"]["created_at"]


@pytest.mark.parametrize("expected", FREE_TEXT_ONLY, ids=lambda e: e["title"][:30])
def test_free_context_text_is_shown_as_notes(imported: Rekall, expected: dict[str, Any]) -> None:
    context = imported.get(expected["id"], record_access=False).context
    assert context is not None
    assert context.fields()["notes"] == expected["context_text"]


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
@pytest.mark.parametrize(("query", "entry_id"), QUERIES, ids=[q for q, _ in QUERIES])
def test_each_error_keyword_and_file_finds_its_entry_first(
    imported: Rekall, query: str, entry_id: str, mode: str
) -> None:
    results = imported.search(query, mode=mode).results
    assert results[0].entry.id == entry_id, [r.entry.title for r in results[:3]]


@pytest.mark.model
async def test_mcp_get_entry_shows_every_imported_context(imported: Rekall) -> None:
    from mcp.client import Client

    from rekall.interfaces.mcp.server import build_server

    async with Client(build_server(imported), mode="legacy") as client:
        for expected in [*WITH_STRUCTURE, *FREE_TEXT_ONLY]:
            result = await client.call_tool("get_entry", {"id": expected["id"]})
            assert result.structured_content is not None
            shown = result.structured_content["context"]
            structured = expected["structured_context"] or {}
            for name in ("situation", "solution", "what_failed", "conversation_excerpt"):
                assert shown[name] == structured.get(name)
            for name in ("error_messages", "trigger_keywords", "files_modified"):
                assert shown[name] == (structured.get(name) or [])
            assert shown["notes"] == (None if structured else expected["context_text"])
