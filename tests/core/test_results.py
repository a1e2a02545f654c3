"""The mutable records a search builds show and compare like the dataclasses they were."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rekall.core.results import SlotRecord
from rekall.interfaces.cli.quick import SearchArgs, parse_search_args
from rekall.search.hybrid import KeywordEvidence
from rekall.service.searching import Evidence

# (a fresh record, one field to change, a value it does not have)
RECORDS: list[tuple[Callable[[], SlotRecord], str, Any]] = [
    (Evidence, "snippet", "a snippet"),
    (KeywordEvidence, "fields", {"pool": ["title"]}),
    (SearchArgs, "limit", 3),
]


@pytest.mark.parametrize(("make", "name", "value"), RECORDS)
def test_records_are_equal_by_value_and_not_hashable(
    make: Callable[[], SlotRecord], name: str, value: Any
) -> None:
    first, second = make(), make()
    assert first == second and first is not second
    setattr(second, name, value)
    assert first != second
    setattr(first, name, value)
    assert first == second
    assert first != make.__name__ and first != (value,)
    with pytest.raises(TypeError, match="unhashable"):
        hash(first)


def test_a_record_shows_every_field() -> None:
    evidence = Evidence(semantic_rank=2, similarity=0.5)
    evidence.matched = {"pool": ["title"]}
    assert repr(evidence) == (
        "Evidence(keyword_rank=None, semantic_rank=2, similarity=0.5, snippet='', "
        "matched={'pool': ['title']}, keyword_strength=None, highlight=None, in_context=False)"
    )
    assert repr(KeywordEvidence()) == "KeywordEvidence(strength=0.0, vote=0.0, fields={})"


def test_parsed_search_arguments_show_and_compare_as_given() -> None:
    parsed = parse_search_args(["pool", "-n", "3", "--tag", "pg"])
    assert repr(parsed) == (
        "SearchArgs(query='pool', mode=None, limit=3, as_json=False, types=[], tags=['pg'], "
        "project=None, status='active')"
    )
    assert parsed == parse_search_args(["--tag", "pg", "pool", "--limit", "3"])
    assert parsed != parse_search_args(["pool", "-n", "3"])
