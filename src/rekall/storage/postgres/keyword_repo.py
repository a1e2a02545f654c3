"""Keyword search on PostgreSQL: a weighted tsvector with a GIN index, filters in the query."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rekall.core.entries import EntryFilter
from rekall.core.results import HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN
from rekall.storage.fts_repo import (
    DOCUMENT_COUNT_CAP,
    EntryFields,
    KeywordHit,
    KeywordQuery,
    typed_stand_ins,
)
from rekall.storage.postgres.entries_repo import filter_clause
from rekall.storage.postgres.schema import TS_CONFIG, words

# Weights for {D, C, B, A} = content, project, tags, title: the SQLite BM25 weights scaled.
RANK_WEIGHTS = "{0.1, 0.2, 0.5, 1.0}"
HEADLINE_OPTIONS = (
    f"StartSel={HIGHLIGHT_OPEN}, StopSel={HIGHLIGHT_CLOSE}, MaxWords=16, MinWords=6, "
    "ShortWord=2, MaxFragments=1, FragmentDelimiter=…"
)


def phrase_queries(query: KeywordQuery) -> list[tuple[str, str]]:
    """One tsquery SQL expression and its parameter per phrase, matched as adjacent words."""
    parts: list[tuple[str, str]] = []
    for index, phrase in enumerate(query.phrases):
        if query.prefix_last and index == len(query.phrases) - 1:
            # Tokens are letters and digits only, so quoting them needs no escaping.
            head = "".join(f"'{token}' <-> " for token in phrase[:-1])
            forms = [f"{head}'{phrase[-1]}':*"]
            forms += [f"{head}'{form}'" for form in typed_stand_ins(phrase[-1])]
            parts.append((f"to_tsquery('{TS_CONFIG}', %s)", "(" + " | ".join(forms) + ")"))
        else:
            parts.append((f"phraseto_tsquery('{TS_CONFIG}', %s)", " ".join(phrase)))
    return parts


def tsquery(query: KeywordQuery) -> tuple[str, list[str]]:
    """A tsquery SQL expression joining the phrases, and its parameters."""
    parts = phrase_queries(query)
    joiner = " && " if query.require_all else " || "
    return "(" + joiner.join(sql for sql, _ in parts) + ")", [param for _, param in parts]


def document_counts(conn: Any, query: KeywordQuery) -> tuple[list[int], int]:
    """How many entries hold each phrase (counting stops at DOCUMENT_COUNT_CAP), and how many
    entries there are, in one statement."""
    parts = phrase_queries(query)
    counts = "".join(
        f"(SELECT count(*) FROM (SELECT 1 FROM entries WHERE search @@ {sql} LIMIT %s) c), "
        for sql, _ in parts
    )
    row = conn.execute(
        f"SELECT {counts}(SELECT count(*) FROM entries)",
        [value for _, param in parts for value in (param, DOCUMENT_COUNT_CAP)],
    ).fetchone()
    return [int(value) for value in row[:-1]], int(row[-1])


def entry_fields(conn: Any, seqs: Sequence[int]) -> dict[int, EntryFields]:
    """Title, tags, content and context keys of the given entries, by seq."""
    rows = conn.execute(
        "SELECT seq, title, tags_text, content, context_keys FROM entries WHERE seq = ANY(%s)",
        [list(seqs)],
    ).fetchall()
    return {
        int(row[0]): EntryFields(str(row[1]), str(row[2]), str(row[3]), str(row[4])) for row in rows
    }


def search_phrases(
    conn: Any, query: KeywordQuery, filters: EntryFilter, limit: int
) -> list[KeywordHit]:
    """Best matches of a KeywordQuery, best first; bm25 holds minus the rank (lower: better)."""
    if not query.phrases:
        return []
    expression, params = tsquery(query)
    every, every_params = tsquery(KeywordQuery(query.phrases, True, query.prefix_last))
    clause, filter_params = filter_clause(filters)
    # Entries whose context's errors, keywords or files hold every term come first, as on
    # SQLite; the headline is costly, so it is computed for the top rows only.
    rows = conn.execute(
        f"WITH q AS (SELECT {expression} AS query, {every} AS every), "
        f"top AS (SELECT e.seq, e.content, ts_rank_cd('{RANK_WEIGHTS}', e.search, q.query) "
        f"AS rank, (e.context_keys <> '' AND {words('e.context_keys')} @@ q.every) AS in_context "
        f"FROM entries e, q WHERE e.search @@ q.query{clause} "
        "ORDER BY in_context DESC, rank DESC, e.seq LIMIT %s) "
        f"SELECT top.seq, top.rank, ts_headline('{TS_CONFIG}', top.content, q.query, %s), "
        "top.in_context FROM top, q ORDER BY top.in_context DESC, top.rank DESC, top.seq",
        [*params, *every_params, *filter_params, limit, HEADLINE_OPTIONS],
    ).fetchall()
    return [KeywordHit(int(r[0]), -float(r[1]), _snippet(str(r[2])), bool(r[3])) for r in rows]


def _snippet(text: str) -> str:
    # Without a match in the content the headline is its start: one line is enough.
    return " ".join(text.split())
