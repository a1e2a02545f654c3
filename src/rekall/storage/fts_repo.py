"""SQL for keyword search over the FTS5 index, ranked by BM25."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from rekall.core.entries import EntryFilter
from rekall.core.results import HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN
from rekall.storage.entries_repo import filter_clause

# Column weights for bm25(): a word in the title or tags says more than one in the body.
BM25_WEIGHTS = "10.0, 1.0, 5.0, 2.0"


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


def keyword_search(
    conn: sqlite3.Connection, match: str, filters: EntryFilter, limit: int
) -> list[KeywordHit]:
    """Run an already-escaped FTS5 MATCH expression; best matches first."""
    clause, params = filter_clause(filters)
    rows = conn.execute(
        f"SELECT e.seq, bm25(entries_fts, {BM25_WEIGHTS}) AS rank, "
        f"snippet(entries_fts, -1, '{HIGHLIGHT_OPEN}', '{HIGHLIGHT_CLOSE}', '…', 16) "
        "FROM entries_fts JOIN entries e ON e.seq = entries_fts.rowid "
        f"WHERE entries_fts MATCH ?{clause} ORDER BY rank LIMIT ?",
        [match, *params, limit],
    ).fetchall()
    return [KeywordHit(int(r[0]), float(r[1]), str(r[2])) for r in rows]


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
    return keyword_search(conn, match, filters, limit)


def rebuild_fts(conn: sqlite3.Connection) -> None:
    """Rebuild the FTS5 index from the entries table."""
    conn.execute("INSERT INTO entries_fts (entries_fts) VALUES ('rebuild')")


def check_fts(conn: sqlite3.Connection) -> None:
    """Raise sqlite3.DatabaseError if the FTS5 index disagrees with the entries table."""
    conn.execute("INSERT INTO entries_fts (entries_fts, rank) VALUES ('integrity-check', 1)")
