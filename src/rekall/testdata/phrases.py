"""Sentence templates the bodies are built from, grouped by the part of an entry they open."""

from __future__ import annotations

BUG_INTROS = (
    "The {noun} {symptom} {trigger}. It only showed up in {env}, never on a laptop.",
    "Seen in {env}: the {tech} {noun} {symptom} {trigger}.",
    "After the last release the {noun} {symptom}. {person} reproduced it {trigger}.",
    "Users reported that pages were slow; it turned out the {tech} {noun} {symptom} {trigger}.",
    "Symptom: the {noun} {symptom}. Only in {env}, and only {trigger}.",
    "Spent most of a day on this one. The {noun} {symptom} {trigger} and nothing obvious "
    "changed in the code.",
    "Alert fired at night: the {tech} {noun} {symptom}. Restarting helped for an hour.",
)

CAUSES = (
    "the default `{setting_key}` is far too low for this workload.",
    "two workers raced on the same {noun} and the loser never retried.",
    "a stale {noun} survived the deploy because the cache key did not include the version.",
    "the {noun} was created before the config was loaded, so it ran with the defaults.",
    "the upgrade changed how the {noun} behaves by default and nothing pinned it.",
    "{gotcha}, and our code relied on the opposite.",
    "the {noun} in {env} is configured differently from everywhere else.",
    "an error from the {noun} was swallowed by a broad except, so the retry loop never ended.",
    "the health check passed while the {noun} was still warming up.",
)

FIXES = (
    "set `{setting_key}` to `{setting_value}` ({setting_why}) and restart.",
    "{run_command} as part of the deploy so the {noun} starts clean.",
    "pin the {tech} version and add a regression test that fails on the old behaviour.",
    "stop sharing the {noun} between workers; each one now gets its own.",
    "add a retry with backoff around the {noun} call, capped at three attempts.",
    "move the {noun} setup out of the request path and into startup.",
    "set an explicit timeout instead of relying on the default.",
    "make the operation idempotent, so running it twice is harmless.",
)

CHECKS = (
    "To check it is gone:",
    "Verified with:",
    "How I confirmed the fix:",
    "Quick check after a deploy:",
)

NOTES = (
    "The error message points at the {noun}, but the {noun} is only where it surfaces.",
    "Reproduces reliably with a copy of the data from {env}.",
    "{alt} has the same problem in a different shape.",
    "Worth a dashboard panel: it creeps up for days before it breaks.",
    "Restarting hides it for a while, which is why it took so long to find.",
    "The upstream issue tracker has a long thread about it; the fix above is the accepted one.",
    "Nothing in the changelog mentioned it.",
    "Logging the {noun} state at startup would have saved hours.",
)

PATTERN_INTROS = (
    "When we need to {task} in {tech}, we do it the same way every time, so reviews are quick.",
    "This is how {area} handles the {noun}: one small helper, used everywhere.",
    "A pattern that keeps the {tech} {noun} predictable under load.",
    "We used to {task} by hand in each service. Now it is one function.",
    "Use this when you need to {task} and cannot afford surprises in {env}.",
)

PATTERN_WHYS = (
    "It works because the {noun} is set up once and every caller goes through the same path, "
    "so timeouts, retries and logging are consistent.",
    "The point is that the failure mode is explicit: when the {noun} misbehaves, the caller "
    "gets an error instead of a hang.",
    "Keeping it in one place also means one place to change when {tech} changes its defaults.",
    "It also makes the tests simple: swap the {noun} for a fake and nothing else changes.",
)

TRADEOFFS = (
    ("+ one code path to reason about", "- one more layer to read through"),
    ("+ consistent timeouts and retries", "- slightly slower for the simplest case"),
    ("+ easy to test with a fake", "- the helper must be kept in sync with {tech} upgrades"),
    ("+ safe to run twice", "- needs a unique key per operation"),
    ("+ no lock held across network calls", "- callers must handle a conflict error"),
)

DECISION_CONTEXTS = (
    "We need a dependable way to handle {area}. Today it is a mix of {alt} and scripts, and "
    "nobody owns it.",
    "The {noun} in {area} keeps causing incidents, and the current setup on {alt} makes them "
    "hard to debug.",
    "New hires take days to get {area} running locally. We want one tool that everyone knows.",
    "Costs for {area} doubled this year, and half of it is operating {alt}.",
)

