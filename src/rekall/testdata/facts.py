"""The facts of one synthetic entry: topic details, length, tags, project and confidence."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from rekall.testdata.formats import command_lang
from rekall.testdata.titles import TITLES
from rekall.testdata.vocabulary import (
    AREAS,
    ENVS,
    GENERIC_TAGS,
    PEOPLE,
    PROJECTS,
    QUALIFIERS,
    SYMPTOMS,
    TRIGGERS,
    Tech,
)

NO_PROJECT_RATE = 0.2
CONFIDENCE_WEIGHTS = (3, 6, 14, 30, 28, 19)
# (share, lowest budget, highest budget); a budget of 0 means a one-line entry.
MEDIUM_BUDGET = 380
LENGTH_CLASSES = ((8, 0, 0), (7, 160, 300), (80, MEDIUM_BUDGET, 1500), (5, 3600, 4400))
NEVER_CAPITALISED = frozenset({"npm", "git", "pip", "cron", "cd", "kubectl", "tsconfig", "ulimit"})


@dataclass(frozen=True)
class Facts:
    """Everything an entry says; a near-duplicate keeps the facts and changes the wording."""

    kind: str
    tech: Tech
    slots: dict[str, str]
    title_template: int
    budget: int
    tags: tuple[str, ...]
    project: str | None
    confidence: int
    body_seed: int


def pick_facts(kind: str, tech: Tech, rng: random.Random) -> Facts:
    """Choose every fact of a new entry about `tech`."""
    project = None if rng.random() < NO_PROJECT_RATE else rng.choice(PROJECTS)
    return Facts(
        kind=kind,
        tech=tech,
        slots=pick_slots(tech, project, rng),
        title_template=rng.randrange(len(TITLES[kind])),
        budget=_pick_budget(rng),
        tags=_pick_tags(kind, tech, rng),
        project=project,
        confidence=rng.choices(range(6), CONFIDENCE_WEIGHTS)[0],
        body_seed=rng.getrandbits(32),
    )


def reword_facts(original: Facts, rng: random.Random) -> Facts:
    """The same problem written up again: new title and opening, maybe new length and project."""
    project = original.project if rng.random() < 0.5 else rng.choice(PROJECTS)
    slots = dict(original.slots)
    slots["project_label"] = f"[{project}] " if project else ""
    old_title = title_of(original)
    others = [
        index
        for index, template in enumerate(TITLES[original.kind])
        if template.format_map(slots) != old_title
    ]
    return replace(
        original,
        slots=slots,
        title_template=rng.choice(others),
        budget=_rescale(original.budget, rng),
        project=project,
        confidence=rng.choices(range(6), CONFIDENCE_WEIGHTS)[0],
    )


def title_of(facts: Facts) -> str:
    """The entry's title: its template filled with its slots."""
    return TITLES[facts.kind][facts.title_template].format_map(facts.slots)


def pick_slots(tech: Tech, project: str | None, rng: random.Random) -> dict[str, str]:
    """The words a title or body template can use, all drawn from one topic."""
    task, command = rng.choice(tech.howtos)
    key, value, why = rng.choice(tech.settings)
    noun, gotcha, error = rng.choice(tech.nouns), rng.choice(tech.gotchas), rng.choice(tech.errors)
    alt = rng.choice(tech.alts)
    return {
        "tech": tech.name,
        "noun": noun,
        "Noun": capitalise(noun),
        "error": error,
        "short_error": shorten_error(error),
        "task": task,
        "Task": capitalise(task),
        "command": command,
        "run_command": ("run" if command_lang(command, tech.lang) == "bash" else "apply")
        + f" `{command}`",
        "setting_key": key.strip('"'),
        "setting_value": value,
        "setting_why": why,
        "gotcha": gotcha,
        "Gotcha": capitalise(gotcha),
        "alt": alt,
        "Alt": capitalise(alt),
        "code": rng.choice(tech.code),
        "trigger": rng.choice(TRIGGERS),
        "symptom": rng.choice(SYMPTOMS),
        "env": rng.choice(ENVS),
        "area": rng.choice(AREAS),
        "qualifier": rng.choice(QUALIFIERS),
        "person": rng.choice(PEOPLE),
        "project_label": f"[{project}] " if project else "",
    }


def capitalise(text: str) -> str:
    """Upper-case the first letter of plain English words, never of names like npm or useEffect."""
    first = text.split(" ", 1)[0]
    if first.isalpha() and first.islower() and first not in NEVER_CAPITALISED:
        return text[0].upper() + text[1:]
    return text


def shorten_error(error: str, limit: int = 80) -> str:
    """The part of an error message a developer would quote in a title."""
    head = error.split(". ", 1)[0].rstrip(".")
    if len(head) <= limit:
        return head
    cut = head.rfind(" ", 0, limit - 1)
    return head[: cut if cut > 0 else limit - 1] + "…"


def _rescale(budget: int, rng: random.Random) -> int:
    """A re-written entry is a little shorter or longer; short ones stay short."""
    return int(budget * rng.uniform(0.8, 1.2)) if budget >= MEDIUM_BUDGET else budget


def _pick_budget(rng: random.Random) -> int:
    shares = [share for share, _, _ in LENGTH_CLASSES]
    _, low, high = rng.choices(LENGTH_CLASSES, shares)[0]
    return rng.randint(low, high) if high else 0


def _pick_tags(kind: str, tech: Tech, rng: random.Random) -> tuple[str, ...]:
    tags = list(tech.tags[: rng.randint(1, len(tech.tags))])
    extra = rng.choice((0, 0, 1, 1, 2))
    tags += rng.sample(GENERIC_TAGS[kind], min(extra, len(GENERIC_TAGS[kind])))
    return tuple(tags[:5])
