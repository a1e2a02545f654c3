"""Extra sections that turn an entry into a long write-up: timeline, attempts, traces, lessons."""

from __future__ import annotations

import random

from rekall.testdata.formats import bullets, config_block, fence, numbered, stack_trace
from rekall.testdata.vocabulary import PEOPLE, Tech

BACKGROUNDS = (
    "{area} depends on the {tech} {noun} for almost every request. It had been stable for "
    "months, so nobody looked at it when the first reports came in; we suspected the network, "
    "then the last deploy, and only then the {noun} itself. This write-up is what I wish I had "
    "found when I started.",
    "Some background for whoever reads this next: the {noun} was set up quickly during the "
    "first launch and never revisited. The defaults were fine at a hundred users and are not "
    "fine now. Most of what follows is about the gap between those two situations.",
    "We run {tech} in {env} with almost the same setup as everywhere else. Almost is the "
    "important word: the {noun} there differs in a handful of settings, and one of them matters "
    "a lot more than the others.",
)

ATTEMPTS = (
    "Restarted the service: helped for about an hour.",
    "Doubled the instance size: no change, so it is not capacity.",
    "Rolled back the last deploy: the problem stayed, so the deploy was not the cause.",
    "Turned on debug logging: too noisy to be useful without a filter on the {noun}.",
    "Pinned the previous {tech} version: the symptom changed but did not go away.",
    "Searched the issue tracker: several similar reports, none with a root cause.",
    "Added a retry: it hid the problem and made the latency worse.",
)

LESSONS = (
    "The lesson is not about {tech} specifically: any default that was never chosen on purpose "
    "is a decision someone else made for you. Write down the ones that matter, with the reason, "
    "next to the config.",
    "Next time, look at the {noun} first. It is boring, which is exactly why it is never "
    "suspected, and it was behind two of our last five incidents.",
    "Good error messages would have made this a ten-minute fix. We now log the state of the "
    "{noun} at startup and whenever it changes.",
)

DISCUSSIONS = (
    "{person} asked in review whether we should move to {alt} instead. Maybe one day, but the "
    "problem here was not {tech} itself: it was a setting nobody had chosen on purpose. "
    "Switching tools would have reset every default at once and hidden the real lesson.",
    "There was a long thread about whether the workaround should stay. The consensus: keep it "
    "until the {noun} has been stable for two weeks in {env}, then remove it in a separate "
    "change, so that a regression is easy to bisect.",
    "Open question: should the {noun} fail loudly at startup when `{setting_key}` is missing? "
    "{person} thinks yes, and I agree; a crash at deploy time is cheaper than a slow "
    "degradation at 3 a.m.",
)

HOSTS = (
    "Ubuntu 22.04",
    "Debian 12",
    "macOS 14",
    "Alpine 3.19",
    "Windows 11 + WSL2",
    "Amazon Linux 2023",
)

FOLLOW_UPS = (
    "Add an alert on the {noun} before it degrades, not after",
    "Document `{setting_key}` in the runbook",
    "Add a regression test that runs {trigger}",
    "Check the other services for the same setup",
    "Share this write-up in the weekly ops review",
    "Remove the temporary workaround once the fix is deployed everywhere",
)


def extra_sections(kind: str, slots: dict[str, str], tech: Tech, rng: random.Random) -> list[str]:
    """Sections that only long entries get, in the order a write-up would use them."""
    code = rng.choice([c for c in tech.code if c != slots["code"]] or tech.code)
    sections = [
        "## Background\n\n" + rng.choice(BACKGROUNDS).format_map(slots),
        "## Timeline\n\n" + _timeline(slots, rng),
        "## What did not work\n\n" + bullets(a.format_map(slots) for a in rng.sample(ATTEMPTS, 4)),
        "## Stack trace\n\n" + stack_trace(slots["error"], tech.lang, rng),
        "## Config at the time\n\n" + config_block(tech.settings, tech.config_lang),
        "## Other commands that helped\n\n"
        + bullets(f"{task}: `{command}`" for task, command in rng.sample(tech.howtos, 3)),
        "## Another example\n\n" + fence(code, tech.code_lang(code)),
        "## Related errors\n\n" + bullets(f"`{error}`" for error in tech.errors),
        "## Follow-ups\n\n"
        + "\n".join(f"- [ ] {f.format_map(slots)}" for f in rng.sample(FOLLOW_UPS, 4)),
        "## How to reproduce\n\n" + numbered(_repro(slots)),
        "## Environment\n\n" + _environment(slots, tech, rng),
        "## Discussion\n\n" + rng.choice(DISCUSSIONS).format_map(slots),
        "## Lessons\n\n" + rng.choice(LESSONS).format_map(slots),
    ]
    if kind != "bug":
        sections.remove(sections[3])
    return sections


def _timeline(slots: dict[str, str], rng: random.Random) -> str:
    hour = rng.randint(8, 20)
    first, second = rng.sample(PEOPLE, 2)
    steps = (
        f"{hour:02d}:05 first alert: the {slots['noun']} {slots['symptom']}",
        f"{hour:02d}:20 {first} confirms it in {slots['env']}",
        f"{hour:02d}:45 {second} finds '{slots['short_error']}' in the logs",
        f"{hour + 1:02d}:30 workaround deployed",
        f"{hour + 3:02d}:10 root cause found, proper fix merged",
    )
    return bullets(steps)


def _repro(slots: dict[str, str]) -> list[str]:
    return [
        f"Start from an anonymised copy of the data from {slots['env']}.",
        f"Make the {slots['noun']} busy: {slots['trigger']} is the easiest trigger.",
        f"Run `{slots['command']}` and watch the output.",
        f"Wait for '{slots['short_error']}' in the logs; it usually takes a few minutes.",
    ]


def _environment(slots: dict[str, str], tech: Tech, rng: random.Random) -> str:
    return bullets(
        (
            f"{tech.name} on {rng.choice(HOSTS)}",
            f"Where: {slots['env']}",
            f"Area: {slots['area']}",
            f"Reported by {slots['person']}",
        )
    )
