"""Keyword search on PostgreSQL: a weighted tsvector with a GIN index, filters in the query."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rekall.core.entries import EntryFilter
from rekall.storage.fts_repo import DOCUMENT_COUNT_CAP, EntryFields, KeywordHit, KeywordQuery
from rekall.storage.postgres.entries_repo import filter_clause
from rekall.storage.postgres.headlines import HEADLINE_OPTIONS, headline_of, one_line
from rekall.storage.postgres.keyword_bounds import (
    STATS_CTE,
    RankedList,
    bounded_lists,
    estimated_count,
    rows_to_rank,
)
from rekall.storage.postgres.schema_keyword import TS_CONFIG
from rekall.storage.postgres.typed_words import resolved, typed_count, typed_cte, typed_query

# Kept by a trigger (m003): counting the rows scanned the whole table on every search.
ENTRY_COUNT = "SELECT value FROM meta WHERE key = 'entries'"

# Weights for {D, C, B, A} = content, project, tags, title: SQLite's BM25 column weights
# over ten (ts_rank takes weights up to 1).
RANK_WEIGHTS = "{0.1, 0.2, 0.5, 1.0}"
# Keyword rank is BM25 as FTS5 computes it on SQLite: per phrase, its rarity times its
# field-weighted frequency in the row, saturated (K1) and set against the row's length
# (B). ts_rank of one phrase is that frequency: a title word once gives 1.0 / (pi^2 / 6),
# more occurrences add less and less; TF_SCALE makes it 10, FTS5's title weight. Ranking
# by ts_rank of the whole query instead weighed every word alike, and a common word in a
# title beat a rare one in the body: hand-written questions found 0.704 against SQLite's
# 0.850 (recall@10), 0.850 with this (docs/decisions/008).
K1, B = 1.2, 0.75
TF_SCALE = 10 * 1.6449340668
# A row's length is its number of distinct words (length() of the tsvector); their total
# over the table is kept in meta by a trigger (m007). In float8: an integer times 0.75 was
# numeric arithmetic, a tenth of the ranking's time (the same value: both are exact).
AVERAGE_LENGTH = (
    f"(SELECT value FROM meta WHERE key = 'search_words')::float8 / greatest(({ENTRY_COUNT}), 1)"
)
LENGTH_NORM = f"{K1} * (1 - {B} + {B} * length(e.search)::float8 / greatest(q.average, 1))"
# FTS5 floors a common word's inverse document frequency here rather than at zero or below.
MIN_RARITY = 1e-6


def phrase_queries(query: KeywordQuery) -> list[tuple[str, list[str]]]:
    """One tsquery SQL expression and its parameters per phrase, matched as adjacent words.

    A last phrase being typed matches as a prefix, or by its word's shorter forms when no
    entry holds a word it begins (typed_words.typed_query: unless the query says which, the
    statement must start WITH typed_words.typed_cte()).
    """
    parts: list[tuple[str, list[str]]] = []
    for index, phrase in enumerate(query.phrases):
        if query.prefix_last and index == len(query.phrases) - 1:
            parts.append(typed_query(query, phrase))
        else:
            parts.append((f"phraseto_tsquery('{TS_CONFIG}', %s)", [" ".join(phrase)]))
    return parts


def tsquery(query: KeywordQuery) -> tuple[str, list[str]]:
    """A tsquery SQL expression joining the phrases, and its parameters."""
    parts = phrase_queries(query)
    joiner = " && " if query.require_all else " || "
    return "(" + joiner.join(sql for sql, _ in parts) + ")", [p for _, ps in parts for p in ps]


@dataclass(frozen=True)
class WordCounts:
    """How many entries hold each phrase of a query, how many there are, and the query
    saying whether an entry holds its typed word's prefix (typed_words.resolved)."""

    counts: list[int]
    total: int
    query: KeywordQuery
    # The typed last phrase is one word the statistics list as common (its count theirs).
    typed_common: bool = False


def document_counts(conn: Any, query: KeywordQuery) -> tuple[list[int], int]:
    """How many entries hold each phrase, and how many entries there are (counted_words)."""
    found = counted_words(conn, query)
    return found.counts, found.total


