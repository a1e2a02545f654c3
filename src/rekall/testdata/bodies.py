"""Markdown bodies per entry type, cut to a length budget."""

from __future__ import annotations

import random
from collections.abc import Callable

from rekall.testdata import phrases as p
from rekall.testdata.extras import extra_sections
from rekall.testdata.formats import (
    bullets,
    command_lang,
    config_block,
    fence,
    log_lines,
    numbered,
)
from rekall.testdata.titles import TIL_OPENER_FOR_TITLE
from rekall.testdata.vocabulary import Tech

Slots = dict[str, str]
Builder = Callable[[Slots, Tech, random.Random], list[str]]
LONG_BUDGET = 2500


def render_body(
    kind: str, slots: Slots, tech: Tech, budget: int, facts_rng: random.Random, rng: random.Random
) -> str:
    """Write one entry's body within `budget` characters (0: a single line).

    `facts_rng` chooses what the entry says (causes, fixes, examples), so a re-worded copy
    seeded alike says the same things; `rng` chooses only the wording of the opening.
    """
    if budget <= 0:
        return _pick(rng, p.ONE_LINERS[kind], slots)
    sections = [_opening(kind, slots, rng)] + BUILDERS[kind](slots, tech, facts_rng)
    if budget > LONG_BUDGET:
        sections += extra_sections(kind, slots, tech, facts_rng)
    return compose(sections, budget)


def compose(sections: list[str], budget: int) -> str:
    """Keep the first section, then every later one that still fits, in order."""
    kept = [sections[0]]
    size = len(sections[0])
    for section in sections[1:]:
        if size + len(section) + 2 <= budget:
            kept.append(section)
            size += len(section) + 2
    return "\n\n".join(kept)


def fill(template: str, slots: Slots) -> str:
    """Fill a template's named slots."""
    return template.format_map(slots)


def _opening(kind: str, slots: Slots, rng: random.Random) -> str:
    if kind == "til":
        return fill(p.TIL_OPENERS[TIL_OPENER_FOR_TITLE[int(slots["title_template"])]], slots)
    heading, templates = OPENINGS[kind]
    return heading + _pick(rng, templates, slots)


def _pick(rng: random.Random, templates: tuple[str, ...], slots: Slots) -> str:
    return fill(rng.choice(templates), slots)


def _command(slots: Slots, tech: Tech) -> str:
    return fence(slots["command"], command_lang(slots["command"], tech.lang))


def _sample(slots: Slots, tech: Tech) -> str:
    return fence(slots["code"], tech.code_lang(slots["code"]))


def _settings(slots: Slots, tech: Tech, rng: random.Random) -> list[tuple[str, str, str]]:
    """Two or more of the topic's settings, always including the one the title names."""
    chosen = [s for s in tech.settings if s[0].strip('"') == slots["setting_key"]]
    others = [s for s in tech.settings if s not in chosen]
    return chosen + rng.sample(others, rng.randint(1, len(others)))


def _bug(slots: Slots, tech: Tech, rng: random.Random) -> list[str]:
    check = f"{rng.choice(p.CHECKS)}\n\n{_command(slots, tech)}"
    notes = rng.sample(p.NOTES, 3)
    return [
        f"The log said:\n\n{log_lines(slots['error'], rng, rng.randint(1, 3))}",
        "**Cause:** " + _pick(rng, p.CAUSES, slots),
        "**Fix:** " + _pick(rng, p.FIXES, slots),
        _sample(slots, tech),
        check,
        "Notes:\n" + bullets(fill(note, slots) for note in notes),
    ]


def _pattern(slots: Slots, tech: Tech, rng: random.Random) -> list[str]:
    plus, minus = rng.choice(p.TRADEOFFS)
    return [
        _sample(slots, tech),
        _pick(rng, p.PATTERN_WHYS, slots),
        "Trade-offs:\n" + bullets([fill(plus, slots), fill(minus, slots)]),
        f"The one-line version: `{slots['command']}`.",
        f"{slots['Alt']} solves the same problem differently; see the linked entry.",
    ]


