"""The preview pane beside the list on wide terminals: the entry under the cursor at a glance."""

from __future__ import annotations

import re

from rich.text import Text
from textual.widgets import Static

from rekall.core.entries import Entry
from rekall.core.results import HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN, SearchResult

# The pane shows from this many terminal columns up (the list keeps 80 at 120).
PREVIEW_MIN_WIDTH = 120
CONTENT_CHARS = 600
MARK = "reverse"
# What a score means, in a few words (the full wording is in SCORE_MEANINGS).
SCORE_WORDS = {
    "keyword": "keyword relevance, higher is better",
    "semantic": "similarity of meaning, 0 to 1",
    "hybrid": "fused rank score, higher is better",
}


def marked_snippet(snippet: str) -> Text:
    """A search snippet with its matched words highlighted (the markers removed)."""
    text = Text()
    for n, part in enumerate(
        snippet.replace(HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN).split(HIGHLIGHT_OPEN)
    ):
        text.append(part, style=MARK if n % 2 else "")
    return text


def marked_words(content: str, query: str) -> Text:
    """content with every word of query (3+ letters, any case) highlighted."""
    text = Text(content)
    words = [re.escape(word) for word in re.findall(r"\w{3,}", query)]
    if words:
        text.highlight_regex(re.compile("|".join(words), re.IGNORECASE), MARK)
    return text


def preview_text(entry: Entry, result: SearchResult | None, query: str, mode: str) -> Text:
    """Title, facts, the score when found by a search, then the snippet or the content."""
    text = Text(entry.title, style="bold")
    facts = [entry.type, entry.status, f"tags: {', '.join(entry.tags) or 'none'}"]
    if entry.project:
        facts.append(f"project {entry.project}")
    text.append("\n" + " · ".join(facts) + "\n", style="dim")
    if result is not None:
        text.append(f"score {result.score:.3f} ({SCORE_WORDS.get(mode, mode)})\n", style="dim")
    text.append("\n")
    if result is not None and HIGHLIGHT_OPEN in result.snippet:
        text.append_text(marked_snippet(result.snippet))
        text.append("\n\n")
    content = entry.content[:CONTENT_CHARS] + ("…" if len(entry.content) > CONTENT_CHARS else "")
    text.append_text(marked_words(content, query) if query else Text(content))
    return text


class Preview(Static):
    """The highlighted entry; hidden below PREVIEW_MIN_WIDTH columns."""

    def __init__(self) -> None:
        super().__init__("", id="preview")
        self.text = Text()

    def show(self, entry: Entry | None, result: SearchResult | None, query: str, mode: str) -> None:
        self.text = preview_text(entry, result, query, mode) if entry else Text()
        self.update(self.text)
