"""The schema, as numbered migrations: each one a function run in its own transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from rekall.core.entries import ENTRY_TYPES, LINK_TYPES, STATUSES
from rekall.storage import context_repo
from rekall.storage.schema_vectors import m002_create_embeddings, m009_add_embedding_pieces
from rekall.storage.sql_script import joined_script, run_script

Migration = Callable[[sqlite3.Connection], None]
# The FTS5 columns, in order; fts_repo weighs them in this order.
FTS_COLUMNS = ("title", "content", "tags_text", "project", "context_keys", "context_story")


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def m001_create_entries(conn: sqlite3.Connection) -> None:
    """Entries, tags, links, the FTS5 index kept in sync by triggers, and the meta table."""
    sections = (_m001_meta_sql(), _m001_entries_sql(), _m001_tags_and_links_sql(), _m001_fts_sql())
    run_script(conn, joined_script(*sections))


def _m001_meta_sql() -> str:
    return """\
        CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
        INSERT INTO meta (key, value) VALUES ('generation', 0);
        -- A random identity: derived files (vector snapshots) built from another database
        -- that happens to reach the same generation are never mistaken for this one's.
        INSERT INTO meta (key, value) VALUES ('uid', abs(random()));"""


def _m001_entries_sql() -> str:
    return f"""\
        -- seq is the stable integer rowid: FTS5 and vectors key on it, and AUTOINCREMENT
        -- guarantees a deleted entry's number is never reused by a new one.
        CREATE TABLE entries (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL CHECK (type IN ({_sql_list(ENTRY_TYPES)})),
            title TEXT NOT NULL CHECK (length(trim(title)) > 0),
            content TEXT NOT NULL DEFAULT '',
            tags_text TEXT NOT NULL DEFAULT '',
            project TEXT,
            status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ({_sql_list(STATUSES)})),
            confidence INTEGER NOT NULL DEFAULT 3 CHECK (confidence BETWEEN 0 AND 5),
            superseded_by TEXT REFERENCES entries(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            access_count INTEGER NOT NULL DEFAULT 0,
            last_accessed TEXT
        );
        CREATE INDEX entries_type ON entries(type);
        CREATE INDEX entries_project ON entries(project);
        CREATE INDEX entries_updated ON entries(updated_at);"""


def _m001_tags_and_links_sql() -> str:
    return f"""\
        CREATE TABLE tags (
            entry_id TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
            tag TEXT NOT NULL,
            PRIMARY KEY (entry_id, tag)
        ) WITHOUT ROWID;
        CREATE INDEX tags_tag ON tags(tag);

        CREATE TABLE links (
            source_id TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
            target_id TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
            type TEXT NOT NULL CHECK (type IN ({_sql_list(LINK_TYPES)})),
            reason TEXT,
            created_at TEXT NOT NULL,
            PRIMARY KEY (source_id, target_id, type),
            CHECK (source_id <> target_id)
        ) WITHOUT ROWID;
        CREATE INDEX links_target ON links(target_id);"""


def _m001_fts_sql() -> str:
    """The first FTS5 index, on four columns, and its triggers (m005 remakes it)."""
    return """\
        CREATE VIRTUAL TABLE entries_fts USING fts5(
            title, content, tags_text, project,
            content='entries', content_rowid='seq', tokenize='porter unicode61'
        );
        CREATE TRIGGER entries_fts_insert AFTER INSERT ON entries BEGIN
            INSERT INTO entries_fts (rowid, title, content, tags_text, project)
            VALUES (new.seq, new.title, new.content, new.tags_text, coalesce(new.project, ''));
        END;
        CREATE TRIGGER entries_fts_delete AFTER DELETE ON entries BEGIN
            INSERT INTO entries_fts (entries_fts, rowid, title, content, tags_text, project)
            VALUES ('delete', old.seq, old.title, old.content, old.tags_text,
                    coalesce(old.project, ''));
        END;
        CREATE TRIGGER entries_fts_update AFTER UPDATE OF title, content, tags_text, project
        ON entries BEGIN
            INSERT INTO entries_fts (entries_fts, rowid, title, content, tags_text, project)
            VALUES ('delete', old.seq, old.title, old.content, old.tags_text,
                    coalesce(old.project, ''));
            INSERT INTO entries_fts (rowid, title, content, tags_text, project)
            VALUES (new.seq, new.title, new.content, new.tags_text, coalesce(new.project, ''));
        END;"""


def m003_add_memory_and_context(conn: sqlite3.Connection) -> None:
    """Review and memory fields, structured context with keywords, and legacy context vectors."""
    run_script(
        conn,
        """
        -- Carried over from earlier Rekall databases; NULL means "not tracked".
        ALTER TABLE entries ADD COLUMN memory_type TEXT;
        ALTER TABLE entries ADD COLUMN consolidation_score REAL;
        ALTER TABLE entries ADD COLUMN next_review TEXT;
        ALTER TABLE entries ADD COLUMN review_interval INTEGER;
        ALTER TABLE entries ADD COLUMN ease_factor REAL;
        ALTER TABLE entries ADD COLUMN centrality_score REAL;

        -- structured is a JSON object as text; legacy_text is free conversation context.
        CREATE TABLE entry_context (
            entry_id TEXT PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
            structured TEXT,
            legacy_text TEXT,
            CHECK (structured IS NOT NULL OR legacy_text IS NOT NULL)
        ) WITHOUT ROWID;

        CREATE TABLE context_keywords (
            entry_id TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
            keyword TEXT NOT NULL,
            PRIMARY KEY (entry_id, keyword)
        ) WITHOUT ROWID;
        CREATE INDEX context_keywords_keyword ON context_keywords(keyword);

        -- Vectors of the context text kept by an import from Rekall 0.3, under its own
        -- model id (decision 011): no search reads them, the export leaves them out (db copy
        -- carries them), and writing an entry whose context changed deletes its vector. A
        -- search over contexts would embed them again with the weights in use.
        CREATE TABLE context_vectors (
            entry_id TEXT PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
            model_id TEXT NOT NULL,
            dimensions INTEGER NOT NULL CHECK (dimensions > 0),
            vector BLOB NOT NULL CHECK (length(vector) = dimensions * 4)
        ) WITHOUT ROWID;
        """,
    )


def m004_add_review_repetitions(conn: sqlite3.Connection) -> None:
    """The SM-2 repetition count beside the review schedule, and an index to find due entries."""
    run_script(
        conn,
        """
        -- Successful reviews in a row: SM-2 needs it to pick the 1-day, 6-day or grown interval.
        ALTER TABLE entries ADD COLUMN review_repetitions INTEGER NOT NULL DEFAULT 0
            CHECK (review_repetitions >= 0);
        CREATE INDEX entries_next_review ON entries(next_review);
        """,
    )


def _fts_script(columns: tuple[str, ...]) -> str:
    """The FTS5 table over entries and the triggers that keep it in step, for these columns."""
    names = ", ".join(columns)
    new = ", ".join("coalesce(new.project, '')" if c == "project" else f"new.{c}" for c in columns)
    old = ", ".join("coalesce(old.project, '')" if c == "project" else f"old.{c}" for c in columns)
    return f"""
        CREATE VIRTUAL TABLE entries_fts USING fts5(
            {names}, content='entries', content_rowid='seq', tokenize='porter unicode61'
        );
        CREATE TRIGGER entries_fts_insert AFTER INSERT ON entries BEGIN
            INSERT INTO entries_fts (rowid, {names}) VALUES (new.seq, {new});
        END;
        CREATE TRIGGER entries_fts_delete AFTER DELETE ON entries BEGIN
            INSERT INTO entries_fts (entries_fts, rowid, {names})
            VALUES ('delete', old.seq, {old});
        END;
        CREATE TRIGGER entries_fts_update AFTER UPDATE OF {names} ON entries BEGIN
            INSERT INTO entries_fts (entries_fts, rowid, {names})
            VALUES ('delete', old.seq, {old});
            INSERT INTO entries_fts (rowid, {names}) VALUES (new.seq, {new});
        END;
        """


def m005_search_context(conn: sqlite3.Connection) -> None:
    """Context searchable by keyword: its text copied onto entries and two more FTS5 columns."""
    run_script(
        conn,
        """
        -- Denormalised like tags_text, so the external-content FTS5 table can read them:
        -- error messages, trigger keywords and files; and the situation, fix and notes.
        ALTER TABLE entries ADD COLUMN context_keys TEXT NOT NULL DEFAULT '';
        ALTER TABLE entries ADD COLUMN context_story TEXT NOT NULL DEFAULT '';
        DROP TRIGGER entries_fts_insert;
        DROP TRIGGER entries_fts_delete;
        DROP TRIGGER entries_fts_update;
        DROP TABLE entries_fts;
        """,
    )
    for entry_id, context in context_repo.read_contexts(conn).items():
        context_repo.write_search_columns(conn, entry_id, context)
    run_script(conn, _fts_script(FTS_COLUMNS))
    conn.execute("INSERT INTO entries_fts (entries_fts) VALUES ('rebuild')")


def m006_add_tokens_and_authors(conn: sqlite3.Connection) -> None:
    """Bearer tokens for the HTTP server (hashes only), and who created and changed entries."""
    run_script(
        conn,
        """
        -- The token itself is shown once at creation; only its SHA-256 is kept.
        CREATE TABLE tokens (
            name TEXT PRIMARY KEY CHECK (length(trim(name)) > 0),
            token_hash TEXT NOT NULL UNIQUE,
            read_only INTEGER NOT NULL CHECK (read_only IN (0, 1)),
            created_at TEXT NOT NULL,
            revoked_at TEXT
        ) WITHOUT ROWID;
        -- A token's name, or the local user's for the CLI; NULL for entries written before.
        ALTER TABLE entries ADD COLUMN created_by TEXT;
        ALTER TABLE entries ADD COLUMN updated_by TEXT;
        """,
    )


def m007_add_derived_token(conn: sqlite3.Connection) -> None:
    """A random token that every restore and index rebuild changes.

    Derived files carry the token with the generation they were built at; a database copied
    back from an old file can reach the same generation again, but not with the same past.
    """
    conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('token', abs(random()))")


def m008_index_status_and_model(conn: sqlite3.Connection) -> None:
    """Indexes for the two questions every cold search asks: any entry not active, and how
    many vectors each model has. Without them both read the whole table (16 ms and 18 ms
    at 10K entries; the vectors table is 15 MB)."""
    run_script(
        conn,
        """
        CREATE INDEX entries_status ON entries(status);
        CREATE INDEX embeddings_model ON embeddings(model_id);
        """,
    )


MIGRATIONS: tuple[Migration, ...] = (
    m001_create_entries,
    m002_create_embeddings,
    m003_add_memory_and_context,
    m004_add_review_repetitions,
    m005_search_context,
    m006_add_tokens_and_authors,
    m007_add_derived_token,
    m008_index_status_and_model,
    m009_add_embedding_pieces,
)
SCHEMA_VERSION = len(MIGRATIONS)
