"""Reciprocal rank fusion: a pure function, tested on hand-made lists."""

from __future__ import annotations

import pytest

from rekall.search.hybrid import RRF_K, RankedList, reciprocal_rank_fusion


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