def counted_words(conn: Any, query: KeywordQuery) -> WordCounts:
    """The word counts of a query in one statement: counting stops at DOCUMENT_COUNT_CAP;
    common words are estimated, without a cap (counted()); a typed last phrase is counted
    as a prefix, or by its shorter forms when no entry holds the prefix."""
    typed = query.prefix_last and bool(query.phrases)
    plain = query.phrases[:-1] if typed else query.phrases
    ctes, params, selects = STATS_CTE, [], []
    for phrase in plain:
        count, count_params = counted(
            phrase, f"phraseto_tsquery('{TS_CONFIG}', %s)", [" ".join(phrase)]
        )
        selects.append(count)
        params += count_params
    if typed:
        last = query.phrases[-1]
        estimate = estimated_count(last[0], ENTRY_COUNT) if len(last) == 1 else None
        cte, cte_params, columns, column_params = typed_count(query, capped, estimate)
        ctes += cte
        params = [*cte_params, *params, *column_params]
        selects.append(columns)
    row = conn.execute(
        f"WITH {ctes} SELECT {''.join(s + ', ' for s in selects)}({ENTRY_COUNT})", params
    ).fetchone()
    if not typed:
        return WordCounts([int(value) for value in row[:-1]], int(row[-1]), query)
    counts = [int(value) for value in row[:-3]]
    return WordCounts(counts, int(row[-1]), resolved(query, bool(row[-3])), bool(row[-2]))


def capped(sql: str, params: list[Any]) -> tuple[str, list[Any]]:
    """SQL counting the entries that match a tsquery SQL, up to DOCUMENT_COUNT_CAP."""
    count = f"(SELECT count(*) FROM (SELECT 1 FROM entries WHERE search @@ {sql} LIMIT %s) c)"
    return count, [*params, DOCUMENT_COUNT_CAP]


def counted(phrase: tuple[str, ...], sql: str, params: list[Any]) -> tuple[str, list[Any]]:
    """SQL for how many entries hold a phrase, and its parameters: a one-word phrase the
    statistics say is common is estimated (keyword_bounds), anything else counted."""
    count, count_params = capped(sql, params)
    if len(phrase) != 1:
        return count, count_params
    estimate, estimate_params = estimated_count(phrase[0], ENTRY_COUNT)
    return f"coalesce({estimate}, {count})", [*estimate_params, *count_params]


def entry_fields(conn: Any, seqs: Sequence[int]) -> dict[int, EntryFields]:
    """Title, tags, content and context keys of the given entries, by seq."""
    rows = conn.execute(
        "SELECT seq, title, tags_text, content, context_keys FROM entries WHERE seq = ANY(%s)",
        [list(seqs)],
    ).fetchall()
    return {
        int(row[0]): EntryFields(str(row[1]), str(row[2]), str(row[3]), str(row[4])) for row in rows
    }


def rarity(counts: Sequence[int], total: int) -> list[float]:
    """Each phrase's weight in the rank: BM25's inverse document frequency as SQLite's FTS5
    computes it, so a word most entries hold adds next to nothing (docs/decisions/008)."""
    # A restore with triggers off can leave meta's entry count below the rows that match.
    return [
        max(MIN_RARITY, math.log(max(total - count + 0.5, MIN_RARITY) / (count + 0.5)))
        for count in counts
    ]


def ranked(
    query: KeywordQuery,
    filters: EntryFilter,
    limit: int,
    name: str,
    weights: Sequence[float],
    headline: bool = True,
    within: Sequence[RankedList] | None = None,
) -> tuple[str, list[Any], str, list[Any]]:
    """The best matches of a query as SQL parts, each with its parameters: CTEs ({name}_q,
    {name}) holding the top rows, and a SELECT of (seq, rank, snippet, in_context) from them.
    Without headline the snippets are empty (headlines cost more than the search: a caller
    that shows only some of the hits asks for theirs with headlines()).

    A row's rank is the sum over the phrases of its weight (rarity()) times ts_rank of the
    phrase alone: field-weighted, saturating with repeats, as FTS5's BM25 on SQLite. Entries
    whose context's errors, keywords or files hold every term come first, as on SQLite; the
    headline is costly, so it is computed for the top rows only. within: the lists of rows
    to rank instead of every match (keyword_bounds.ranked_rows).
    """
    parts = phrase_queries(query)
    names = [f"p{index}" for index in range(len(parts))]
    clause, filter_params = filter_clause(filters)
    rows, rows_params = rows_to_rank(_scored_select(name, names), clause, filter_params, within)
    rank = " + ".join(f"%s * {_saturated(alias)}" for alias in names)
    typed, typed_params = typed_cte(query)
    ctes = (
        f"{typed}{_query_cte(name, parts, names, query.require_all)}"
        f"{name} AS (SELECT seq, {rank} AS rank, in_context FROM ({rows}) r "
        "ORDER BY in_context DESC, rank DESC, seq LIMIT %s)"
    )
    cte_params: list[Any] = [*typed_params, *(p for _, ps in parts for p in ps)]
    cte_params += [*weights, *rows_params, limit]
    return (
        ctes,
        cte_params,
        _top_rows_select(name, headline),
        [HEADLINE_OPTIONS] if headline else [],
    )


