"""Rank fusion and keyword evidence: pure functions, tested on hand-made lists and texts."""

from __future__ import annotations

import pytest

from rekall.search import fts
from rekall.search.hybrid import (
    FusionWeights,
    KeywordEvidence,
    fuse,
    idf,
    keyword_evidence,
    occurs,
    term_specs,
)
from rekall.search.rank_fusion import RRF_K, RankedList, reciprocal_rank_fusion

WEIGHTS = FusionWeights()


def evidence_of(
    query: str, fields: dict[str, str], counts: dict[str, int] | None = None
) -> KeywordEvidence:
    """Evidence of one entry in a base of 1000 where each word is in 100 entries by default."""
    terms = fts.content_terms(fts.extract_terms(query))
    rarity = [idf((counts or {}).get(t.text, 100), 1000) for t in terms]
    return keyword_evidence(term_specs(terms, rarity, WEIGHTS), fields, WEIGHTS)


def test_item_found_by_both_lists_wins() -> None:
    fused = reciprocal_rank_fusion([RankedList([1, 2, 3], 1.0), RankedList([3, 4], 1.0)])
    assert fused[0][0] == 3
    assert fused[0][1] == pytest.approx(1 / (RRF_K + 3) + 1 / (RRF_K + 1))


def test_weights_scale_each_vote() -> None:
    fused = dict(reciprocal_rank_fusion([RankedList([1], 1.0), RankedList([2], 0.25)]))
    assert fused[2] == pytest.approx(fused[1] / 4)


def test_zero_weight_list_is_ignored() -> None:
    fused = reciprocal_rank_fusion([RankedList([1, 2], 1.0), RankedList([9, 8], 0.0)])
    assert [item for item, _ in fused] == [1, 2]


def test_ties_break_by_best_rank_then_id() -> None:
    fused = reciprocal_rank_fusion([RankedList([5, 6], 1.0), RankedList([6, 5], 1.0)])
    assert [item for item, _ in fused] == [5, 6]


def test_empty_lists_give_nothing() -> None:
    assert reciprocal_rank_fusion([]) == []
    assert reciprocal_rank_fusion([RankedList([], 1.0)]) == []


def test_common_words_spread_over_a_long_body_earn_little() -> None:
    question = "which program keeps this socket busy"
    page = {"title": "reference manual", "tags": "", "content": "program socket busy " * 200}
    entry = {"title": "find the process holding a socket", "tags": "", "content": "use lsof"}
    long_page, short_entry = evidence_of(question, page), evidence_of(question, entry)
    assert long_page.vote < short_entry.vote
    assert long_page.strength == pytest.approx(WEIGHTS.body_match)
    assert long_page.vote == pytest.approx(WEIGHTS.keyword * WEIGHTS.body_match**2)


def test_rare_words_count_for_more_than_common_ones() -> None:
    counts = {"socket": 5, "program": 600}
    rare = evidence_of("program socket", {"title": "socket", "tags": "", "content": ""}, counts)
    common = evidence_of("program socket", {"title": "program", "tags": "", "content": ""}, counts)
    assert rare.vote > common.vote > 0


def test_an_identifier_in_a_question_counts_wherever_it_is() -> None:
    fields = {"title": "watcher limit", "tags": "", "content": "inotify fails with enospc"}
    evidence = evidence_of("hot reload dies with ENOSPC", fields)
    assert evidence.fields == {"ENOSPC": ["content"]}
    plain = evidence_of("hot reload dies with nospace", {**fields, "content": "nospace"})
    assert evidence.vote > plain.vote
    assert evidence.vote >= WEIGHTS.exact * 0.5  # the identifier outweighs the other words


def test_a_one_word_query_is_a_lookup_wherever_the_word_is() -> None:
    evidence = evidence_of("rmtree", {"title": "shutil", "tags": "", "content": "see rmtree"})
    assert evidence.strength == pytest.approx(1.0)
    assert evidence.vote == pytest.approx(WEIGHTS.exact)


def test_evidence_records_each_matched_term_and_its_fields() -> None:
    fields = {"title": "cors on safari", "tags": "browser", "content": "safari blocks it"}
    evidence = evidence_of("safari browser timeout", fields)
    assert evidence.fields == {"safari": ["title", "content"], "browser": ["tags"]}
    assert 0 < evidence.strength < 1
    assert evidence_of("nothing here", fields).strength == 0.0


def test_fusion_adds_each_keyword_vote_to_the_similarity() -> None:
    fused = fuse([(1, 0.9), (2, 0.8), (3, 0.7)], [3, 4], {3: 0.5, 4: 0.0}, WEIGHTS)
    order = [item for item, _ in fused]
    assert order[0] == 3  # found by both, full keyword evidence
    assert dict(fused)[4] == pytest.approx(0.7)  # no evidence: only the similarity floor
    weak = fuse([(1, 0.9), (2, 0.8), (3, 0.7)], [3], {3: 0.01}, WEIGHTS)
    assert [item for item, _ in weak][:3] == [1, 2, 3]


def test_while_typing_a_whole_word_outweighs_a_longer_one() -> None:
    (term,) = fts.typing_terms("fuser")
    specs = term_specs([term], [1.0], WEIGHTS)
    whole = keyword_evidence(specs, {"title": "fuser"}, WEIGHTS)
    longer = keyword_evidence(specs, {"title": "fusermount"}, WEIGHTS)
    assert whole.vote > longer.vote > 0
    assert longer.fields == {"fuser*": ["title"]}


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("job", "a job"),
        ("job", "jobs and a_job"),  # '_' is a separator, as FTS5 sees it
        ("job", "xjob job"),  # the first place is no word start, the second is
        ("job", "xjob jobx"),
        ("node.js", "use node js or node-js here"),
        ("node.js", "nodes js"),
        ("connecti", "a connection"),  # the last word being typed is a prefix
        ("connecti", "reconnection"),
        ("café", "le cafe"),
        ("ENOSPC", "x" * 600 + " enospc"),
    ],
)
def test_a_term_occurs_where_its_pattern_would_find_it(query: str, text: str) -> None:
    (term,) = fts.typing_terms(query)
    folded = fts.fold(text)
    for pattern in (term.pattern(), term.pattern(exact=True)):
        expected = pattern.search(folded) is not None
        assert occurs(pattern, term.tokens[0], folded) is expected, (query, text, pattern)
