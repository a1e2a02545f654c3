"""SQL for keyword search over the FTS5 index: BM25 ranking, term rarity, matched fields."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, NamedTuple

from rekall.core.entries import EntryFilter
from rekall.core.results import HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN
from rekall.storage.entries_repo import filter_clause, passes_every_entry
from rekall.storage.rows import chunked, marks

# bm25() column weights, in schema.FTS_COLUMNS order: a word in the title or tags says more
# than one in the body. An error message, trigger keyword or file path of the context weighs a
# little less than a tag: the context tier already puts an entry whose context holds the whole
# query first, and at 8 an error message sharing one word ("runner") with a question
# outranked its answer (decision 006).
BM25_COLUMN_WEIGHTS = {
    "title": 10.0,
    "content": 1.0,
    "tags_text": 5.0,
    "project": 2.0,
    "context_keys": 4.0,
    "context_story": 1.0,
}
_BM25_WEIGHTS = ", ".join(str(w) for w in BM25_COLUMN_WEIGHTS.values())
_BM25_RANK = f"bm25({_BM25_WEIGHTS})"  # as FTS5's rank function: the table is implied
_BM25 = f"bm25(entries_fts, {_BM25_WEIGHTS})"
_SNIPPET = f"snippet(entries_fts, -1, '{HIGHLIGHT_OPEN}', '{HIGHLIGHT_CLOSE}', '…', 16)"
# Counting the entries that hold a term stops here: past it a term is common anyway.
DOCUMENT_COUNT_CAP = 5000
# A word being typed may run this many characters past its stem (connecti-on: connect).
STEM_SLACK = 3
MIN_STAND_IN = 5
STEMMED_SUFFIXES = (
    "ing", "ion", "ation", "ational", "ment", "ness", "ive", "ize", "ise", "able", "ible",
    "al", "ally", "ful", "ous", "ity", "ism", "ist", "ance", "ence", "ant", "ent", "ic",
    "ical", "er", "ed", "es", "ies", "ly",
)  # fmt: skip


class KeywordQuery(NamedTuple):
    """The keyword side of a search, backend-neutral: phrases of lowercase word tokens.

    require_all: every phrase must match (AND), else any (OR); prefix_last: the last phrase
    may end with a prefix of a word, for search as you type. typed_found: whether an entry
    holds a word that prefix begins, when a backend found out already (None: not known), so
    the search need not ask again.
    """

    phrases: tuple[tuple[str, ...], ...]
    require_all: bool = False
    prefix_last: bool = False
    typed_found: bool | None = None


class KeywordHit(NamedTuple):
    """One FTS5 match: BM25 is negative, and more negative means a better match."""

    seq: int
    bm25: float
    snippet: str
    in_context: bool = False  # every term is among the entry's errors, keywords or files


class EntryFields(NamedTuple):
    """The searchable fields of one entry, to see where each term matched."""

    title: str
    tags: str
    content: str
    context: str  # the context's error messages, trigger keywords and files


def keyword_search(
    conn: sqlite3.Connection,
    match: str,
    filters: EntryFilter,
    limit: int,
    context_match: str | None = None,
    snippets: bool = True,
) -> list[KeywordHit]:
    """Run an already-escaped FTS5 MATCH expression; best matches first.

    Entries that match context_match (the terms within the context's error messages,
    trigger keywords and files) come first: BM25 saturates term frequency, so no column
    weight can make a declared error message outrank a title that shares one word with it.
    Without snippets the hits' snippets are empty (see snippets()).
    """
    # Joining entries only to check a status every entry has read each matching row (3 of
    # 5 ms for 2,000 matches at 10K).
    where: tuple[str, str, list[Any]] = ("entries_fts", "", [])
    if not passes_every_entry(conn, filters):
        clause, params = filter_clause(filters)
        where = ("entries_fts JOIN entries e ON e.seq = entries_fts.rowid", clause, params)
    first = _ranked(conn, context_match, where, limit, True, snippets) if context_match else []
    seen = {hit.seq for hit in first}
    rest = [
        hit for hit in _ranked(conn, match, where, limit, False, snippets) if hit.seq not in seen
    ]
    return (first + rest)[:limit]


def _ranked(
    conn: sqlite3.Connection,
    match: str,
    where: tuple[str, str, list[Any]],
    limit: int,
    in_context: bool,
    snippets: bool = True,
) -> list[KeywordHit]:
    """Ranking through FTS5's own rank column makes snippets for the returned rows only (4x
    faster on common words), but FTS5 then sorts every match. Without snippets, bm25() in
    the ORDER BY lets SQLite keep only the best `limit` rows as it goes (-1 ms for ~1,600
    matches at 10K). FTS5 sorts ties by rowid, which the second key keeps: both give the
    same rows in the same order. where: the tables, the filter clause and its parameters."""
    source, clause, params = where
    if snippets:
        select = f"entries_fts.rowid, entries_fts.rank, {_SNIPPET}"
        ranked = f" AND entries_fts.rank MATCH '{_BM25_RANK}'"
        order = "entries_fts.rank"
    else:
        select = f"entries_fts.rowid, {_BM25} AS score, ''"
        ranked, order = "", "score, entries_fts.rowid"
    rows = conn.execute(
        f"SELECT {select} FROM {source} "
        f"WHERE entries_fts MATCH ?{ranked}{clause} ORDER BY {order} LIMIT ?",
        [match, *params, limit],
    ).fetchall()
    return [KeywordHit(int(r[0]), float(r[1]), str(r[2]), in_context) for r in rows]


def document_counts(conn: sqlite3.Connection, query: KeywordQuery) -> tuple[list[int], int]:
    """How many entries hold each phrase (counting stops at DOCUMENT_COUNT_CAP), and how many
    entries there are, in one statement."""
    parts = _quoted(conn, query)
    count = "(SELECT count(*) FROM (SELECT 1 FROM entries_fts WHERE entries_fts MATCH ? LIMIT ?))"
    row = conn.execute(
        "SELECT " + "".join(f"{count}, " for _ in parts) + "(SELECT count(*) FROM entries)",
        [value for part in parts for value in (part, DOCUMENT_COUNT_CAP)],
    ).fetchone()
    return [int(value) for value in row[:-1]], int(row[-1])


def entry_fields(conn: sqlite3.Connection, seqs: Sequence[int]) -> dict[int, EntryFields]:
    """Title, tags, content and context keys of the given entries, by seq."""
    found: dict[int, EntryFields] = {}
    for chunk in chunked(seqs):
        rows = conn.execute(
            f"SELECT seq, title, tags_text, content, context_keys FROM entries "
            f"WHERE seq IN ({marks(chunk)})",
            chunk,
        ).fetchall()
        for row in rows:
            found[int(row[0])] = EntryFields(str(row[1]), str(row[2]), str(row[3]), str(row[4]))
    return found


def typed_stand_ins(token: str) -> list[str]:
    """Shorter forms of a word being typed, to match as whole words, longest first.

    Both backends index word stems ("connection" as "connect"), and a word still being typed
    can run past its stem ("connecti"), so no indexed stem starts with it. Its shorter
    prefixes, stemmed as the index stems words, find it: "connect" matches "connection".
    They are tried only when no entry holds a word the typed one begins: a finished word
    finds itself, and its shorter forms would only add other words.
    """
    shortest = max(MIN_STAND_IN, len(token) - STEM_SLACK)
    return [
        token[:size]
        for size in range(len(token) - 1, shortest - 1, -1)
        # What the stem leaves out is the start of a suffix the stemmer removes ("connect"
        # + "i"-on), never any letters ("postgres" + "zzz" is a different word).
        if any(suffix.startswith(token[size:]) for suffix in STEMMED_SUFFIXES)
    ]


def _quoted(conn: sqlite3.Connection, query: KeywordQuery) -> list[str]:
    # Every phrase is quoted, so nothing in it is ever parsed as FTS5 query syntax.
    parts = ['"' + " ".join(phrase) + '"' for phrase in query.phrases]
    if query.prefix_last and parts:
        parts[-1] += "*"
        *head, last = query.phrases[-1]
        forms = ['"' + " ".join((*head, form)) + '"' for form in typed_stand_ins(last)]
        if forms and not _matches_any(conn, parts[-1]):
            parts[-1] = "(" + " OR ".join([parts[-1], *forms]) + ")"
    return parts


def _matches_any(conn: sqlite3.Connection, match: str) -> bool:
    found = conn.execute("SELECT 1 FROM entries_fts WHERE entries_fts MATCH ? LIMIT 1", [match])
    return found.fetchone() is not None


def search_phrases(
    conn: sqlite3.Connection,
    query: KeywordQuery,
    filters: EntryFilter,
    limit: int,
    counts: tuple[list[int], int] | None = None,
    snippets: bool = True,
) -> list[KeywordHit]:
    """Best matches of a KeywordQuery; [] when it has no phrase. FTS5 weighs by its own
    statistics: counts (the contract's) are not needed. Without snippets the hits' snippets
    are empty: hybrid search shows a fifth of its candidates and asks for theirs with
    snippets()."""
    if not query.phrases:
        return []
    match, context_match = _matches(conn, query)
    return keyword_search(conn, match, filters, limit, context_match, snippets)


def snippets(
    conn: sqlite3.Connection,
    query: KeywordQuery,
    seqs: Sequence[int],
    in_context: Sequence[int] = (),
) -> dict[int, str]:
    """The snippets search_phrases() would have given these hits, by seq: those in in_context
    were found by the query within their context (errors, keywords, files), the others by
    the query as a whole. A snippet depends only on the row and the MATCH expression."""
    match, context_match = _matches(conn, query)
    made: dict[int, str] = {}
    for expression, rows in [(match, seqs), (context_match, in_context)]:
        for chunk in chunked(rows):
            # "+rowid": one pass over the matches, testing each rowid; FTS5 otherwise looks
            # each rowid up with the whole query again (0.77 against 0.34 ms for 10 at 10K).
            made.update(
                (int(row[0]), str(row[1]))
                for row in conn.execute(
                    f"SELECT rowid, {_SNIPPET} FROM entries_fts "
                    f"WHERE entries_fts MATCH ? AND +rowid IN ({marks(chunk)})",
                    [expression, *chunk],
                )
            )
    return made


def _matches(conn: sqlite3.Connection, query: KeywordQuery) -> tuple[str, str]:
    """The query's MATCH expression, and the one matching every term within the context."""
    parts = _quoted(conn, query)
    match = (" AND " if query.require_all else " OR ").join(parts)
    # Entries whose context's errors, keywords or files hold every term come first.
    return match, " AND ".join(f"{{context_keys}} : {part}" for part in parts)


def rebuild_fts(conn: sqlite3.Connection) -> None:
    """Rebuild the FTS5 index from the entries table."""
    conn.execute("INSERT INTO entries_fts (entries_fts) VALUES ('rebuild')")


def check_fts(conn: sqlite3.Connection) -> None:
    """Raise sqlite3.DatabaseError if the FTS5 index disagrees with the entries table."""
    conn.execute("INSERT INTO entries_fts (entries_fts, rank) VALUES ('integrity-check', 1)")
