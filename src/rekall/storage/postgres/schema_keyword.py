"""The words keyword search reads on PostgreSQL: its text search configuration, the tsvector
expressions, and the migrations that keep BM25's totals, stop words, the words in the row and
the indexes' pending lists short."""

from __future__ import annotations

from typing import Any

# The configuration of the migrations before m008: English stemming, stop words dropped.
ENGLISH = "english"
# The configuration searches use (m008): English stemming, like SQLite's porter tokenizer,
# and every word kept, as FTS5 keeps them: shutil.which is two words, not "shutil" alone.
TS_CONFIG = "rekall_english"
_PROJECT = "coalesce(project, '')"
# The keyword indexes (GIN) take new rows' words into a pending list that every search reads
# whole until it is merged: at the server's default limit (4 MB, ~2,000 entries, reached
# between two autovacuums of any base over ~10,000 entries) that costs each search several
# ms. Merged at this many kB instead, the list stays within 32 pages and a bulk copy still
# merges in batches (docs/decisions/008, round twelve).
PENDING_LIST_KB = 256
KEYWORD_INDEXES = ("entries_search", "entries_head_search")


def words(column: str, config: str = TS_CONFIG) -> str:
    """SQL for the tsvector of a column's words."""
    # Split on anything but letters and digits first, as SQLite's unicode61 tokenizer does:
    # PostgreSQL's own parser keeps node.js or a/b/c as one token a phrase query would miss.
    return (
        f"to_tsvector('{config}'::regconfig, regexp_replace({column}, '[^[:alnum:]]+', ' ', 'g'))"
    )


def search_vector(config: str = TS_CONFIG) -> str:
    """SQL for an entry's weighted search words: title A, tags and context keys B, project C,
    body D."""
    return (
        f"setweight({words('title', config)}, 'A') || "
        f"setweight({words('tags_text', config)}, 'B') || "
        f"setweight({words('context_keys', config)}, 'B') || "
        f"setweight({words(_PROJECT, config)}, 'C') || "
        f"setweight({words('content', config)}, 'D') || "
        f"setweight({words('context_story', config)}, 'D')"
    )


def head_vector(config: str = TS_CONFIG) -> str:
    """SQL for the words of the fields keyword ranking weighs most (A and B above)."""
    return (
        f"({words('title', config)} || {words('tags_text', config)} || "
        f"{words('context_keys', config)})"
    )


# Each keyword index holds, beside the words, which 4,096 consecutive entries a row is among
# (m012): "the newest rows holding a common word" is then read from a few of those groups,
# where a GIN index could only hand over every row holding it (100,000 at 1M entries, 15 ms
# before the first row is read). Queries must use this very expression for the index to serve.
AGE_GROUP_BITS = 12
AGE_GROUP_SIZE = 1 << AGE_GROUP_BITS


def age_group(alias: str = "e") -> str:
    """SQL for the tsvector holding the one lexeme naming a row's group of entries (by seq)."""
    return f"array_to_tsvector(ARRAY[({alias}.seq >> {AGE_GROUP_BITS})::text])"


# Indexed apart (m005): when a word is in too many entries to rank them all, those holding
# it here are read first. Queries must use this very expression for the index to serve.
HEAD_VECTOR = head_vector()


def m007_keep_the_search_words_total(conn: Any) -> None:
    """The total of the entries' distinct search words, kept in meta like the entry count.

    Keyword ranking is BM25, which sets a row's length against the average (keyword_repo);
    averaging it over the table on each search would read every row.
    """
    conn.execute(
        """
        -- Writers wait until the triggers exist: one committing between the sum and the
        -- triggers would be counted by neither.
        LOCK TABLE entries IN SHARE ROW EXCLUSIVE MODE;
        INSERT INTO meta (key, value)
            SELECT 'search_words', coalesce(sum(length(search)), 0) FROM entries;
        CREATE FUNCTION rekall_sum_search_words() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'DELETE' THEN
                UPDATE meta SET value = value
                    + (SELECT coalesce(sum(length(search)), 0) FROM new_rows)
                WHERE key = 'search_words';
            END IF;
            IF TG_OP <> 'INSERT' THEN
                UPDATE meta SET value = value
                    - (SELECT coalesce(sum(length(search)), 0) FROM old_rows)
                WHERE key = 'search_words';
            END IF;
            RETURN NULL;
        END
        $$;
        CREATE TRIGGER entries_words_in AFTER INSERT ON entries
            REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION rekall_sum_search_words();
        CREATE TRIGGER entries_words_changed AFTER UPDATE ON entries
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION rekall_sum_search_words();
        CREATE TRIGGER entries_words_out AFTER DELETE ON entries
            REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION rekall_sum_search_words();
        """
    )