def _query_cte(
    name: str, parts: list[tuple[str, list[str]]], names: list[str], require_all: bool
) -> str:
    """CTE {name}_q and a comma: each phrase's tsquery (named), query, every, average length."""
    joiner = " && " if require_all else " || "
    phrases = ", ".join(f"{sql} AS {alias}" for (sql, _), alias in zip(parts, names, strict=True))
    return (
        f"{name}_q AS (SELECT *, ({joiner.join(names)}) AS query, ({' && '.join(names)}) AS every, "
        f"({AVERAGE_LENGTH}) AS average FROM (SELECT {phrases}) p), "
    )


def _scored_select(name: str, names: list[str]) -> str:
    """SELECT of the rows' ts_rank per phrase, norm and in_context, conditions to follow."""
    frequencies = "".join(
        f"ts_rank('{RANK_WEIGHTS}', e.search, q.{alias}) AS {alias}, " for alias in names
    )
    return (
        f"SELECT e.seq, {frequencies}{LENGTH_NORM} AS norm, e.context_search @@ q.every "
        f"AS in_context FROM entries e, {name}_q q"
    )


def _top_rows_select(name: str, headline: bool) -> str:
    """SELECT (seq, rank, snippet, in_context) of ranked()'s top rows."""
    snippet = headline_of("q.query") if headline else "''"
    return (
        f"SELECT t.seq, t.rank::float8 AS rank, {snippet} AS snippet, t.in_context "
        f"FROM {name} t JOIN entries e ON e.seq = t.seq, {name}_q q"
    )


def _saturated(phrase: str) -> str:
    """SQL for BM25's saturated frequency of a phrase in a row of r: its column holds the
    phrase's ts_rank, norm the row's length term."""
    frequency = f"({TF_SCALE} * r.{phrase})"
    return f"{frequency} * {K1 + 1} / ({frequency} + r.norm)"


def headline_sql(query: KeywordQuery) -> tuple[str, list[Any]]:
    """An SQL expression highlighting the query's words in entry e (headlines.headline_of),
    and its parameters (the statement starts WITH typed_words.typed_cte(query))."""
    expression, params = tsquery(query)
    return headline_of(expression), [*params, HEADLINE_OPTIONS]


def search_phrases(
    conn: Any,
    query: KeywordQuery,
    filters: EntryFilter,
    limit: int,
    counts: tuple[list[int], int] | None = None,
    snippets: bool = True,
) -> list[KeywordHit]:
    """Best matches of a KeywordQuery, best first; bm25 holds minus the rank (lower: better).

    How many entries hold each phrase (counts, read here unless given) weighs the phrases
    and decides which rows are ranked (keyword_bounds.ranked_rows). Without snippets the
    hits' snippets are empty (see snippets())."""
    if not query.phrases:
        return []
    if counts is None:
        found = counted_words(conn, query)
        query, phrase_counts, total = found.query, found.counts, found.total
        typed_common = found.typed_common
    else:
        phrase_counts, total = counts
        typed_common = False
        if query.prefix_last and phrase_counts[-1] == 0:
            # The typed word is in no entry, in any form: asking which to match would cost.
            query = resolved(query, True)
    within = bounded_lists(
        phrase_queries(query), query, phrase_counts, total, filters, limit, typed_common
    )
    ctes, params, select, select_params = ranked(
        query, filters, limit, "k", rarity(phrase_counts, total), snippets, within
    )
    rows = conn.execute(
        f"WITH {ctes} {select} ORDER BY in_context DESC, rank DESC, seq", params + select_params
    ).fetchall()
    return [to_hit(row) for row in rows]


def snippets(
    conn: Any, query: KeywordQuery, seqs: Sequence[int], in_context: Sequence[int] = ()
) -> dict[int, str]:
    """The snippets search_phrases() would have given these hits, by seq: the headline of
    the query as a whole, for hits found within their context too (as ranked() makes it)."""
    headline, params = headline_sql(query)
    typed, typed_params = typed_cte(query, last=True)
    rows = conn.execute(
        f"{'WITH ' + typed if typed else ''} SELECT e.seq, {headline} FROM entries e "
        "WHERE e.seq = ANY(%s)",
        [*typed_params, *params, [*seqs, *in_context]],
    ).fetchall()
    return {int(row[0]): one_line(str(row[1])) for row in rows}


def to_hit(row: Any) -> KeywordHit:
    """A KeywordHit from a (seq, rank, snippet, in_context) row."""
    return KeywordHit(int(row[0]), -float(row[1]), one_line(str(row[2])), bool(row[3]))
