"""SQL for keyword search over the FTS5 index, ranked by BM25."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from rekall.core.entries import EntryFilter
from rekall.core.results import HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN
from rekall.storage.entries_repo import filter_clause, passes_every_entry

# Column weights for bm25(), in schema.FTS_COLUMNS order: a word in the title or tags says
# more than one in the body. An error message, trigger keyword or file path of the context
# weighs a little less than a tag: the context tier (keyword_context) already puts an entry
# whose context holds the whole query first, and at 8 an error message sharing one word
# ("runner") with a question outranked its answer (decision 006).
BM25_WEIGHTS = "10.0, 1.0, 5.0, 2.0, 4.0, 1.0"


@dataclass(frozen=True)
class KeywordQuery:
    """The keyword side of a search, backend-neutral: phrases of lowercase word tokens.

    require_all: every phrase must match (AND), else any (OR); prefix_last: the last phrase
    may end with a prefix of a word, for search as you type.
    """

    phrases: tuple[tuple[str, ...], ...]
    require_all: bool = False
    prefix_last: bool = False


@dataclass(frozen=True)
class KeywordHit:
    """One FTS5 match: BM25 is negative, and more negative means a better match."""

    seq: int
    bm25: float
    snippet: str
    in_context: bool = False  # every term is among the entry's errors, keywords or files


def keyword_search(
    conn: sqlite3.Connection,
    match: str,
    filters: EntryFilter,
    limit: int,
    context_match: str | None = None,
) -> list[KeywordHit]:
    """Run an already-escaped FTS5 MATCH expression; best matches first.

    Entries that also match context_match (the terms within the context's error messages,
    trigger keywords and files) come first: BM25 saturates term frequency, so no column
    weight can make a declared error message outrank a title that shares one word with it.
    """
    # Joining entries only to check a status every entry has read each matching row (3 of
    # 5 ms for 2,000 matches at 10K).
    clause, params = "", list[Any]()
    source = "entries_fts"
    if not passes_every_entry(conn, filters):
        clause, params = filter_clause(filters)
        source = "entries_fts JOIN entries e ON e.seq = entries_fts.rowid"
    tier = "0"
    tier_params: list[str] = []
    if context_match is not None:
        tier = "entries_fts.rowid IN (SELECT rowid FROM entries_fts WHERE entries_fts MATCH ?)"
        tier_params = [context_match]
    rows = conn.execute(
        f"SELECT entries_fts.rowid, bm25(entries_fts, {BM25_WEIGHTS}) AS rank, "
        f"{tier} AS in_context FROM {source} "
        f"WHERE entries_fts MATCH ?{clause} ORDER BY in_context DESC, rank LIMIT ?",
        [*tier_params, match, *params, limit],
    ).fetchall()
    snippets = _snippets(conn, match, [int(r[0]) for r in rows])
    return [
        KeywordHit(int(r[0]), float(r[1]), snippets.get(int(r[0]), ""), bool(r[2])) for r in rows
    ]


def _snippets(conn: sqlite3.Connection, match: str, seqs: list[int]) -> dict[int, str]:
    """Snippets of the given matches only: computed in the ranking query, they were made for
    every match before the LIMIT (7 of 14 ms for a query matching 2,000 of 10K entries)."""
    if not seqs:
        return {}
    rows = conn.execute(
        f"SELECT rowid, snippet(entries_fts, -1, '{HIGHLIGHT_OPEN}', '{HIGHLIGHT_CLOSE}', '…', 16) "
        f"FROM entries_fts WHERE entries_fts MATCH ? AND rowid IN ({', '.join('?' * len(seqs))})",
        [match, *seqs],
    )
    return {int(row[0]): str(row[1]) for row in rows}


def search_phrases(
    conn: sqlite3.Connection, query: KeywordQuery, filters: EntryFilter, limit: int
) -> list[KeywordHit]:
    """Best matches of a KeywordQuery; [] when it has no phrase."""
    if not query.phrases:
        return []
    # Every phrase is quoted, so nothing in it is ever parsed as FTS5 query syntax.
    parts = ['"' + " ".join(phrase) + '"' for phrase in query.phrases]
    if query.prefix_last:
        parts[-1] += "*"
    match = (" AND " if query.require_all else " OR ").join(parts)
    # Entries whose context's errors, keywords or files hold every term come first.
    context_match = " AND ".join(f"{{context_keys}} : {part}" for part in parts)
    return keyword_search(conn, match, filters, limit, context_match)


def rebuild_fts(conn: sqlite3.Connection) -> None:
    """Rebuild the FTS5 index from the entries table."""
    conn.execute("INSERT INTO entries_fts (entries_fts) VALUES ('rebuild')")


def check_fts(conn: sqlite3.Connection) -> None:
    """Raise sqlite3.DatabaseError if the FTS5 index disagrees with the entries table."""
    conn.execute("INSERT INTO entries_fts (entries_fts, rank) VALUES ('integrity-check', 1)")
