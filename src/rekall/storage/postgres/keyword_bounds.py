"""How many rows keyword ranking reads on PostgreSQL: word counts from the planner's
statistics, and the candidate rows of a query whose common words match too many entries.

Ranking reads every row it scores (its tsvector, from the table), so the cost of keyword
search grows with the number of entries holding the query's words: at 100,000 entries
"retry" is in 23,809 of them. Counting entries is the same cost, up to the count's cap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from rekall.core.entries import EntryFilter
from rekall.storage.fts_repo import DOCUMENT_COUNT_CAP, KeywordQuery
from rekall.storage.postgres.schema_keyword import (
    AGE_GROUP_BITS,
    AGE_GROUP_SIZE,
    HEAD_VECTOR,
    TS_CONFIG,
    age_group,
)
from rekall.storage.postgres.typed_words import TYPED

# A word the statistics say at least this many entries hold is not counted row by row:
# the estimate is used (counting 5,000 entries read 2,780 pages, 19 ms at 100,000).
ESTIMATE_FROM = 1000
# When the query's words are in more entries than this, ranking reads the entries of its
# rarest words (in order, up to this many) and up to this many holding every word: a row
# holding only the common words matches little of the query's rarity (docs/decisions/008).
RANKED_ROWS = 1000
# A list whose word's rows are more than this many times what it reads takes them from the
# newest groups of entries expected to hold this many times what it reads (schema_keyword's
# age groups): twice, so that an uneven spread still fills the list.
NEWEST_MARGIN = 2
# The index walks every row of the groups it reads (~25 ns each at 1M entries) where it
# would gather every row holding the word (~300 ns each, into a bitmap): the newest groups
# are read only while they hold fewer than this many times the word's rows.
GROUP_ROWS_PER_ROW = 8
# The tsquery naming the newest %s groups of entries, the last one maybe partly filled.
NEWEST_GROUPS = (
    f"(SELECT string_agg((t.top - g)::text, ' | ')::tsquery FROM (SELECT max(seq) >> "
    f"{AGE_GROUP_BITS} AS top FROM entries) t, generate_series(0, %s - 1) g)"
)
# A list reads rows of every age too when its newest are fewer than its most over this:
# a quarter of a list of newest rows is more than the 50 candidates a search asks for, and
# reading the others as well cost as much as before the newest were read first.
NEWEST_ENOUGH = 4
# Fewer rows hold a word in a title, tags or context keys than anywhere in the row: the
# newest groups read for those fields are sized for this share of the word's rows.
HEAD_SHARE = 4
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


class RankedList(NamedTuple):
    """Rows keyword ranking reads: those matching condition (SQL on entries e, with params),
    at most most of them; with newest (a condition on the newest entries and its params),
    those first, and the others only when the newest are too few (NEWEST_ENOUGH)."""

    condition: str
    params: list[Any]
    most: int
    newest: tuple[str, list[Any]] | None = None


def bounded_lists(
    parts: list[tuple[str, list[Any]]],
    query: KeywordQuery,
    counts: Sequence[int],
    total: int,
    filters: EntryFilter,
    limit: int,
    typed_common: bool = False,
) -> list[RankedList] | None:
    """Which rows ranking reads for a counted query (ranked_rows), its phrases' tsquery SQL
    in parts (keyword_repo.phrase_queries).

    A filter may leave few of a common word's newest rows, so a filtered search reads its
    rows from every age (the default, active entries, is most of any base). Otherwise a
    typed last word the statistics list as common (typed_common, or a count above what a
    count goes to: only theirs is) picks the newest rows and those holding every phrase by
    the word itself: for a prefix GIN gathers the rows of every word it begins before
    reading one (17 ms for "connect" at 1M entries). They are still ranked by the prefix,
    and rows of every age, when read, are picked by it too."""
    narrowed = bool(filters.types or filters.tags or filters.project is not None)
    if narrowed or filters.status not in (None, "active"):
        return ranked_rows(parts, counts, limit)
    whole = list(parts)
    common = typed_common or counts[-1] > DOCUMENT_COUNT_CAP
    if query.prefix_last and len(query.phrases[-1]) == 1 and common:
        whole[-1] = (TYPED, [f"'{query.phrases[-1][0]}'"])  # the word, not its prefix
    return ranked_rows(parts, counts, limit, total, whole)


def ranked_rows(
    parts: Sequence[tuple[str, list[Any]]],
    counts: Sequence[int],
    limit: int,
    total: int | None = None,
    whole: Sequence[tuple[str, list[Any]]] | None = None,
) -> list[RankedList] | None:
    """Which rows keyword ranking reads for the best limit hits: a condition on entries e,
    its parameters and how many of its rows to read at most, for each list; or None to read
    every entry that holds any phrase (when they are at most RANKED_ROWS).

    parts are the query's phrases as tsquery SQL (keyword_repo.phrase_queries) and counts
    how many entries hold each. The lists: the rows of the rarest phrases, rarest first
    while they stay within RANKED_ROWS (or hold fewer than limit); the rows holding every
    phrase; and the rows holding one of the other, common, phrases in their title, tags or
    context keys (the fields ranking weighs most). Given total, the number of entries (none
    when a filter may leave only a few of a list's rows), a list of a word in many more rows
    than it reads takes its newest ones (newest()); whole, the phrases as they pick those
    and the rows holding every phrase (bounded_lists()).
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
    whole = whole or parts
    lists = [_read(parts, whole, chosen, "e.search", newest(rows, total))]
    # The rows holding every phrase hold the chosen ones: they are among the first list's
    # when it reads all of theirs (counted, not estimated: an estimate may fall short), or
    # are the very same rows when there is one phrase. Read again, they were ranked twice.
    complete = rows <= RANKED_ROWS and all(counts[i] < ESTIMATE_FROM for i in chosen)
    if len(parts) > 1 and not complete:
        every = " && ".join(sql for sql, _ in whole)
        every_params = _params(whole, range(len(parts)))
        lists.append(RankedList(f"e.search @@ ({every})", every_params, RANKED_ROWS))
    if cut:
        in_head = max(counts[i] for i in cut) // HEAD_SHARE
        lists.append(_read(parts, whole, cut, HEAD_VECTOR, newest(in_head, total)))
    return lists


def _read(
    parts: Sequence[tuple[str, list[Any]]],
    whole: Sequence[tuple[str, list[Any]]],
    chosen: Sequence[int],
    vector: str,
    window: tuple[str, list[Any]] | None,
) -> RankedList:
    """The list of rows whose vector holds one of the chosen phrases: the newest in window
    first (picked by the whole phrases) when there is one, else of every age."""
    listed = RankedList(_any(parts, chosen, vector), _params(parts, chosen), RANKED_ROWS)
    if window is None:
        return listed
    condition = f"{_any(whole, chosen, vector)} AND {window[0]}"
    return listed._replace(newest=(condition, [*_params(whole, chosen), *window[1]]))


def newest(rows: int, total: int | None) -> tuple[str, list[Any]] | None:
    """The condition (and its parameters) keeping a list to the newest entries, when the
    rows it matches (about rows of total entries) are many more than it reads; else None.

    A GIN index hands over every row holding a word before the first is read; the newest
    groups of entries expected to hold NEWEST_MARGIN times RANKED_ROWS of them are a few
    posting lists (m012). Their rows are as good a choice as the table's first ones, which a
    list read before: its rows are ranked, not chosen by rank. A word used mostly in older
    entries, or a base with many deleted, leaves the newest groups short: the list then
    reads the others too (rows_to_rank())."""
    if total is None or rows <= NEWEST_MARGIN * RANKED_ROWS:
        return None
    groups = -(-NEWEST_MARGIN * RANKED_ROWS * total // (rows * AGE_GROUP_SIZE))
    if groups * AGE_GROUP_SIZE > min(total, GROUP_ROWS_PER_ROW * rows):
        return None
    return f"{age_group()} @@ {NEWEST_GROUPS}", [groups]


def rows_to_rank(
    scored: str,
    clause: str,
    filter_params: list[Any],
    within: Sequence[RankedList] | None,
) -> tuple[str, list[Any]]:
    """The scored rows keyword_repo.ranked() orders, and their parameters: every match, or
    the union of the lists in within (ranked_rows()). scored: a SELECT to add conditions to,
    clause: the filters' SQL (AND ...) and filter_params their parameters."""
    if within is None:  # OFFSET 0: the rank in ranked() would otherwise call ts_rank twice
        return f"{scored} WHERE e.search @@ q.query{clause} OFFSET 0", filter_params
    # Each list ranked as it is read: a second visit of each row cost as much again.
    lists = [_list_rows(scored, clause, filter_params, listed) for listed in within]
    return " UNION ".join(sql for sql, _ in lists), [v for _, ps in lists for v in ps]


def _list_rows(
    scored: str, clause: str, filter_params: list[Any], listed: RankedList
) -> tuple[str, list[Any]]:
    """SQL for the scored rows of one list, and its parameters."""
    every_age = f"({scored} WHERE {listed.condition}{clause} LIMIT %s)"
    params = [*listed.params, *filter_params, listed.most]
    if listed.newest is None:
        return every_age, params
    condition, newest_params = listed.newest
    # The rows of every age are read only when the newest fall short: the filter on the
    # count is a constant of the statement, and the scan under it is then never started.
    newest_rows = f"{scored} WHERE {condition}{clause} LIMIT %s"
    sql = (
        f"(WITH w AS MATERIALIZED ({newest_rows}) SELECT * FROM w UNION "
        f"SELECT * FROM {every_age} f WHERE (SELECT count(*) FROM w) < %s)"
    )
    newest_params = [*newest_params, *filter_params, listed.most]
    return sql, [*newest_params, *params, listed.most // NEWEST_ENOUGH]


def _any(parts: Sequence[tuple[str, list[Any]]], chosen: Sequence[int], vector: str) -> str:
    return f"{vector} @@ (" + " || ".join(parts[i][0] for i in chosen) + ")"


def _params(parts: Sequence[tuple[str, list[Any]]], chosen: Iterable[int]) -> list[Any]:
    return [value for i in chosen for value in parts[i][1]]
