"""Entry context: validation, applying changes, what is searched and embedded, the editor."""

from __future__ import annotations

import pytest

from rekall.core.context import (
    EntryContext,
    apply_context_changes,
    embedding_part_of_json,
    validate_context_changes,
)
from rekall.core.editable import edited_changes, entry_to_document, parse_document
from rekall.core.entries import Entry, compose_embedding_text
from rekall.core.errors import ValidationError

LEGACY = EntryContext(
    {
        "situation": "Prices crashed for French users",
        "solution": "Pass the request locale",
        "trigger_keywords": ["hydration", "ssr"],
        "error_messages": ["Error: Text content does not match server-rendered HTML."],
        "files_modified": ["components/Price.tsx"],
        "what_failed": None,
        "conversation_excerpt": None,
        "created_at": "2026-11-21T23:19:31.354071",
        "extraction_method": "manual",
    },
    "Situation: Prices crashed for French users\nSolution: Pass the request locale",
    ("hydration", "ssr"),
)


def entry_with(context: EntryContext | None) -> Entry:
    return Entry(
        "01ABC",
        "bug",
        "Title",
        "body",
        ("web",),
        None,
        "active",
        3,
        "t",
        "t",
        None,
        0,
        None,
        context,
    )


def test_fields_show_every_named_field_and_hide_a_repeated_summary() -> None:
    fields = LEGACY.fields()
    assert fields["situation"] == "Prices crashed for French users"
    assert fields["error_messages"] == ["Error: Text content does not match server-rendered HTML."]
    assert fields["what_failed"] is None
    assert fields["notes"] is None  # the 0.3 summary only repeats situation and solution
    free = EntryContext(None, "We traced it to toISOString.", ())
    assert free.fields()["notes"] == "We traced it to toISOString."


def test_keywords_fall_back_to_the_keyword_table() -> None:
    assert EntryContext(None, None, ("dns",)).items("trigger_keywords") == ("dns",)


def test_search_keys_hold_errors_keywords_and_files_and_story_the_narrative() -> None:
    assert LEGACY.search_keys().splitlines() == [
        "Error: Text content does not match server-rendered HTML.",
        "hydration",
        "ssr",
        "components/Price.tsx",
    ]
    assert LEGACY.search_story() == "Prices crashed for French users\nPass the request locale"


def test_situation_and_solution_are_embedded_and_no_context_changes_nothing() -> None:
    entry = entry_with(LEGACY)
    assert entry.embedding_text().endswith(
        "body\nPrices crashed for French users\nPass the request locale"
    )
    assert entry_with(None).embedding_text() == compose_embedding_text("Title", ("web",), "body")
    assert embedding_part_of_json('{"solution": "x", "error_messages": ["e"]}') == "x"
    assert embedding_part_of_json(None) == ""


def test_validation_cleans_lists_and_text() -> None:
    clean = validate_context_changes(
        {
            "situation": "  spaces  ",
            "trigger_keywords": ["Hydration", "hydration", " "],
            "error_messages": "ECONNRESET",
            "files_modified": [],
        }
    )
    assert clean == {
        "situation": "spaces",
        "trigger_keywords": ["hydration"],
        "error_messages": ["ECONNRESET"],
        "files_modified": [],
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mood": "x"}, "unknown context field 'mood'"),
        ({"situation": 3}, "must be text"),
        ({"error_messages": [1]}, "list of text"),
        ({"solution": "a\x00b"}, "NUL"),
        ({"situation": "x" * 20_001}, "keep it under"),
        ({"files_modified": [f"f{n}" for n in range(51)]}, "the limit is 50"),
        ({"error_messages": ["e" * 2001]}, "longer than"),
    ],
)
def test_bad_context_is_refused_with_a_clear_message(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        validate_context_changes(changes)


def test_applying_changes_keeps_other_keys_and_drops_a_stale_summary() -> None:
    changed = apply_context_changes(
        LEGACY, validate_context_changes({"situation": "New story", "trigger_keywords": ["x"]})
    )
    assert changed is not None
    assert changed.text("situation") == "New story"
    assert (
        changed.structured is not None
        and changed.structured["created_at"] == LEGACY.structured["created_at"]
    )  # type: ignore[index]
    assert changed.keywords == ("x",)
    assert changed.legacy_text is None  # it only repeated the old situation


def test_clearing_every_field_leaves_no_context_but_keeps_free_notes() -> None:
    every = {
        name: [] if name.endswith(("s", "_modified")) else ""
        for name in LEGACY.fields()
        if name != "notes"
    }
    assert apply_context_changes(LEGACY, validate_context_changes(every)) is None
    notes = EntryContext({"situation": "s"}, "free text", ())
    left = apply_context_changes(notes, validate_context_changes({"situation": ""}))
    assert left == EntryContext(None, "free text", ())


def test_the_editor_document_round_trips_the_context() -> None:
    entry = entry_with(LEGACY)
    document = entry_to_document(entry)
    assert "error: Error: Text content does not match server-rendered HTML." in document
    assert "keyword: hydration\nkeyword: ssr" in document
    assert "what_failed:\n" in document  # empty fields are shown, ready to fill
    assert edited_changes(entry, document, document) == {}


def test_the_editor_document_changes_context_lines_including_multi_line_text() -> None:
    entry = entry_with(LEGACY)
    document = entry_to_document(entry)
    edited = document.replace("file: components/Price.tsx", "file: a.py\nfile: b.py").replace(
        "what_failed:", "what_failed: first line\n  second line"
    )
    assert edited_changes(entry, edited, document) == {
        "context": {
            "what_failed": "first line\nsecond line",
            "files_modified": ["a.py", "b.py"],
        }
    }
    with pytest.raises(ValidationError, match="unknown header line 'errors: x'"):
        parse_document(document.replace("error: Error", "errors: x\nerror: Error"))
