"""The migration that keeps the totals keyword ranking (BM25) reads instead of the whole table."""

from __future__ import annotations

from typing import Any


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
