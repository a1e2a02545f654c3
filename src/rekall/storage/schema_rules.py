"""The rules Rekall's own schemas set (constraints, trigger functions), told from a team's."""

from __future__ import annotations

import re

# Named as PostgreSQL names them for storage/postgres/schema*.py; a test holds this list
# equal to what a new base's catalog shows. NOT NULL ones (named since PostgreSQL 18) are
# told by their table instead.
POSTGRES_CONSTRAINTS = frozenset(
    {
        *("meta_pkey", "rekall_schema_pkey", "entries_pkey", "entries_id_key"),
        *("entries_type_check", "entries_title_check", "entries_status_check"),
        *("entries_confidence_check", "entries_review_repetitions_check"),
        *("entries_superseded_by_fkey", "tags_pkey", "tags_entry_id_fkey"),
        *("links_pkey", "links_check", "links_type_check"),
        *("links_source_id_fkey", "links_target_id_fkey"),
        *("entry_context_pkey", "entry_context_check", "entry_context_entry_id_fkey"),
        *("context_keywords_pkey", "context_keywords_entry_id_fkey"),
        *("context_vectors_pkey", "context_vectors_check", "context_vectors_dimensions_check"),
        *("context_vectors_entry_id_fkey", "embeddings_pkey", "embeddings_dimensions_check"),
        *("embeddings_entry_seq_fkey", "embedding_pieces_pkey", "embedding_pieces_piece_check"),
        *("embedding_pieces_dimensions_check", "embedding_pieces_entry_seq_fkey"),
        *("tokens_pkey", "tokens_name_check", "tokens_token_hash_key"),
    }
)
POSTGRES_TABLES = frozenset(
    {
        *("meta", "rekall_schema", "entries", "tags", "links", "entry_context"),
        *("context_keywords", "context_vectors", "embeddings", "embedding_pieces", "tokens"),
    }
)
POSTGRES_FUNCTIONS = frozenset(
    {
        *("rekall_count_entries", "rekall_drop_pieces", "rekall_piece_matches"),
        "rekall_sum_search_words",
    }
)
# What Rekall's own SQLite triggers say when they refuse (storage/schema_vectors.py).
TRIGGER_MESSAGES = frozenset({"a piece vector must match its entry's vector"})
# The unique keys of storage/schema*.py, as SQLite names them when one is broken.
SQLITE_UNIQUE_KEYS = frozenset(
    {
        *("meta.key", "entries.id", "entries.seq", "tags.entry_id, tags.tag"),
        "links.source_id, links.target_id, links.type",
        *("entry_context.entry_id", "context_keywords.entry_id, context_keywords.keyword"),
        *("context_vectors.entry_id", "embeddings.entry_seq", "vector_tombstones.entry_seq"),
        *("embedding_pieces.entry_seq, embedding_pieces.piece", "tokens.name"),
        "tokens.token_hash",
    }
)
_FUNCTION = re.compile(r"PL/pgSQL function (?:[\w$]+\.)?([\w$]+)\(")


def postgres_rule(
    constraint: str | None, table: str | None, context: str | None
) -> tuple[str | None, bool | None]:
    """The refused rule's name and whether it is Rekall's, from what PostgreSQL reports of an
    error: the constraint (with its table), else the trigger function that raised it."""
    if constraint:
        own = constraint in POSTGRES_CONSTRAINTS or (
            constraint.endswith("_not_null") and table in POSTGRES_TABLES
        )
        return constraint, own
    found = _FUNCTION.search(context or "")
    if found is None:
        return None, None
    return found.group(1), found.group(1) in POSTGRES_FUNCTIONS


def sqlite_rule(message: str) -> tuple[str | None, bool | None]:
    """The refused rule and whether it is Rekall's, from sqlite3's message alone. SQLite adds
    no check, reference or NOT NULL to a table it made, so those are Rekall's schema's; a
    unique key is Rekall's when its columns are one of Rekall's keys; any other message is
    a trigger's RAISE, Rekall's own when it says what Rekall's triggers say."""
    kind, _, detail = message.partition(" constraint failed")
    detail = detail.removeprefix(": ")
    if kind in ("CHECK", "NOT NULL", "FOREIGN KEY"):
        return detail or None, True
    if kind == "UNIQUE":
        return detail, detail in SQLITE_UNIQUE_KEYS
    return None, message in TRIGGER_MESSAGES
