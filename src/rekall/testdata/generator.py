"""Turn an outline into valid entries: the engine behind `rekall test generate`."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from rekall.core.entries import NewEntry, build_new_entry
from rekall.testdata.bodies import render_body
from rekall.testdata.facts import Facts, pick_facts, reword_facts, title_of
from rekall.testdata.outline import plan_outline
from rekall.testdata.topics import TECHS


@dataclass(frozen=True)
class Draft:
    """A generated entry and, for a near-duplicate, the index of the entry it re-words."""

    index: int
    entry: NewEntry
    duplicate_of: int | None


def iter_drafts(count: int, seed: int = 42) -> Iterator[Draft]:
    """Yield `count` drafts, the same ones for the same seed. Raises ValueError if count < 0."""
    if count < 0:
        raise ValueError(f"count must be zero or more, not {count}")
    outline = plan_outline(count, seed)
    originals = {item.duplicate_of for item in outline if item.duplicate_of is not None}
    kept: dict[int, Facts] = {}
    rng = random.Random(f"rekall-testdata:{seed}:text")
    for item in outline:
        if item.duplicate_of is None:
            facts = pick_facts(item.type, TECHS[item.tech], rng)
        else:
            facts = reword_facts(kept[item.duplicate_of], rng)
        if item.index in originals:
            kept[item.index] = facts
        yield Draft(item.index, render_entry(facts, rng), item.duplicate_of)


def generate_entries(count: int, seed: int = 42) -> Iterator[NewEntry]:
    """Yield `count` realistic, valid entries; deterministic for a seed. Raises ValueError."""
    for draft in iter_drafts(count, seed):
        yield draft.entry


def render_entry(facts: Facts, rng: random.Random) -> NewEntry:
    """Write the title and body for the facts and validate the result."""
    slots = dict(facts.slots, title_template=str(facts.title_template))
    title = title_of(facts)
    facts_rng = random.Random(facts.body_seed)
    content = render_body(facts.kind, slots, facts.tech, facts.budget, facts_rng, rng)
    return build_new_entry(
        type=facts.kind,
        title=title,
        content=content,
        tags=facts.tags,
        project=facts.project,
        confidence=facts.confidence,
    )
