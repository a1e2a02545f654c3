"""Title templates per entry type; the slots are filled from a topic's facts."""

from __future__ import annotations

TITLES: dict[str, tuple[str, ...]] = {
    "bug": (
        "{tech}: {short_error}",
        "{short_error} {trigger}",
        "{tech} {noun} {symptom} {trigger}",
        "{Noun} {symptom} in {env}",
        "'{short_error}' in {env}",
        "{tech} {noun} {symptom} after switching from {alt}",
        "Intermittent '{short_error}' from the {noun}",
        "{Noun} {symptom} {trigger} ({tech})",
        "Fixed: {noun} {symptom} in {env}",
        "{tech} {symptom} {trigger}",
        "{project_label}{short_error}",
        "Why the {tech} {noun} {symptom} {trigger}",
    ),
    "pattern": (
        "{Task} in {tech}",
        "Pattern: {task} with {tech}",
        "How we {task} ({tech})",
        "{tech} {noun}: the pattern we use for {area}",
        "{Task} without touching the {noun}",
        "Reusable {tech} {noun} setup for {area}",
        "Wrapping the {tech} {noun} for {area}",
        "A safe way to {task}{qualifier}",
        "{project_label}{Task} the same way everywhere",
    ),
    "decision": (
        "Use {tech} instead of {alt} for {area}",
        "ADR: {tech} over {alt} for the {noun}",
        "Why we picked {tech} for {area}",
        "Decision: keep {tech}, drop {alt} in {area}",
        "Standardise on the {tech} {noun} for {area}",
        "Stay on {tech} for {area} (revisit next quarter)",
        "Move {area} from {alt} to {tech}",
        "{project_label}{tech} vs {alt} for {area}",
    ),
    "pitfall": (
        "{Gotcha}",
        "{tech}: {gotcha}",
        "Pitfall: {gotcha}",
        "Watch out in {env}: {gotcha}",
        "{tech} {noun} gotcha: {gotcha}",
        "Don't trust the {noun} blindly: {gotcha}",
        "{project_label}{Gotcha}",
    ),
    "config": (
        "{tech} {setting_key} for {env}",
        "Our {tech} config for {area}",
        "Tuning {setting_key} in {tech}",
        "{tech} settings: {setting_key} = {setting_value}",
        "Recommended {tech} {noun} config ({env})",
        "Baseline {tech} config for {env}",
        "{project_label}{tech} config: {setting_key} and friends",
    ),
    "reference": (
        "{tech} {noun} cheat sheet",
        "{tech} commands I keep looking up ({noun})",
        "{tech} reference: {noun}",
        "How {tech} handles the {noun}",
        "{tech} {noun}: flags and defaults",
        "Quick reference: {task} in {tech}",
        "{tech} {noun} errors and what they mean",
        "{tech} {noun} notes for {area}",
    ),
    "snippet": (
        "{Task}{qualifier}",
        "{tech}: {task}{qualifier}",
        "Snippet: {task} ({tech})",
        "One-liner to {task}",
        "{Task} with {tech}{qualifier}",
        "{project_label}{Task}",
    ),
    "til": (
        "TIL how to {task} in {tech}",
        "TIL {gotcha}",
        "TIL what '{short_error}' actually means",
        "Today I learned: {gotcha}",
        "TIL: {tech} can {task}{qualifier}",
        "TIL the {tech} {noun} has a setting called {setting_key}",
    ),
}

# Which of phrases.TIL_OPENERS (gotcha, task, setting, error) matches each TIL title above.
TIL_OPENER_FOR_TITLE = (1, 0, 3, 0, 1, 2)
