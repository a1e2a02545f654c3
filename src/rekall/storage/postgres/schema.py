"""The PostgreSQL schema, as numbered migrations applied under an advisory lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rekall.core.entries import ENTRY_TYPES, LINK_TYPES, STATUSES
from rekall.storage.postgres.schema_keyword import (
    ENGLISH,
    head_vector,
    m007_keep_the_search_words_total,
    m008_keep_stop_words,
    m009_keep_search_words_in_the_row,
    m010_bound_the_keyword_pending_lists,
    m011_leave_the_words_total_alone_when_no_words_change,
    m012_index_the_words_with_their_entries_age,
    search_vector,
    words,
)
from rekall.storage.postgres.schema_vectors import (
    DIMENSIONS,
    m004_build_hnsw_with_more_candidates,
    m006_add_embedding_pieces,
)
from rekall.storage.sql_script import joined_script

Migration = Callable[[Any], None]


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


# Rows that belong to an entry go with it; checked at commit when an import asks.
_OWNED = "REFERENCES entries(id) ON DELETE CASCADE DEFERRABLE"


def m001_create_entries(conn: Any) -> None:
    """Entries, tags, links, context, vectors with an HNSW index, and the meta counters."""
    tables = (_m001_entries_sql(), _m001_owned_tables_sql(), _m001_embeddings_sql())
    conn.execute(joined_script(_m001_meta_sql(), *tables))


def _m001_meta_sql() -> str:
    return """\
        -- Ids, tags and keywords compare and sort by bytes ("C"), as on SQLite, whatever the
        -- database's locale: id prefixes are ranges, and exports list tags in one order.
        CREATE TABLE meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
        INSERT INTO meta (key, value) VALUES ('generation', 0);
        INSERT INTO meta (key, value) VALUES ('uid', floor(random() * 9e15)::bigint);"""


def _m001_entries_sql() -> str:
    return f"""\
        -- seq is an identity: a deleted entry's number is never handed out again.
        CREATE TABLE entries (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            id TEXT COLLATE "C" NOT NULL UNIQUE,  -- byte order: id prefixes are ranges
            type TEXT NOT NULL CHECK (type IN ({_sql_list(ENTRY_TYPES)})),
            title TEXT NOT NULL CHECK (length(btrim(title)) > 0),
            content TEXT NOT NULL DEFAULT '',
            tags_text TEXT NOT NULL DEFAULT '',
            project TEXT,
            status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ({_sql_list(STATUSES)})),
            confidence INTEGER NOT NULL DEFAULT 3 CHECK (confidence BETWEEN 0 AND 5),
            superseded_by TEXT REFERENCES entries(id) ON DELETE SET NULL DEFERRABLE,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            access_count INTEGER NOT NULL DEFAULT 0,
            last_accessed TEXT,
            memory_type TEXT,
            consolidation_score DOUBLE PRECISION,
            next_review TEXT,
            review_interval INTEGER,
            ease_factor DOUBLE PRECISION,
            centrality_score DOUBLE PRECISION,
            review_repetitions INTEGER NOT NULL DEFAULT 0 CHECK (review_repetitions >= 0),
            -- The context's errors, keywords and files; and its situation, fix and notes.
            context_keys TEXT NOT NULL DEFAULT '',
            context_story TEXT NOT NULL DEFAULT '',
            search tsvector GENERATED ALWAYS AS ({search_vector(ENGLISH)}) STORED
        );
        CREATE INDEX entries_type ON entries(type);
        CREATE INDEX entries_project ON entries(project);
        CREATE INDEX entries_updated ON entries(updated_at);
        CREATE INDEX entries_next_review ON entries(next_review);
        CREATE INDEX entries_search ON entries USING gin (search);"""


def _m001_owned_tables_sql() -> str:
    """The tables of rows that belong to an entry: tags, links and context."""
    return f"""\
        CREATE TABLE tags (
            entry_id TEXT COLLATE "C" NOT NULL {_OWNED},
            tag TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (entry_id, tag)
        );
        CREATE INDEX tags_tag ON tags(tag);

        CREATE TABLE links (
            source_id TEXT COLLATE "C" NOT NULL {_OWNED},
            target_id TEXT COLLATE "C" NOT NULL {_OWNED},
            type TEXT COLLATE "C" NOT NULL CHECK (type IN ({_sql_list(LINK_TYPES)})),
            reason TEXT,
            created_at TEXT NOT NULL,
            PRIMARY KEY (source_id, target_id, type),
            CHECK (source_id <> target_id)
        );
        CREATE INDEX links_target ON links(target_id);

        CREATE TABLE entry_context (
            entry_id TEXT COLLATE "C" PRIMARY KEY {_OWNED},
            structured TEXT,
            legacy_text TEXT,
            CHECK (structured IS NOT NULL OR legacy_text IS NOT NULL)
        );
        CREATE TABLE context_keywords (
            entry_id TEXT COLLATE "C" NOT NULL {_OWNED},
            keyword TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (entry_id, keyword)
        );
        CREATE INDEX context_keywords_keyword ON context_keywords(keyword);
        CREATE TABLE context_vectors (
            entry_id TEXT COLLATE "C" PRIMARY KEY {_OWNED},
            model_id TEXT NOT NULL,
            dimensions INTEGER NOT NULL CHECK (dimensions > 0),
            vector BYTEA NOT NULL CHECK (length(vector) = dimensions * 4)
        );"""


def _m001_embeddings_sql() -> str:
    """The entry vectors and their first HNSW index (m004 builds it again)."""
    return f"""\
        CREATE TABLE embeddings (
            entry_seq BIGINT PRIMARY KEY REFERENCES entries(seq) ON DELETE CASCADE DEFERRABLE,
            model_id TEXT NOT NULL,
            dimensions INTEGER NOT NULL CHECK (dimensions = {DIMENSIONS}),
            content_hash TEXT NOT NULL,
            vector vector({DIMENSIONS}) NOT NULL,
            generation BIGINT NOT NULL
        );
        CREATE INDEX embeddings_hnsw ON embeddings USING hnsw (vector vector_cosine_ops);"""


def m002_add_tokens_and_authors(conn: Any) -> None:
    """Bearer tokens for the HTTP server (hashes only), and who created and changed entries."""
    conn.execute(
        """
        CREATE TABLE tokens (
            name TEXT PRIMARY KEY CHECK (length(btrim(name)) > 0),
            token_hash TEXT NOT NULL UNIQUE,
            read_only BOOLEAN NOT NULL,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        ALTER TABLE entries ADD COLUMN created_by TEXT;
        ALTER TABLE entries ADD COLUMN updated_by TEXT;
        """
    )


def m003_store_context_words_and_entry_count(conn: Any) -> None:
    """The context keys' tsvector as a stored column, and the entry count kept in meta.

    Keyword ranking made the tsvector of every matching entry's context keys, and every
    hybrid search counted the entries (an index scan of the whole table) for word rarity.
    Adding the column rewrites the table once, under the migration lock.
    """
    conn.execute(
        f"""
        ALTER TABLE entries ADD COLUMN context_search tsvector
            GENERATED ALWAYS AS ({words("context_keys", ENGLISH)}) STORED;
        INSERT INTO meta (key, value) SELECT 'entries', count(*) FROM entries;
        -- Per statement, not per row: a bulk COPY of 100,000 entries updates the row once.
        -- Writers already serialise on the generation row, so this row adds no waiting.
        CREATE FUNCTION rekall_count_entries() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                UPDATE meta SET value = value + (SELECT count(*) FROM changed)
                WHERE key = 'entries';
            ELSE
                UPDATE meta SET value = value - (SELECT count(*) FROM changed)
                WHERE key = 'entries';
            END IF;
            RETURN NULL;
        END
        $$;
        CREATE TRIGGER entries_counted_in AFTER INSERT ON entries
            REFERENCING NEW TABLE AS changed
            FOR EACH STATEMENT EXECUTE FUNCTION rekall_count_entries();
        CREATE TRIGGER entries_counted_out AFTER DELETE ON entries
            REFERENCING OLD TABLE AS changed
            FOR EACH STATEMENT EXECUTE FUNCTION rekall_count_entries();
        """
    )


def m005_index_title_tag_and_context_words(conn: Any) -> None:
    """A GIN index of the words of each entry's title, tags and context keys.

    Ranking weighs these fields 5-10 times the body. At 100,000 entries "retry" is in
    23,809 and ranking them all took 150 ms; keyword_bounds reads the entries holding such
    a word in these fields instead of an arbitrary share of them.
    """
    conn.execute(f"CREATE INDEX entries_head_search ON entries USING gin ({head_vector(ENGLISH)})")


MIGRATIONS: tuple[Migration, ...] = (
    m001_create_entries,
    m002_add_tokens_and_authors,
    m003_store_context_words_and_entry_count,
    m004_build_hnsw_with_more_candidates,
    m005_index_title_tag_and_context_words,
    m006_add_embedding_pieces,
    m007_keep_the_search_words_total,
    m008_keep_stop_words,
    m009_keep_search_words_in_the_row,
    m010_bound_the_keyword_pending_lists,
    m011_leave_the_words_total_alone_when_no_words_change,
    m012_index_the_words_with_their_entries_age,
)
SCHEMA_VERSION = len(MIGRATIONS)