def _decision(slots: Slots, tech: Tech, rng: random.Random) -> list[str]:
    options = [
        f"**{tech.name}**: {', '.join(rng.sample(p.PROS, 2))}; but {rng.choice(p.CONS)}",
        f"**{slots['alt']}**: {rng.choice(p.PROS)}; but {', '.join(rng.sample(p.CONS, 2))}",
        f"**Do nothing**: no work now; but {rng.choice(p.CONS)}",
    ]
    return [
        "## Options\n\n" + bullets(options),
        "## Decision\n\n" + _pick(rng, p.DECISION_OUTCOMES, slots),
        "## Consequences\n\n" + bullets(fill(c, slots) for c in rng.sample(p.CONSEQUENCES, 3)),
        "Starting config:\n\n" + config_block(_settings(slots, tech, rng), tech.config_lang),
    ]


def _pitfall(slots: Slots, tech: Tech, rng: random.Random) -> list[str]:
    avoid = [fill(a, slots) for a in rng.sample(p.AVOIDS, 3)]
    return [
        _pick(rng, p.PITFALL_EFFECTS, slots),
        "The safe version:\n\n" + _sample(slots, tech),
        "How to avoid it:\n" + bullets(avoid),
        f"If you already hit it, the error looks like:\n\n{fence(slots['error'], 'text')}",
    ]


def _config(slots: Slots, tech: Tech, rng: random.Random) -> list[str]:
    settings = _settings(slots, tech, rng)
    reasons = [f"`{key.strip(chr(34))}`: {why}" for key, _, why in settings]
    return [
        config_block(settings, tech.config_lang),
        "Why each value:\n" + bullets(reasons),
        f"Apply and check with:\n\n{_command(slots, tech)}",
        f"Before changing `{slots['setting_key']}` in {slots['env']}, watch the {slots['noun']} "
        "for a day; the default is usually fine until it suddenly is not.",
    ]


def _reference(slots: Slots, tech: Tech, rng: random.Random) -> list[str]:
    howtos = rng.sample(tech.howtos, rng.randint(3, len(tech.howtos)))
    rows = [f"| {task} | `{command.replace('|', '&#124;')}` |" for task, command in howtos]
    table = "| Task | Command |\n| --- | --- |\n" + "\n".join(rows)
    errors = bullets(f"`{error}`" for error in rng.sample(tech.errors, 2))
    settings = bullets(
        f"`{k.strip(chr(34))}` (e.g. `{v}`): {w}" for k, v, w in _settings(slots, tech, rng)
    )
    return [
        table,
        "Errors you will meet:\n" + errors,
        "Settings worth knowing:\n" + settings,
        "Example:\n\n" + _sample(slots, tech),
    ]


def _snippet(slots: Slots, tech: Tech, rng: random.Random) -> list[str]:
    steps = [f"Try it in {slots['env']} first.", "Check the output.", "Then automate it."]
    return [
        _command(slots, tech),
        "A longer version:\n\n" + _sample(slots, tech),
        "Gotcha: " + slots["gotcha"] + ".",
        numbered(steps[: rng.randint(2, 3)]),
    ]


def _til(slots: Slots, tech: Tech, rng: random.Random) -> list[str]:
    sections = [
        _command(slots, tech),
        f"Context: we were chasing '{slots['short_error']}' in {slots['env']}.",
        _sample(slots, tech),
    ]
    rng.shuffle(sections)
    return sections


OPENINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "bug": ("", p.BUG_INTROS),
    "pattern": ("", p.PATTERN_INTROS),
    "decision": ("## Context\n\n", p.DECISION_CONTEXTS),
    "pitfall": ("", p.PITFALL_INTROS),
    "config": ("", p.CONFIG_INTROS),
    "reference": ("", p.REFERENCE_INTROS),
    "snippet": ("", p.SNIPPET_INTROS),
}

BUILDERS: dict[str, Builder] = {
    "bug": _bug,
    "pattern": _pattern,
    "decision": _decision,
    "pitfall": _pitfall,
    "config": _config,
    "reference": _reference,
    "snippet": _snippet,
    "til": _til,
}