PROS = (
    "the team already knows it",
    "mature tooling and good docs",
    "runs the same in CI and locally",
    "fewer moving parts",
    "a clear upgrade path",
    "good observability out of the box",
    "cheaper to operate",
)

CONS = (
    "another thing to learn",
    "migration work for the existing data",
    "less flexible for unusual cases",
    "vendor lock-in",
    "slower to start",
    "weaker ecosystem for our language",
    "one more service to run",
)

DECISION_OUTCOMES = (
    "We go with {tech}. The deciding factor was the {noun}: it is simpler to operate and "
    "easier to reason about.",
    "Decision: {tech}, reviewed again in six months or earlier if the {noun} becomes a problem.",
    "We pick {tech}. {alt} stays for the legacy parts until they are rewritten.",
)

CONSEQUENCES = (
    "Existing {alt} setups are migrated one service at a time.",
    "The runbook for {area} gets a section on the {noun}.",
    "CI gets a check that fails if someone adds {alt} back.",
    "We accept a short freeze on {area} changes during the migration.",
    "Owners: the platform team, with {person} as the contact.",
)

PITFALL_INTROS = (
    "In {tech}, {gotcha}. It is easy to miss because everything works in small tests.",
    "Bitten by this again: {gotcha}.",
    "Something that looks harmless in {tech}: {gotcha}.",
    "{Gotcha}. We found out in {env}, {trigger}.",
)

PITFALL_EFFECTS = (
    "What actually happens: the {noun} {symptom}, and nothing in the logs says why.",
    "The result is that the {noun} {symptom} {trigger}, long after the change that caused it.",
    "In practice you see the {noun} {symptom}, and people blame the network first.",
)

AVOIDS = (
    "Add a test that covers the case explicitly.",
    "Make the behaviour explicit in config instead of relying on the default.",
    "Check the {tech} docs for the {noun} before upgrading.",
    "Add a lint rule or a review checklist item.",
    "Log a warning when the {noun} is used this way.",
    "Prefer the safe variant even when it is more verbose.",
)

CONFIG_INTROS = (
    "Settings we use for {tech} in {env}. Each value has a reason; do not copy them blindly.",
    "The {tech} config that finally stopped the {noun} from causing pages.",
    "Baseline {tech} settings for {area}. Start here and measure before changing anything.",
    "Config for the {tech} {noun}. Defaults are fine for development, not for {env}.",
)

REFERENCE_INTROS = (
    "Quick reference for the {tech} {noun}. The commands I reach for most.",
    "Notes on how {tech} handles the {noun}, collected while debugging {area}.",
    "Everything I keep looking up about the {tech} {noun}.",
)

SNIPPET_INTROS = (
    "{Task} ({tech}).",
    "Handy when you need to {task}.",
    "Copy, paste, adjust the names.",
    "The version of this I trust:",
    "For when you need to {task} in {env}.",
)

TIL_OPENERS = (
    "TIL {gotcha}. Found it while debugging {area}.",
    "Today I learned you can {task} with `{command}`.",
    "TIL the {tech} {noun} has a knob called `{setting_key}`: {setting_why}.",
    "TIL what '{short_error}' really points at in {tech}: most of the time it is the {noun}, "
    "not the code around it.",
)

ONE_LINERS = {
    "bug": (
        "{Noun} {symptom} {trigger}; fixed by setting `{setting_key}` to `{setting_value}`.",
        "If the {tech} {noun} {symptom} {trigger}, check `{setting_key}` first.",
    ),
    "pattern": (
        "To {task}, use `{command}` behind one helper.",
        "We always {task} through one wrapper around `{command}`.",
    ),
    "decision": (
        "We use {tech} rather than {alt} for {area}.",
        "For {area}: {tech}, not {alt}. Revisit if the {noun} becomes a problem.",
    ),
    "pitfall": ("{Gotcha}.", "Careful with {tech}: {gotcha}."),
    "config": (
        "{tech}: `{setting_key} = {setting_value}` ({setting_why}).",
        "Set `{setting_key}` to `{setting_value}` in {tech}: {setting_why}.",
    ),
    "reference": ("{tech}: `{command}` to {task}.", "`{command}` ({task})"),
    "snippet": ("`{command}`", "{Task}: `{command}`"),
    "til": ("TIL {gotcha}.", "Learned today: {gotcha}."),
}
