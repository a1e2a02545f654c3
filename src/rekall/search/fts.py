"""Turning any text a person types into keyword terms: stop words, identifiers, prefixes."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import NamedTuple

MAX_TERMS = 64
# Search as you type: the last word is a prefix once it has this many characters.
MIN_PREFIX_CHARS = 3
# Letters and digits only, as FTS5's unicode61 tokenizer sees them: '_' splits too.
_TOKEN = re.compile(r"[^\W_]+")
# A capital after a lower-case letter (useEffect) or inside a capital run (OOMKilled).
_MIXED_CASE = re.compile(r"[a-z][A-Z]|[A-Z]{2}[a-z]")
# All-capital words this short are acronyms (API, CORS, HTTP), not error names (ENOSPC).
MIN_CAPITAL_IDENTIFIER = 5
# Combining marks (diacritics) left by NFKD decomposition: é becomes e + U+0301.
_COMBINING = re.compile(
    "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u3099\u309a]"
)
_PUNCTUATION = "\"'`()[]{}<>,;:!?"
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


class Term(NamedTuple):
    """One word or punctuation-joined phrase (node.js, ERR_REQUIRE_ESM) from the query."""

    tokens: tuple[str, ...]
    is_identifier: bool
    prefix: bool = False
    word: str = ""  # as typed, for showing which words matched

    @property
    def is_stop_word(self) -> bool:
        return len(self.tokens) == 1 and self.tokens[0].lower() in STOP_WORDS

    @property
    def text(self) -> str:
        return (self.word or " ".join(self.tokens)) + ("*" if self.prefix else "")

    def pattern(self, exact: bool = False) -> re.Pattern[str]:
        """Where this term occurs in folded text, token boundaries as FTS5 sees them.

        With exact, a prefix term only matches its whole word.
        """
        return _term_pattern(self.tokens, self.prefix and not exact)


@functools.lru_cache(maxsize=1024)
def _term_pattern(tokens: tuple[str, ...], open_end: bool) -> re.Pattern[str]:
    # Cached: hybrid search tries each term on every candidate entry.
    body = r"[\W_]+".join(re.escape(token) for token in tokens)
    return re.compile(r"(?<![^\W_])" + body + ("" if open_end else r"(?![^\W_])"))


def fold(text: str) -> str:
    """Lower-case text without diacritics, as FTS5's unicode61 tokenizer compares words."""
    if text.isascii():
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).lower()


def looks_like_identifier(chunk: str) -> bool:
    """True for code-ish words a developer pastes: ENOSPC, useEffect, os.replace, --no-deps.

    Not for acronyms (API, CORS), hyphenated words (read-only, 2-d, 64-bit) or abbreviations
    (e.g.).
    """
    core = chunk.strip(_PUNCTUATION)
    if len(core) < 2:
        return False
    if core.startswith("--") or (core.startswith("-") and core[1:2].isalpha()):
        return bool(_TOKEN.search(core))
    inner = core.strip(".-")
    if any(sep in inner for sep in "._/:="):
        tokens = _TOKEN.findall(inner)
        return len(tokens) >= 2 and any(len(t) >= 2 for t in tokens) and len(inner) >= 4
    # Digits with letters in one part (sha256, x86-64), not across a hyphen (2-d, 16-bit).
    if _MIXED_CASE.search(core) or any(_digits_and_letters(part) for part in core.split("-")):
        return True
    letters = [c for c in core if c.isalpha()]
    return len(letters) >= MIN_CAPITAL_IDENTIFIER and all(c.isupper() for c in letters)


def _digits_and_letters(part: str) -> bool:
    return any(c.isdigit() for c in part) and any(c.isalpha() for c in part)


def extract_terms(text: str, max_terms: int = MAX_TERMS) -> list[Term]:
    """Split text on whitespace into distinct terms, at most max_terms, in order."""
    terms: list[Term] = []
    seen: set[tuple[str, ...]] = set()
    for chunk in text.split():
        tokens = tuple(fold(token) for token in _TOKEN.findall(chunk))
        if not tokens or tokens in seen:
            continue
        seen.add(tokens)
        terms.append(Term(tokens, looks_like_identifier(chunk), word=chunk.strip(_PUNCTUATION)))
        if len(terms) >= max_terms:
            break
    return terms


def content_terms(terms: list[Term]) -> list[Term]:
    """The terms without stop words; all of them when the query is only stop words."""
    kept = [term for term in terms if not term.is_stop_word]
    return kept or terms


def typing_terms(text: str) -> list[Term]:
    """The content terms of text typed so far: its last word, still being typed, is a prefix.

    Only while the word is unfinished (no trailing space) and has MIN_PREFIX_CHARS or more,
    so `connecti` finds `connection` and `a` does not match half the base.
    """
    terms = extract_terms(text)
    if terms and text[-1:].isalnum() and len(terms[-1].tokens[-1]) >= MIN_PREFIX_CHARS:
        last = terms[-1]
        terms[-1] = Term(last.tokens, last.is_identifier, prefix=True, word=last.word)
    return content_terms(terms)
