"""A word being typed on PostgreSQL: its prefix, its shorter forms, and which of them to match.

A last phrase being typed matches as a prefix; its word's shorter forms (typed_stand_ins)
stand in only when no entry holds a word the prefix begins, as on SQLite. The word counts,
read first, find that out (typed_found); a query not counted yet asks it once per statement.
"""

from __future__ import annotations

from typing import Any

from rekall.storage.fts_repo import KeywordQuery, typed_stand_ins
from rekall.storage.postgres.schema_keyword import TS_CONFIG

TYPED = f"to_tsquery('{TS_CONFIG}', %s)"
# Asked once per statement, so that the GIN index answers. For a word the statistics do not
# list the planner guesses 0.5% of the rows, so for a bare EXISTS it scanned the table in
# order, expecting a match within 200 rows: a word no entry holds read every row (250 ms
# at 100,000 entries, and it was asked up to five times per statement). The condition
# twice squares the guess, and the index is read instead (0.1 ms).
TYPED_CTE = (
    "typed AS MATERIALIZED (SELECT EXISTS (SELECT 1 FROM entries "
    f"WHERE search @@ {TYPED} AND search @@ {TYPED}) AS found)"
)


def typed_forms(phrase: tuple[str, ...]) -> tuple[str, list[str]]:
    """The tsquery text of a phrase whose last word is being typed, and of each of its
    shorter forms (none when the word has none)."""
    # Tokens are letters and digits only, so quoting them needs no escaping.
    head = "".join(f"'{token}' <-> " for token in phrase[:-1])
    return f"{head}'{phrase[-1]}':*", [f"{head}'{form}'" for form in typed_stand_ins(phrase[-1])]


def either(prefix: str, forms: list[str]) -> str:
    """The tsquery text matching the prefix or any shorter form."""
    return "(" + " | ".join([prefix, *forms]) + ")"


def typed_query(query: KeywordQuery, phrase: tuple[str, ...]) -> tuple[str, list[str]]:
    """The tsquery SQL of the typed last phrase, and its parameters. Unless the query says
    whether an entry holds the prefix, the statement must start WITH typed_cte()."""
    prefix, forms = typed_forms(phrase)
    if not forms or query.typed_found:
        return TYPED, [prefix]
    if query.typed_found is False:
        return TYPED, [either(prefix, forms)]
    return f"(CASE WHEN (SELECT found FROM typed) THEN {TYPED} ELSE {TYPED} END)", [
        prefix,
        either(prefix, forms),
    ]


def unresolved(query: KeywordQuery) -> bool:
    """True when the query's SQL needs typed_cte(): its typed word has shorter forms and
    whether an entry holds its prefix is not known yet."""
    if not query.prefix_last or not query.phrases or query.typed_found is not None:
        return False
    return bool(typed_forms(query.phrases[-1])[1])


def typed_cte(query: KeywordQuery, last: bool = False) -> tuple[str, list[str]]:
    """The CTE an unresolved query's SQL reads, with a trailing comma unless last, and its
    parameters; empty when it needs none."""
    if not unresolved(query):
        return "", []
    prefix, _ = typed_forms(query.phrases[-1])
    return TYPED_CTE + ("" if last else ", "), [prefix, prefix]


def typed_count(
    query: KeywordQuery, count: Any, estimate: tuple[str, list[Any]] | None
) -> tuple[str, list[Any], str, list[Any]]:
    """For the word counts statement: a CTE (with a leading comma) and its parameters, and
    SQL for three columns, how many entries hold the typed last phrase, whether any holds
    its prefix and whether the statistics list its whole word as common, and their
    parameters. count(sql, params) is SQL counting the entries that
    match a tsquery SQL (capped); estimate the statistics' estimate of the whole word, when
    the phrase is one word.

    The prefix is counted (or estimated) first; the shorter forms only when it is in no
    entry (a subquery in an ELSE branch runs only when reached)."""
    prefix, forms = typed_forms(query.phrases[-1])
    prefix_sql, prefix_params = count(TYPED, [prefix])
    estimate_sql, estimate_params = estimate or ("NULL::bigint", [])
    cte = (
        f", typed_n AS MATERIALIZED (SELECT coalesce(x.estimate, {prefix_sql}) AS n, "
        f"x.estimate IS NOT NULL AS common FROM (SELECT {estimate_sql} AS estimate) x)"
    )
    params = [*prefix_params, *estimate_params]  # in the order they appear
    common = "(SELECT common FROM typed_n)"
    if not forms:
        return cte, params, f"(SELECT n FROM typed_n), true, {common}", []
    either_sql, either_params = count(TYPED, [either(prefix, forms)])
    columns = (
        f"(SELECT CASE WHEN n > 0 THEN n ELSE {either_sql} END FROM typed_n), "
        f"(SELECT n > 0 FROM typed_n), {common}"
    )
    return cte, params, columns, either_params


def resolved(query: KeywordQuery, found: bool) -> KeywordQuery:
    """The query, saying whether an entry holds its typed word's prefix."""
    return query._replace(typed_found=found) if query.prefix_last and query.phrases else query
