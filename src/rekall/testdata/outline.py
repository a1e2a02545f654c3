"""The cheap skeleton of a synthetic base: each entry's type, topic and near-duplicate origin."""

from __future__ import annotations

import random
from dataclasses import dataclass

from rekall.testdata.topics import TECHS

TYPE_WEIGHTS = {
    "bug": 20,
    "snippet": 16,
    "til": 13,
    "pitfall": 12,
    "config": 10,
    "pattern": 10,
    "reference": 10,
    "decision": 9,
}
NEAR_DUPLICATE_RATE = 0.03
FIRST_DUPLICATE_INDEX = 5


@dataclass(frozen=True)
class Outline:
    """What entry `index` is about; near-duplicates copy the type and topic of their original."""

    index: int
    type: str
    tech: int
    duplicate_of: int | None = None


def plan_outline(count: int, seed: int) -> list[Outline]:
    """The outline of `count` entries. Its own random stream, so links can be planned cheaply."""
    rng = random.Random(f"rekall-testdata:{seed}:outline")
    kinds = list(TYPE_WEIGHTS)
    weights = list(TYPE_WEIGHTS.values())
    items: list[Outline] = []
    for index in range(count):
        if index >= FIRST_DUPLICATE_INDEX and rng.random() < NEAR_DUPLICATE_RATE:
            original = items[rng.randrange(index)]
            root = original.duplicate_of if original.duplicate_of is not None else original.index
            items.append(Outline(index, original.type, original.tech, root))
            continue
        kind = rng.choices(kinds, weights)[0]
        items.append(Outline(index, kind, rng.randrange(len(TECHS))))
    return items
