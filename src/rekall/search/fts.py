"""Turning any text a person types into a safe FTS5 query: terms, stop words, identifiers."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_TERMS = 64
# Letters and digits only, as FTS5's unicode61 tokenizer sees them: '_' splits too.
_TOKEN = re.compile(r"[^\W_]+")
_CAMEL = re.compile(r"[a-z][A-Z]")
# Common English words that carry no search intent; dropped from the keyword side.
_STOP_WORDS_TEXT = """
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing don down during each few for from
further get got had has have having he her here hers how i if in into is it its itself
just keep keeps let me more most my myself no nor not now of off on once only or other our
out over own same she should so some still such than that the their them then there these
they this those through to too under until up very want was way we were what when where
which while who whom why will with without would you your yours
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


@dataclass(frozen=True)
class Term:
    """One word or punctuation-joined phrase (node.js, ERR_REQUIRE_ESM) from the query."""

    tokens: tuple[str, ...]
    is_identifier: bool

    @property
    def is_stop_word(self) -> bool:
        return len(self.tokens) == 1 and self.tokens[0].lower() in STOP_WORDS

    def as_fts(self, prefix: bool = False) -> str:
        phrase = '"' + " ".join(self.tokens) + '"'
        return phrase + "*" if prefix else phrase


def looks_like_identifier(chunk: str) -> bool:
    """True for code-ish words a developer pastes: ENOSPC, useEffect, os.replace, --no-deps."""
    core = chunk.strip("\"'`()[]{}<>,;:!?")
    if len(core) < 2:
        return False
    if any(sep in core.strip(".-") for sep in "._/:=-") or core.startswith("--"):
        return bool(_TOKEN.search(core))
    if _CAMEL.search(core) or (any(c.isdigit() for c in core) and any(c.isalpha() for c in core)):
        return True
    letters = [c for c in core if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters)


def extract_terms(text: str, max_terms: int = MAX_TERMS) -> list[Term]:
    """Split text on whitespace into distinct terms, at most max_terms, in order."""
    terms: list[Term] = []
    seen: set[tuple[str, ...]] = set()
    for chunk in text.split():
        tokens = tuple(token.lower() for token in _TOKEN.findall(chunk))
        if not tokens or tokens in seen:
            continue
        seen.add(tokens)
        terms.append(Term(tokens, looks_like_identifier(chunk)))
        if len(terms) >= max_terms:
            break
    return terms


def content_terms(terms: list[Term]) -> list[Term]:
    """The terms without stop words; all of them when the query is only stop words."""
    kept = [term for term in terms if not term.is_stop_word]
    return kept or terms


def build_match(
    terms: list[Term], operator: str = "OR", prefix_last: bool = False, column: str | None = None
) -> str | None:
    """An FTS5 MATCH expression joining quoted terms; None when there is nothing to match.

    Every term is quoted, so punctuation, quotes and FTS5 operators in user text are
    matched as words and never parsed as query syntax. column limits each term to one column.
    """
    if not terms:
        return None
    parts = [term.as_fts() for term in terms]
    if prefix_last:
        parts[-1] = terms[-1].as_fts(prefix=True)
    if column is not None:
        parts = [f"{{{column}}} : {part}" for part in parts]
    return f" {operator} ".join(parts)
