"""Which rows keyword ranking reads on PostgreSQL (keyword_bounds.ranked_rows), as SQL."""

from __future__ import annotations

from rekall.storage.postgres.keyword_bounds import ESTIMATE_FROM, RANKED_ROWS, ranked_rows
from rekall.storage.postgres.schema_keyword import HEAD_VECTOR

PARTS = [("to_tsquery('a')", ["a"]), ("to_tsquery('b')", ["b"])]
EVERY = "e.search @@ (to_tsquery('a') && to_tsquery('b'))"


def conditions(parts: list[tuple[str, list[str]]], counts: list[int]) -> list[str]:
    """The condition of each list of rows ranked_rows reads, for 50 hits."""
    lists = ranked_rows(parts, counts, 50)
    assert lists is not None
    return [listed.condition for listed in lists]


def test_the_rows_holding_every_word_are_read_apart_only_when_the_first_list_is_cut() -> None:
    # "a" in fewer rows than the bound: the first list reads all of them, and the rows
    # holding both words are among them (they were read and ranked a second time).
    assert EVERY not in conditions(PARTS, [RANKED_ROWS - 100, 5 * RANKED_ROWS])
    # "a" in more rows than the bound: its first rows only, so those holding both are read.
    assert EVERY in conditions(PARTS, [RANKED_ROWS + 100, 5 * RANKED_ROWS])
    # A count estimated from the statistics may fall short of the rows: read them apart.
    assert ESTIMATE_FROM <= RANKED_ROWS
    assert EVERY in conditions(PARTS, [ESTIMATE_FROM, 5 * RANKED_ROWS])


def test_a_one_word_query_reads_its_rows_once() -> None:
    # Its rows holding "every" word are its rows: the same list was read twice before.
    found = conditions(PARTS[:1], [RANKED_ROWS + 100])
    assert found[0] == "e.search @@ (to_tsquery('a'))"
    assert len(found) == 2 and found[1].startswith(HEAD_VECTOR)  # and its titles, tags
