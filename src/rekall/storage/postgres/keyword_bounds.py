"""How many rows keyword ranking reads on PostgreSQL: word counts from the planner's
statistics, and the candidate rows of a query whose common words match too many entries.

Ranking reads every row it scores (its tsvector, from the table), so the cost of keyword
search grows with the number of entries holding the query's words: at 100,000 entries
"retry" is in 23,809 of them. Counting entries is the same cost, up to the count's cap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rekall.storage.postgres.schema_keyword import HEAD_VECTOR, TS_CONFIG

# A word the statistics say at least this many entries hold is not counted row by row:
# the estimate is used (counting 5,000 entries read 2,780 pages, 19 ms at 100,000).
ESTIMATE_FROM = 1000
# When the query's words are in more entries than this, ranking reads the entries of its
# rarest words (in order, up to this many) and up to this many holding every word: a row
# holding only the common words matches little of the query's rarity (docs/decisions/008).
RANKED_ROWS = 1000
# The most common lexemes of the search column and their share of the rows, gathered by
# ANALYZE (autovacuum keeps them current); none before the table was first analysed. A CTE
# read once per statement: planning the pg_stats view once per word took 3-12 ms.
STATS_CTE = (
    "stats AS MATERIALIZED (SELECT s.most_common_elems::text::text[] AS elems, "
    "s.most_common_elem_freqs AS freqs FROM pg_stats s WHERE s.schemaname = current_schema() "
    "AND s.tablename = 'entries' AND s.attname = 'search')"
)


def estimated_count(token: str, total_sql: str) -> tuple[str, list[Any]]:
    """SQL for the estimated number of entries holding one word (NULL when the statistics
    do not list it, or list it in fewer than ESTIMATE_FROM entries). The statement is to
    start WITH STATS_CTE. Unlike a count it is not capped: it costs nothing more, and BM25's
    rarity of a word most entries hold needs the real share (5,000 of 100,000 entries would
    weigh "retry", in 23,809, 2.5 times as much as FTS5 does).

    For a word being typed (a prefix) it is the count of the whole word: a lower bound.
    """
    lexeme = f"(tsvector_to_array(to_tsvector('{TS_CONFIG}', %s::text)))[1]"
    share = f"(SELECT s.freqs[array_position(s.elems, {lexeme})] FROM stats s)"
    estimate = f"round({share} * ({total_sql}))"
    sql = f"(SELECT CASE WHEN n >= %s THEN n END FROM (SELECT {estimate} AS n) x)"
    return sql, [ESTIMATE_FROM, token]


def ranked_rows(
    parts: Sequence[tuple[str, list[Any]]], counts: Sequence[int], limit: int
) -> list[tuple[str, list[Any], int]] | None:
    """Which rows keyword ranking reads for the best limit hits: a condition on entries e,
    its parameters and how many of its rows to read at most, for each list; or None to read
    every entry that holds any phrase (when they are at most RANKED_ROWS).

    parts are the query's phrases as tsquery SQL (keyword_repo.phrase_queries) and counts
    how many entries hold each. The lists: the rows of the rarest phrases, rarest first
    while they stay within RANKED_ROWS (or hold fewer than limit); the rows holding every
    phrase; and the rows holding one of the other, common, phrases in their title, tags or
    context keys (the fields ranking weighs most).
    """
    if sum(counts) <= RANKED_ROWS:
        return None
    chosen: list[int] = []
    rows = 0
    for index in sorted(range(len(parts)), key=lambda i: (counts[i], i)):
        if rows + counts[index] > RANKED_ROWS and rows >= limit:
            break
        chosen.append(index)
        rows += counts[index]
    # A phrase whose rows are not all read (a common one, or a chosen one cut by the limit,
    # as a one-word query's always is) has its title, tags and context keys read too.
    cut = [i for i in range(len(parts)) if i not in chosen or rows > RANKED_ROWS]
    every = " && ".join(sql for sql, _ in parts)
    lists = [(_any(parts, chosen, "e.search"), _params(parts, chosen), RANKED_ROWS)]
    # The rows holding every phrase hold the chosen ones: they are among the first list's
    # when it reads all of theirs (counted, not estimated: an estimate may fall short), or
    # are the very same rows when there is one phrase. Read again, they were ranked twice.
    complete = rows <= RANKED_ROWS and all(counts[i] < ESTIMATE_FROM for i in chosen)
    if len(parts) > 1 and not complete:
        lists.append((f"e.search @@ ({every})", _params(parts, range(len(parts))), RANKED_ROWS))
    if cut:
        lists.append((_any(parts, cut, HEAD_VECTOR), _params(parts, cut), RANKED_ROWS))
    return lists


def rows_to_rank(
    scored: str,
    clause: str,
    filter_params: list[Any],
    within: Sequence[tuple[str, list[Any], int]] | None,
) -> tuple[str, list[Any]]:
    """The scored rows keyword_repo.ranked() orders, and their parameters: every match, or
    the union of the lists in within (ranked_rows()). scored: a SELECT to add conditions to,
    clause: the filters' SQL (AND ...) and filter_params their parameters."""
    if within is None:  # OFFSET 0: the rank in ranked() would otherwise call ts_rank twice
        return f"{scored} WHERE e.search @@ q.query{clause} OFFSET 0", filter_params
    # Each list ranked as it is read: a second visit of each row cost as much again.
    rows = " UNION ".join(
        f"({scored} WHERE {condition}{clause} LIMIT %s)" for condition, _, _ in within
    )
    return rows, [v for _, ps, most in within for v in (*ps, *filter_params, most)]


def _any(parts: Sequence[tuple[str, list[Any]]], chosen: Sequence[int], vector: str) -> str:
    return f"{vector} @@ (" + " || ".join(parts[i][0] for i in chosen) + ")"


def _params(parts: Sequence[tuple[str, list[Any]]], chosen: Iterable[int]) -> list[Any]:
    return [value for i in chosen for value in parts[i][1]]
