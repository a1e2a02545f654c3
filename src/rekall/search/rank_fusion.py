"""Plain weighted reciprocal rank fusion of ranked id lists (the benchmarks' baseline)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

RRF_K = 60


@dataclass(frozen=True)
class RankedList:
    """Ids best first, and how much say this list has in the fused order."""

    ids: Sequence[int]
    weight: float


def reciprocal_rank_fusion(lists: Sequence[RankedList], k: int = RRF_K) -> list[tuple[int, float]]:
    """Plain weighted RRF: score(id) = sum of weight / (k + rank), rank from 1; best first.

    Ties are broken by the best single rank, then by id, so the order is deterministic.
    """
    scores: dict[int, float] = {}
    best_rank: dict[int, int] = {}
    for ranked in lists:
        if ranked.weight <= 0:
            continue
        for rank, item in enumerate(ranked.ids, start=1):
            scores[item] = scores.get(item, 0.0) + ranked.weight / (k + rank)
            best_rank[item] = min(best_rank.get(item, rank), rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], best_rank[pair[0]], pair[0]))