def m008_keep_stop_words(conn: Any) -> None:
    """Search words made with rekall_english: english's stemmer without its stop word list.

    english drops "which", "from", "the" and 124 other words from rows and queries, so
    shutil.which was searched as "shutil" and itertools.chain.from_iterable as three words
    of four. The stored tsvectors, their indexes, the words total and the statistics the
    word counts are estimated from are made again (one rewrite of the table, under the
    migration lock). A word most entries hold weighs next to nothing in BM25.
    """
    conn.execute(
        f"""
        CREATE TEXT SEARCH DICTIONARY rekall_english_stem
            (TEMPLATE = snowball, Language = english);
        CREATE TEXT SEARCH CONFIGURATION {TS_CONFIG} (COPY = {ENGLISH});
        ALTER TEXT SEARCH CONFIGURATION {TS_CONFIG}
            ALTER MAPPING REPLACE english_stem WITH rekall_english_stem;
        {remade_search_columns(TS_CONFIG)}
        """
    )


def m009_keep_search_words_in_the_row(conn: Any) -> None:
    """The search tsvectors kept in the table's row, the long body moved out instead.

    A row over 2 kB had its search words moved to the TOAST table, and every ts_rank and
    length() call on them read them back from there: at 100,000 entries ranking 2,000 rows
    touched 14,000 pages, 3,100 once kept in the row, and took half the time
    (docs/decisions/008). The columns are made again (one rewrite of the table).
    """
    conn.execute(remade_search_columns(TS_CONFIG, storage="MAIN"))


def m010_bound_the_keyword_pending_lists(conn: Any) -> None:
    """The keyword indexes' pending lists merged now, then at PENDING_LIST_KB from now on.

    A base of 10,000 entries with 1,000 new ones in the list took 2.7-3 ms more server time
    per search (docs/decisions/008, round twelve). Merging takes a lock that lets searches
    and writes go on; the setting's lock stops them, so it comes last, just before commit.
    A migration that makes these indexes again must give them the setting too.
    """
    for index in KEYWORD_INDEXES:
        conn.execute("SELECT gin_clean_pending_list(%s::regclass)", (index,))
    for index in KEYWORD_INDEXES:
        conn.execute(f"ALTER INDEX {index} SET (gin_pending_list_limit = {PENDING_LIST_KB})")


def m011_leave_the_words_total_alone_when_no_words_change(conn: Any) -> None:
    """The search words total updated only when an entry's words change.

    m007's trigger updated the total on every UPDATE of entries, adding nothing for one
    that left the words alone: counting an access (which takes no generation row, so that
    reading an entry waits for no write) then waited for any write holding the total's row,
    an import for its whole length, and made the next writer wait for it in turn.
    """
    conn.execute(
        """
        CREATE OR REPLACE FUNCTION rekall_sum_search_words() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            change bigint := 0;
        BEGIN
            IF TG_OP <> 'DELETE' THEN
                change := change + (SELECT coalesce(sum(length(search)), 0) FROM new_rows);
            END IF;
            IF TG_OP <> 'INSERT' THEN
                change := change - (SELECT coalesce(sum(length(search)), 0) FROM old_rows);
            END IF;
            IF change <> 0 THEN
                UPDATE meta SET value = value + change WHERE key = 'search_words';
            END IF;
            RETURN NULL;
        END
        $$;
        """
    )


def m012_index_the_words_with_their_entries_age(conn: Any) -> None:
    """Both keyword indexes made again with each row's group of entries as a second column.

    A common word's newest rows are then read from the index without going through all of
    its rows (docs/decisions/008, round fourteen). The table is locked first: a build lets
    searches on, but dropping the old index after it would wait for them, and a search that
    then wrote would deadlock with it. Searches and writes wait for the builds (~1.5 s at
    100,000 entries, ~20 s at 1M); the pending-list limit of m010 is kept.
    """
    conn.execute("LOCK TABLE entries IN ACCESS EXCLUSIVE MODE")
    for index, words_sql in (("entries_search", "search"), ("entries_head_search", HEAD_VECTOR)):
        conn.execute(
            f"CREATE INDEX {index}_aged ON entries USING gin ({words_sql}, {age_group('entries')}) "
            f"WITH (gin_pending_list_limit = {PENDING_LIST_KB})"
        )
        conn.execute(f"DROP INDEX {index}")
        conn.execute(f"ALTER INDEX {index}_aged RENAME TO {index}")


def remade_search_columns(config: str, storage: str | None = None) -> str:
    """SQL making the search and context_search columns, their indexes and the word total
    again with config (and with storage, how PostgreSQL keeps a large value: MAIN in the
    row when it fits in a page)."""
    kept = ""
    if storage is not None:
        kept = f", ALTER COLUMN search SET STORAGE {storage}, "
        kept += f"ALTER COLUMN context_search SET STORAGE {storage}"
    return f"""
        DROP INDEX entries_head_search;
        ALTER TABLE entries DROP COLUMN search, DROP COLUMN context_search,
            ADD COLUMN search tsvector GENERATED ALWAYS AS ({search_vector(config)}) STORED,
            ADD COLUMN context_search tsvector
                GENERATED ALWAYS AS ({words("context_keys", config)}) STORED{kept};
        CREATE INDEX entries_search ON entries USING gin (search);
        CREATE INDEX entries_head_search ON entries USING gin ({head_vector(config)});
        UPDATE meta SET value = (SELECT coalesce(sum(length(search)), 0) FROM entries)
            WHERE key = 'search_words';
        ANALYZE entries;
        """
