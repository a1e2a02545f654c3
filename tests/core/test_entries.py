"""Validation of entry fields: what is accepted, how it is normalised, what is refused."""

from __future__ import annotations

import pytest

from rekall.core import entries
from rekall.core.entries import (
    ENTRY_TYPES,
    LINK_TYPES,
    MAX_CONTENT_BYTES,
    MAX_PROJECT_CHARS,
    MAX_TAG_CHARS,
    MAX_TAGS,
    MAX_TITLE_CHARS,
    STATUSES,
    EntryFilter,
    NewEntry,
    build_new_entry,
)
from rekall.core.errors import RekallError, UsageError, ValidationError


@pytest.mark.parametrize("title", ["", " ", "   \t\n  ", "\u00a0\u2003"])
def test_blank_title_is_refused(title: str) -> None:
    with pytest.raises(ValidationError, match="title is empty"):
        entries.validate_title(title)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("CORS fails on Safari", "CORS fails on Safari"),
        ("  padded  ", "padded"),
        ("many   inner\t\nspaces", "many inner spaces"),
        ("Ünïcödé 日本語 🚀", "Ünïcödé 日本語 🚀"),
    ],
)
def test_title_is_stripped_and_spaces_collapsed(raw: str, expected: str) -> None:
    assert entries.validate_title(raw) == expected


def test_title_length_limit() -> None:
    assert entries.validate_title("x" * MAX_TITLE_CHARS) == "x" * MAX_TITLE_CHARS
    with pytest.raises(ValidationError, match=f"under {MAX_TITLE_CHARS}"):
        entries.validate_title("x" * (MAX_TITLE_CHARS + 1))


@pytest.mark.parametrize(("raw", "expected"), [("bug", "bug"), ("BUG", "bug"), (" Til ", "til")])
def test_type_is_normalised(raw: str, expected: str) -> None:
    assert entries.validate_type(raw) == expected


@pytest.mark.parametrize("raw", ["bugs", "", "note", "bug,til", "b ug"])
def test_unknown_type_lists_the_valid_ones(raw: str) -> None:
    with pytest.raises(ValidationError) as caught:
        entries.validate_type(raw)
    message = str(caught.value)
    assert f"'{raw}'" in message
    for name in ENTRY_TYPES:
        assert name in message


@pytest.mark.parametrize("value", [0, 1, 3, 5])
def test_confidence_in_range(value: int) -> None:
    assert entries.validate_confidence(value) == value


@pytest.mark.parametrize("value", [-1, 6, 100, -100])
def test_confidence_out_of_range(value: int) -> None:
    with pytest.raises(ValidationError, match=rf"confidence {value} is out of range.*0-5"):
        entries.validate_confidence(value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ((), ()),
        (("cors",), ("cors",)),
        (("Cors, SAFARI",), ("cors", "safari")),
        (("b", "a", "b"), ("a", "b")),
        (("a,,b, ,",), ("a", "b")),
        (("  python  ", "Python"), ("python",)),
        (("c++", "node.js", "日本語"), ("c++", "node.js", "日本語")),
        (("",), ()),
    ],
)
def test_tags_are_normalised(raw: tuple[str, ...], expected: tuple[str, ...]) -> None:
    assert entries.validate_tags(raw) == expected


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        (("two words",), "single words"),
        (("tab\tinside",), "single words"),
        (("x" * (MAX_TAG_CHARS + 1),), "at most"),
        (("nul\x00tag",), "NUL"),
        (("bad\udcfftag",), "not valid UTF-8"),
    ],
)
def test_invalid_tags_are_refused(raw: tuple[str, ...], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        entries.validate_tags(raw)


def test_tag_count_limit() -> None:
    allowed = [f"t{i}" for i in range(MAX_TAGS)]
    assert len(entries.validate_tags(allowed)) == MAX_TAGS
    with pytest.raises(ValidationError, match=f"the limit is {MAX_TAGS}"):
        entries.validate_tags([*allowed, "one-more"])


def test_tag_count_limit_counts_distinct_tags() -> None:
    repeated = [f"t{i}" for i in range(MAX_TAGS)] * 2
    assert len(entries.validate_tags(repeated)) == MAX_TAGS


def test_content_size_limit_in_utf8_bytes() -> None:
    assert entries.validate_content("a" * MAX_CONTENT_BYTES) == "a" * MAX_CONTENT_BYTES
    two_byte = "é" * (MAX_CONTENT_BYTES // 2)
    assert entries.validate_content(two_byte) == two_byte
    with pytest.raises(ValidationError, match="the limit is 1,000,000 bytes"):
        entries.validate_content("a" * (MAX_CONTENT_BYTES + 1))
    with pytest.raises(ValidationError, match="1,000,001 bytes"):
        entries.validate_content(two_byte + "a")


@pytest.mark.parametrize(
    "content", ["", "plain", "# Markdown\n\n```py\nprint('x')\n```\n", "tabs\tand\r\nCRLF", "🚀"]
)
def test_content_is_kept_unchanged(content: str) -> None:
    assert entries.validate_content(content) == content


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("binary\x00data", "NUL"),
        ("\x00", "NUL"),
        ("lone \ud800 surrogate", "not valid UTF-8"),
        ("escaped byte \udcff", "not valid UTF-8"),
    ],
)
def test_binary_content_is_refused(content: str, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        entries.validate_content(content)


@pytest.mark.parametrize(
    ("title", "match"),
    [
        ("\x00starts with NUL", "NUL"),
        ("ends with NUL\x00", "NUL"),
        ("bad \udcff byte", "not valid UTF-8"),
        ("\ud83d", "not valid UTF-8"),
    ],
)
def test_binary_title_is_refused(title: str, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        entries.validate_title(title)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, None), ("", None), ("  ", None), (" webapp ", "webapp"), ("my app", "my app")],
)
def test_project_is_normalised(raw: str | None, expected: str | None) -> None:
    assert entries.validate_project(raw) == expected


