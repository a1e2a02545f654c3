"""Entry ids: ULID shape, order by creation time, uniqueness, prefix normalisation."""

from __future__ import annotations

import pytest

from rekall.core.ids import ID_LENGTH, looks_like_id_prefix, new_id, normalize_id_prefix

CROCKFORD = set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def test_id_shape() -> None:
    entry_id = new_id()
    assert len(entry_id) == ID_LENGTH == 26
    assert set(entry_id) <= CROCKFORD


def test_timestamp_prefix_is_exact() -> None:
    assert new_id(0).startswith("0000000000")
    assert new_id(2**48 - 1).startswith("7ZZZZZZZZZ")
    assert new_id(1).startswith("0000000001")
    # The first ten characters encode the milliseconds, whatever the random part is.
    assert new_id(1_700_000_000_000)[:10] == new_id(1_700_000_000_000)[:10]


def test_ids_sort_by_creation_time() -> None:
    times = [0, 1, 2, 999, 1_000, 1_700_000_000_000, 1_700_000_000_001, 2**47, 2**48 - 1]
    ids = [new_id(ms) for ms in times]
    assert ids == sorted(ids)


def test_ids_made_now_sort_after_older_ones() -> None:
    old = new_id(1_600_000_000_000)
    assert old < new_id()


def test_ids_are_unique() -> None:
    made = {new_id() for _ in range(10_000)}
    assert len(made) == 10_000


def test_ids_in_the_same_millisecond_differ() -> None:
    made = {new_id(1_700_000_000_000) for _ in range(1_000)}
    assert len(made) == 1_000


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("01jd3k", "01JD3K"),
        (" 01JD3K ", "01JD3K"),
        ("o1jd", "01JD"),  # O reads as zero
        ("Ol", "01"),  # l reads as one
        ("i", "1"),  # i reads as one
        ("01JD3KZZZZZZZZZZZZZZZZZZZZ", "01JD3KZZZZZZZZZZZZZZZZZZZZ"),
    ],
)
def test_prefix_normalisation(raw: str, expected: str) -> None:
    assert normalize_id_prefix(raw) == expected


def test_normalising_a_full_id_is_identity() -> None:
    entry_id = new_id()
    assert normalize_id_prefix(entry_id.lower()) == entry_id


@pytest.mark.parametrize("text", ["0", "01jd3k", "01JD3K", "o1", new_id(), new_id().lower()])
def test_looks_like_id_prefix(text: str) -> None:
    assert looks_like_id_prefix(text)


@pytest.mark.parametrize(
    "text", ["", "   ", "U", "01JD-3K", "01JD 3K", "x" * 5 + "!", "0" * (ID_LENGTH + 1), "日本"]
)
def test_does_not_look_like_id_prefix(text: str) -> None:
    assert not looks_like_id_prefix(text)
