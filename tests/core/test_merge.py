"""The pure rules of a merge: content, tags, context, review state and the ids given."""

from __future__ import annotations

import pytest

from rekall.core.entries import MAX_CONTENT_BYTES, MAX_TAGS, Entry
from rekall.core.errors import ValidationError
from rekall.core.merge import (
    SEPARATOR,
    check_merge_ids,
    latest_review,
    merged_content,
    merged_context,
    merged_tags,
)
from rekall.core.records import EntryContext
from rekall.core.review import ReviewState


def entry(entry_id: str, title: str, content: str = "", tags: tuple[str, ...] = ()) -> Entry:
    return Entry(entry_id, "bug", title, content, tags, None, "active", 3, "t", "t")


def test_content_is_appended_under_a_separator_naming_each_source() -> None:
    keep = entry("K", "Kept", "First body.\n")
    a, b = entry("A", "Alpha", "  Alpha body.  "), entry("B", "Beta")
    assert merged_content(keep, [a, b]) == (
        "First body."
        + SEPARATOR
        + "**Alpha** (merged from A)\n\nAlpha body."
        + SEPARATOR
        + "**Beta** (merged from B)\n"
    )
    assert merged_content(entry("K", "Kept"), [a]) == "**Alpha** (merged from A)\n\nAlpha body.\n"


def test_content_past_the_limit_is_refused() -> None:
    half = "x" * (MAX_CONTENT_BYTES // 2 + 10)
    with pytest.raises(ValidationError, match="the limit is"):
        merged_content(entry("K", "K", half), [entry("A", "A", half)])


def test_tags_are_united_and_checked() -> None:
    keep = entry("K", "K", tags=("cors", "safari"))
    assert merged_tags(keep, [entry("A", "A", tags=("browser", "cors"))]) == (
        "browser",
        "cors",
        "safari",
    )
    many = tuple(f"t{i}" for i in range(MAX_TAGS))
    with pytest.raises(ValidationError):
        merged_tags(entry("K", "K", tags=many), [entry("A", "A", tags=("extra",))])


def test_ids_must_name_others_once_and_not_keep() -> None:
    assert check_merge_ids("K", ["A", "B", "A"]) == ("A", "B")
    with pytest.raises(ValidationError, match="entry to keep"):
        check_merge_ids("K", ["A", "K"])
    with pytest.raises(ValidationError, match="at least one"):
        check_merge_ids("K", [])


def test_contexts_are_united_without_losing_anything() -> None:
    kept = EntryContext({"situation": "deploy", "errors": ["E1"]}, None, ("cors",))
    other = EntryContext(
        {"situation": "local dev", "errors": ["E1", "E2"], "files": ["a.ts"]}, "chat", ("safari",)
    )
    merged = merged_context([kept, None, other])
    assert merged == EntryContext(
        {
            "situation": "deploy" + SEPARATOR + "local dev",
            "errors": ["E1", "E2"],
            "files": ["a.ts"],
        },
        "chat",
        ("cors", "safari"),
    )
    assert merged_context([None, other]) == other
    assert merged_context([None, EntryContext()]) is None


def test_the_most_recently_reviewed_state_wins() -> None:
    never = ReviewState()
    # Reviewed 2025-01-10 (due 6 days later) and 2025-01-20 (due the next day).
    early = ReviewState(2, 6, 2.5, "2025-01-16T00:00:00+00:00")
    late = ReviewState(0, 1, 1.7, "2025-01-21T00:00:00+00:00")
    assert latest_review([never, early, late]) == late
    assert latest_review([never, late, early]) == late
    assert latest_review([never, ReviewState()]) == never
    assert latest_review([early, never]) == early
