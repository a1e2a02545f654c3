"""Keyword search on PostgreSQL: a weighted tsvector with a GIN index, filters in the query."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rekall.core.entries import EntryFilter
from rekall.core.results import HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN
from rekall.storage.fts_repo import KeywordHit, KeywordQuery
from rekall.storage.postgres.entries_repo import filter_clause
from rekall.storage.postgres.schema import TS_CONFIG, words

# Weights for {D, C, B, A} = content, project, tags, title: the SQLite BM25 weights scaled.
RANK_WEIGHTS = "{0.1, 0.2, 0.5, 1.0}"
HEADLINE_OPTIONS = (
    f"StartSel={HIGHLIGHT_OPEN}, StopSel={HIGHLIGHT_CLOSE}, MaxWords=16, MinWords=6, "
    "ShortWord=2, MaxFragments=1, FragmentDelimiter=…"
)


def tsquery(query: KeywordQuery) -> tuple[str, list[str]]:
    """A tsquery SQL expression and its parameters: each phrase matched as adjacent words."""
    parts: list[str] = []
    params: list[str] = []
    for index, phrase in enumerate(query.phrases):
        if query.prefix_last and index == len(query.phrases) - 1:
            # Tokens are letters and digits only, so quoting them needs no escaping.
            parts.append(f"to_tsquery('{TS_CONFIG}', %s)")
            params.append(" <-> ".join(f"'{token}'" for token in phrase) + ":*")
        else:
            parts.append(f"phraseto_tsquery('{TS_CONFIG}', %s)")
            params.append(" ".join(phrase))
    joiner = " && " if query.require_all else " || "
    return "(" + joiner.join(parts) + ")", params


def ranked(
    query: KeywordQuery,
    filters: EntryFilter,
    limit: int,
    name: str,
    unless: Sequence[str] = (),
    headline: bool = True,
) -> tuple[str, list[Any], str, list[Any]]:
    """The best matches of a query as SQL parts, each with its parameters: CTEs ({name}_q,
    {name}) holding the top rows, and a SELECT of (seq, rank, snippet, in_context) from them.
    unless names earlier CTEs: when any holds rows, this one is not searched at all. Without
    headline the snippets are empty (headlines cost more than the search: a caller that
    shows only some of the hits asks for theirs with headlines()).

    Entries whose context's errors, keywords or files hold every term come first, as on
    SQLite; the headline is costly, so it is computed for the top rows only.
    """
    expression, params = tsquery(query)
    every, every_params = tsquery(KeywordQuery(query.phrases, True, query.prefix_last))
    clause, filter_params = filter_clause(filters)
    clause += "".join(f" AND NOT EXISTS (SELECT 1 FROM {earlier})" for earlier in unless)
    ctes = (
        f"{name}_q AS (SELECT {expression} AS query, {every} AS every), "
        f"{name} AS (SELECT e.seq, e.content, ts_rank_cd('{RANK_WEIGHTS}', e.search, q.query) "
        f"AS rank, (e.context_keys <> '' AND {words('e.context_keys')} @@ q.every) AS in_context "
        f"FROM entries e, {name}_q q WHERE e.search @@ q.query{clause} "
        "ORDER BY in_context DESC, rank DESC, e.seq LIMIT %s)"
    )
    snippet = f"ts_headline('{TS_CONFIG}', t.content, q.query, %s)" if headline else "''"
    select = (
        f"SELECT t.seq, t.rank::float8 AS rank, {snippet} AS snippet, t.in_context "
        f"FROM {name} t, {name}_q q"
    )
    cte_params = [*params, *every_params, *filter_params, limit]
    return ctes, cte_params, select, [HEADLINE_OPTIONS] if headline else []


def headline_sql(query: KeywordQuery) -> tuple[str, list[Any]]:
    """An SQL expression highlighting the query's words in e.content, and its parameters."""
    expression, params = tsquery(query)
    return f"ts_headline('{TS_CONFIG}', e.content, {expression}, %s)", [*params, HEADLINE_OPTIONS]


def search_phrases(
    conn: Any, query: KeywordQuery, filters: EntryFilter, limit: int
) -> list[KeywordHit]:
    """Best matches of a KeywordQuery, best first; bm25 holds minus the rank (lower: better)."""
    if not query.phrases:
        return []
    ctes, params, select, select_params = ranked(query, filters, limit, "k")
    rows = conn.execute(
        f"WITH {ctes} {select} ORDER BY in_context DESC, rank DESC, seq", params + select_params
    ).fetchall()
    return [to_hit(row) for row in rows]


def to_hit(row: Any) -> KeywordHit:
    """A KeywordHit from a (seq, rank, snippet, in_context) row."""
    return KeywordHit(int(row[0]), -float(row[1]), one_line(str(row[2])), bool(row[3]))


def one_line(headline: str) -> str:
    """A headline on one line; without a match in the content it is the content's start."""
    return " ".join(headline.split())