@pytest.mark.parametrize(
    ("raw", "match"),
    [("x" * (MAX_PROJECT_CHARS + 1), "longer than"), ("a\x00b", "NUL"), ("a\udcffb", "UTF-8")],
)
def test_invalid_project_is_refused(raw: str, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        entries.validate_project(raw)


@pytest.mark.parametrize(
    ("raw", "expected"), [("active", "active"), (" DEPRECATED ", "deprecated")]
)
def test_status_is_normalised(raw: str, expected: str) -> None:
    assert entries.validate_status(raw) == expected


def test_unknown_status_lists_the_valid_ones() -> None:
    with pytest.raises(ValidationError) as caught:
        entries.validate_status("archived")
    assert all(status in str(caught.value) for status in STATUSES)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("related", "related"),
        ("Supersedes", "supersedes"),
        ("derived-from", "derived_from"),
        ("derived_from", "derived_from"),
        (" contradicts ", "contradicts"),
    ],
)
def test_link_type_is_normalised(raw: str, expected: str) -> None:
    assert entries.validate_link_type(raw) == expected


def test_unknown_link_type_lists_the_valid_ones() -> None:
    with pytest.raises(ValidationError) as caught:
        entries.validate_link_type("blocks")
    assert all(kind in str(caught.value) for kind in LINK_TYPES)


def test_build_new_entry_normalises_every_field() -> None:
    new = build_new_entry(" BUG ", "  CORS  fails ", "body", ["Cors,Safari"], " webapp ", 4)
    assert new == NewEntry("bug", "CORS fails", "body", ("cors", "safari"), "webapp", 4)


def test_build_new_entry_defaults() -> None:
    assert build_new_entry("til", "t") == NewEntry("til", "t", "", (), None, 3)


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"type": "nope"}, "unknown entry type"),
        ({"title": " "}, "title is empty"),
        ({"title": "\x00"}, "NUL"),
        ({"content": "\x00"}, "NUL"),
        ({"tags": ["a b"]}, "invalid tag"),
        ({"project": "p" * 101}, "project name"),
        ({"confidence": 9}, "out of range"),
    ],
)
def test_build_new_entry_refuses_any_bad_field(fields: dict[str, object], match: str) -> None:
    arguments: dict[str, object] = {"type": "bug", "title": "ok", **fields}
    with pytest.raises(ValidationError, match=match):
        build_new_entry(**arguments)  # type: ignore[arg-type]


def test_validation_errors_are_usage_errors() -> None:
    assert issubclass(ValidationError, UsageError)
    assert issubclass(UsageError, RekallError)


def test_embedding_text_and_hash() -> None:
    text = entries.compose_embedding_text(" Title ", ("a", "b"), "\nbody\n")
    assert text == "Title\na, b\nbody"
    assert entries.compose_embedding_text("Title", (), "") == "Title"
    digest = entries.content_hash(text)
    assert len(digest) == 32 and int(digest, 16) >= 0
    assert digest == entries.content_hash("Title\na, b\nbody")
    assert digest != entries.content_hash("Title\na, b\nbody!")


def test_entry_filter_is_empty() -> None:
    assert EntryFilter(status=None).is_empty
    assert not EntryFilter().is_empty  # active only, by default
    assert not EntryFilter(types=("bug",), status=None).is_empty
    assert not EntryFilter(tags=("x",), status=None).is_empty
    assert not EntryFilter(project="p", status=None).is_empty
