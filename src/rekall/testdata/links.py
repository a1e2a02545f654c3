"""Typed links between the entries of a synthetic base, planned from its outline."""

from __future__ import annotations

import random

from rekall.core.entries import LINK_TYPES
from rekall.testdata.outline import Outline, plan_outline
from rekall.testdata.topics import TECHS

LINKS_PER_ENTRY = 0.1
LINK_WEIGHTS = {"related": 60, "supersedes": 12, "derived_from": 18, "contradicts": 10}
REASONS = {
    "related": "Both about {tech}",
    "supersedes": "Replaces the older {tech} note",
    "derived_from": "Builds on the earlier {tech} note",
    "contradicts": "Gives different advice on {tech}",
}
DUPLICATE_REASON = "Same {tech} problem, written up again"
# Links that point from the newer entry to the older one.
NEWER_TO_OLDER = frozenset({"supersedes", "derived_from"})

Link = tuple[int, int, str, str]


def plan_links(count: int, seed: int = 42) -> list[Link]:
    """Plan about one link per ten entries as (source, target, type, reason) index tuples.

    Near-duplicates are linked to their original first; the rest join entries on one topic.
    No self-links, no pair linked twice. Raises ValueError if count < 0.
    """
    if count < 0:
        raise ValueError(f"count must be zero or more, not {count}")
    outline = plan_outline(count, seed)
    rng = random.Random(f"rekall-testdata:{seed}:links")
    wanted = int(count * LINKS_PER_ENTRY)
    links: list[Link] = []
    seen: set[frozenset[int]] = set()
    for item in outline:
        if item.duplicate_of is not None and len(links) < wanted:
            kind = "supersedes" if rng.random() < 0.4 else "related"
            _add(links, seen, item.index, item.duplicate_of, kind, DUPLICATE_REASON, outline)
    _add_topic_links(links, seen, outline, wanted, rng)
    return links


def _add_topic_links(
    links: list[Link],
    seen: set[frozenset[int]],
    outline: list[Outline],
    wanted: int,
    rng: random.Random,
) -> None:
    by_tech: dict[int, list[int]] = {}
    for item in outline:
        by_tech.setdefault(item.tech, []).append(item.index)
    kinds = list(LINK_WEIGHTS)
    weights = list(LINK_WEIGHTS.values())
    attempts = 0
    while len(links) < wanted and attempts < wanted * 50:
        attempts += 1
        source = rng.randrange(len(outline))
        peers = by_tech[outline[source].tech]
        target = rng.choice(peers) if len(peers) > 1 else rng.randrange(len(outline))
        kind = rng.choices(kinds, weights)[0]
        if kind in NEWER_TO_OLDER:
            source, target = max(source, target), min(source, target)
        _add(links, seen, source, target, kind, REASONS[kind], outline)


def _add(
    links: list[Link],
    seen: set[frozenset[int]],
    source: int,
    target: int,
    kind: str,
    reason: str,
    outline: list[Outline],
) -> None:
    pair = frozenset((source, target))
    if source == target or pair in seen or kind not in LINK_TYPES:
        return
    seen.add(pair)
    links.append((source, target, kind, reason.format(tech=TECHS[outline[source].tech].name)))
