"""Search on PostgreSQL: nearest vectors (pgvector HNSW), keyword candidates, shown entries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rekall.core.entries import Entry, EntryFilter
from rekall.core.pieces import PIECE_MARGIN
from rekall.storage.fts_repo import EntryFields, KeywordHit, KeywordQuery
from rekall.storage.postgres.entries_repo import filter_clause, select_with_context
from rekall.storage.postgres.headlines import one_line
from rekall.storage.postgres.index_settings import session_ef_search
from rekall.storage.postgres.keyword_bounds import bounded_lists
from rekall.storage.postgres.keyword_repo import (
    counted_words,
    headline_sql,
    phrase_queries,
    ranked,
    rarity,
)
from rekall.storage.postgres.typed_words import typed_cte
from rekall.storage.postgres.vector_param import VectorParam
from rekall.storage.rows import entry_with_context
from rekall.storage.weighed import KeywordCandidates

# ef_search bounds the HNSW candidate list: at least twice k keeps recall high for the
# 50-candidate lists hybrid search asks for.
MIN_EF_SEARCH = 40
MAX_EF_SEARCH = 1000
# A cancel request is a new connection to the server: bounded, as the server may be gone.
INTERRUPT_TIMEOUT_S = 5.0


def _nearest_sql(
    vector: bytes, model_id: str, k: int, filters: EntryFilter
) -> tuple[str, list[Any]]:
    """SELECT (seq, score) of the k nearest entries, the filter applied inside the HNSW scans.

    An entry scores the best of its own vector and its body pieces' less PIECE_MARGIN
    (core/pieces.py), as search/best_of.py does on SQLite: the nearest entries and the
    nearest pieces are scanned apart, each with its index, then merged per entry.
    """
    literal = VectorParam(vector)
    clause, params = filter_clause(filters)
    scan = (
        "(SELECT v.entry_seq AS seq, 1 - (v.vector <=> %s::vector) - %s AS score FROM {table} v "
        f"JOIN entries e ON e.seq = v.entry_seq WHERE v.model_id = %s{clause} "
        "ORDER BY v.vector <=> %s::vector LIMIT %s)"
    )
    sql = (
        f"SELECT seq, max(score) AS score FROM ({scan.format(table='embeddings')} UNION ALL "
        f"{scan.format(table='embedding_pieces')}) n GROUP BY seq "
        "ORDER BY score DESC, seq LIMIT %s"
    )
    own = [literal, 0.0, model_id, *params, literal, k]
    pieces = [literal, PIECE_MARGIN, model_id, *params, literal, piece_rows(k)]
    return sql, [*own, *pieces, k]


def piece_rows(k: int) -> int:
    """How many nearest pieces to read for k entries: an entry may have several among them."""
    return 2 * k + 8


def _run(conn: Any, k: int, sql: str, params: list[Any]) -> list[Any]:
    """Execute with hnsw.ef_search raised for this statement when k needs more candidates."""
    ef_search = max(MIN_EF_SEARCH, min(MAX_EF_SEARCH, 2 * k))
    if ef_search <= session_ef_search(conn):  # the session's own value covers the usual k
        return list(conn.execute(sql, params).fetchall())
    with conn.transaction():
        conn.execute(f"SET LOCAL hnsw.ef_search = {ef_search}")
        return list(conn.execute(sql, params).fetchall())


def nearest(
    conn: Any, vector: bytes, model_id: str, k: int, filters: EntryFilter
) -> list[tuple[int, float]]:
    """The k entries nearest in meaning (cosine similarity), the filter applied in the scan."""
    sql, params = _nearest_sql(vector, model_id, k, filters)
    found = [(int(r[0]), float(r[1])) for r in _run(conn, k, sql, params)]
    # The scan's order is relaxed (database.py): nearly, not exactly, by distance.
    return sorted(found, key=lambda hit: (-hit[1], hit[0]))


def keyword_candidates(
    conn: Any, k: int, query: KeywordQuery, filters: EntryFilter
) -> KeywordCandidates:
    """The k best keyword hits with their fields, and the document count of each phrase.
    The counts come first: they decide which rows keyword ranking reads
    (keyword_bounds.ranked_rows) and which forms a typed word matches (the query returned,
    for the snippets); the rest is one statement."""
    found = counted_words(conn, query)
    query, counts, total = found.query, found.counts, found.total
    within = bounded_lists(
        phrase_queries(query), query, counts, total, filters, k, found.typed_common
    )
    keyword_ctes, keyword_params, _, _ = ranked(
        query, filters, k, "k1", rarity(counts, total), headline=False, within=within
    )
    rows = conn.execute(
        f"WITH {keyword_ctes} "
        "SELECT t.seq, t.rank::float8, t.in_context, e.title, e.tags_text, e.content, "
        "e.context_keys FROM k1 t JOIN entries e ON e.seq = t.seq "
        "ORDER BY t.in_context DESC, t.rank DESC, t.seq",
        keyword_params,
    ).fetchall()
    return KeywordCandidates(
        hits=[KeywordHit(int(r[0]), -float(r[1]), "", bool(r[2])) for r in rows],
        fields={int(r[0]): EntryFields(*(str(v) for v in r[3:7])) for r in rows},
        counts=counts,
        total=total,
        query=query,
    )


def interrupt(conn: Any) -> None:
    """Ask the server to cancel what conn is running (from another thread); a statement
    waiting on a lock stops at once with QueryCanceled."""
    conn.cancel_safe(timeout=INTERRUPT_TIMEOUT_S)


def entries_with_snippets(
    conn: Any, seqs: Sequence[int], query: KeywordQuery, snippet_seqs: Sequence[int]
) -> tuple[dict[int, Entry], dict[int, str]]:
    """Entries by seq, contexts included, and for those in snippet_seqs their content with
    the query's words highlighted; in one statement."""
    headline, params = headline_sql(query)
    snippet = f", CASE WHEN e.seq = ANY(%s) THEN {headline} END AS snippet"
    typed, typed_params = typed_cte(query, last=True)
    rows = conn.execute(
        f"{'WITH ' + typed if typed else ''} {select_with_context(snippet)} WHERE e.seq = ANY(%s)",
        [*typed_params, list(snippet_seqs), *params, list(seqs)],
    ).fetchall()
    entries = {int(row["seq"]): entry_with_context(row) for row in rows}
    snippets = {int(r["seq"]): one_line(r["snippet"]) for r in rows if r["snippet"] is not None}
    return entries, snippets


def exact_nearest(conn: Any, vector: bytes, model_id: str, k: int) -> list[int]:
    """The k nearest seqs by exhaustive scan (no index): the reference recall is measured by."""
    conn.execute("SET LOCAL enable_indexscan = off")
    literal = VectorParam(vector)
    rows = conn.execute(
        "SELECT entry_seq FROM embeddings WHERE model_id = %s "
        "ORDER BY vector <=> %s::vector LIMIT %s",
        (model_id, literal, k),
    ).fetchall()
    return [int(r[0]) for r in rows]
