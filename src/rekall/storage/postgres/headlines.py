"""Snippets on PostgreSQL: the query's words highlighted in the field of an entry holding them."""

from __future__ import annotations

from rekall.core.results import HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN
from rekall.storage.postgres.schema_keyword import TS_CONFIG

HEADLINE_OPTIONS = (
    f"StartSel={HIGHLIGHT_OPEN}, StopSel={HIGHLIGHT_CLOSE}, MaxWords=16, MinWords=6, "
    "ShortWord=2, MaxFragments=1, FragmentDelimiter=…"
)
# The fields a snippet may come from, in the order they are tried. FTS5's snippet() on
# SQLite picks the column holding the match; ts_headline of the content alone showed its
# first words, unmarked, for an entry found by its title or tags.
_FIELDS = ("e.content", "e.title", "e.tags_text", "coalesce(e.project, '')")


def headline_of(query_sql: str) -> str:
    """An SQL expression highlighting the tsquery query_sql in entry e: in its content, or,
    when the content holds none of its words, in its title, tags or project; else the
    content's start. After query_sql's parameters it takes one: HEADLINE_OPTIONS.

    coalesce() stops at the first marked field, so a row whose content matches costs one
    ts_headline, as before."""
    # OFFSET 0 keeps each headline a subquery of its own: pulled up, its ts_headline() was
    # computed twice, once for the test and once for the value.
    marked = [
        f"(SELECT h FROM (SELECT ts_headline('{TS_CONFIG}', {field}, s.q, s.o) AS h OFFSET 0) m "
        f"WHERE strpos(h, chr({ord(HIGHLIGHT_OPEN)})) > 0)"
        for field in _FIELDS
    ]
    start = f"ts_headline('{TS_CONFIG}', e.content, s.q, s.o)"
    return (
        f"(SELECT coalesce({', '.join(marked)}, {start}) "
        f"FROM (SELECT {query_sql} AS q, %s::text AS o) s)"
    )


def one_line(headline: str) -> str:
    """A headline on one line."""
    return " ".join(headline.split())
