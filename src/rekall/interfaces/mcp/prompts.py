"""MCP prompts: guides a client offers the user, to record a solved problem and to look first."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field, create_model


def record_solution(
    topic: Annotated[
        str, Field(description="what was solved or decided, in a few words (optional)")
    ] = "",
) -> str:
    """At the end of a task: record the problem just solved, with its context."""
    about = f" about {topic.strip()}" if topic.strip() else ""
    return f"""\
We just solved a problem{about}. Record it in Rekall so it is found the next time it appears:

1. Search first (search_entries with the main error message, or the problem in a few words).
   If an entry already covers it, improve that one with update_entry instead of adding another.
2. Otherwise call add_entry with:
   - type: bug for a fixed defect, pitfall, pattern, decision, config, snippet or til;
   - title: the symptom the way someone would search for it;
   - content: Markdown with the cause and the fix (code in fenced blocks);
   - tags and project;
   - context: situation (what was happening), solution (what fixed it), what_failed (what
     was tried and did not work), error_messages (each exact error text, copied verbatim),
     trigger_keywords (short words that should bring it back), files_modified (paths).
3. If add_entry reports similar existing entries, link them with link_entries.
Keep it short and factual; leave out anything secret (tokens, passwords, personal data)."""


def search_first(
    error: Annotated[str, Field(description="the error message or symptom, as it appeared")],
) -> str:
    """When an error appears: look in Rekall before solving it from scratch."""
    return f"""\
This error just appeared:

{error.strip()}

Before working on a fix, check whether it was solved before:
1. Call search_entries with the exact error text (mode keyword matches recorded error
   messages, file paths and identifiers exactly; the default hybrid also matches meaning).
2. If nothing fits, search again with the problem in plain words.
3. Read a promising hit with get_entry: its context gives the situation, the fix and what
   failed before. Apply it if it fits, and say which entry it came from.
4. If this turns out to be new, solve it, then record it with its context (the
   record_solution prompt describes how)."""


@dataclass(frozen=True)
class PromptSpec:
    """A prompt: its name, title and the function that writes its text."""

    name: str
    title: str
    render: Callable[..., str]

    @property
    def description(self) -> str:
        return inspect.cleandoc(self.render.__doc__ or "")

    def arguments(self) -> list[dict[str, Any]]:
        """The arguments as a prompts/list answer shows them."""
        schema = argument_model(self.render).model_json_schema()
        required = set(schema.get("required", []))
        return [
            {"name": name, "description": field.get("description"), "required": name in required}
            for name, field in schema.get("properties", {}).items()
        ]


def argument_model(render: Callable[..., str]) -> Any:
    """A pydantic model of a prompt function's arguments (as the SDK derives it)."""
    fields: dict[str, Any] = {
        param.name: (
            param.annotation
            if param.default is inspect.Parameter.empty
            else (param.annotation, param.default)
        )
        for param in inspect.signature(render, eval_str=True).parameters.values()
    }
    return create_model(f"{render.__name__}Arguments", **fields)


PROMPTS = (
    PromptSpec("record_solution", "Record what was just solved", record_solution),
    PromptSpec("search_first", "Search Rekall for this error first", search_first),
)
