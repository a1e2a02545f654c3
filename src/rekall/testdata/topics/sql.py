"""Relational databases: PostgreSQL, MySQL and SQLite."""

from __future__ import annotations

from rekall.testdata.vocabulary import Tech

TECHS = (
    Tech(
        name="PostgreSQL",
        domain="databases",
        tags=("postgres", "sql", "database"),
        lang="sql",
        config_lang="ini",
        nouns=(
            "connection pool",
            "autovacuum",
            "replication slot",
            "query planner",
            "GIN index",
            "advisory lock",
        ),
        errors=(
            "ERROR: deadlock detected",
            "FATAL: sorry, too many clients already",
            "ERROR: could not serialize access due to concurrent update",
            "ERROR: canceling statement due to statement timeout",
            'ERROR: duplicate key value violates unique constraint "users_email_key"',
        ),
        howtos=(
            (
                "list long-running queries",
                "SELECT pid, now() - query_start, query "
                "FROM pg_stat_activity WHERE state <> 'idle';",
            ),
            (
                "build an index without locking writes",
                "CREATE INDEX CONCURRENTLY idx_orders_created ON orders (created_at);",
            ),
            ("dump one schema", "pg_dump -Fc -n billing appdb > billing.dump"),
            (
                "find unused indexes",
                "SELECT indexrelname FROM pg_stat_user_indexes WHERE idx_scan = 0;",
            ),
            ("cancel a stuck query", "SELECT pg_cancel_backend(12345);"),
        ),
        settings=(
            ("max_connections", "200", "PgBouncer in front keeps real connections low"),
            ("work_mem", "64MB", "sorts for the reports stop spilling to disk"),
            ("idle_in_transaction_session_timeout", "'60s'", "kills sessions holding locks"),
        ),
        gotchas=(
            "adding a column with a volatile default rewrites the whole table",
            "a long-running transaction keeps autovacuum from removing dead rows",
            "NOT IN with a NULL in the subquery returns no rows at all",
        ),
        code=(
            "INSERT INTO daily_totals (day, total)\n"
            "VALUES ($1, $2)\n"
            "ON CONFLICT (day)\n"
            "DO UPDATE SET total = daily_totals.total + EXCLUDED.total;",
            "EXPLAIN (ANALYZE, BUFFERS)\n"
            "SELECT o.id, c.email\n"
            "FROM orders o\n"
            "JOIN customers c ON c.id = o.customer_id\n"
            "WHERE o.created_at > now() - interval '7 days';",
        ),
        alts=("MySQL", "SQLite"),
    ),
    Tech(
        name="MySQL",
        domain="databases",
        tags=("mysql", "sql", "database"),
        lang="sql",
        config_lang="ini",
        nouns=(
            "InnoDB buffer pool",
            "binlog",
            "utf8mb4 collation",
            "read replica",
            "gap lock",
            "slow query log",
        ),
        errors=(
            "ERROR 1205 (HY000): Lock wait timeout exceeded; try restarting transaction",
            "ERROR 1366 (HY000): Incorrect string value: '\\xF0\\x9F\\x98\\x80' for column 'name'",
            "ERROR 2013 (HY000): Lost connection to MySQL server during query",
            "ERROR 1040 (08004): Too many connections",
        ),
        howtos=(
            ("see what is locking", "SELECT * FROM performance_schema.data_locks;"),
            ("show running queries", "SHOW FULL PROCESSLIST;"),
            (
                "dump without locking InnoDB tables",
                "mysqldump --single-transaction --routines appdb > appdb.sql",
            ),
            ("check replica lag", "SHOW REPLICA STATUS\\G"),
            (
                "convert a table to utf8mb4",
                "ALTER TABLE users CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci;",
            ),
        ),
        settings=(
            ("innodb_buffer_pool_size", "8G", "about 70% of the RAM of a dedicated host"),
            ("max_connections", "500", "the app servers each keep a pool of 20"),
            ("slow_query_log", "ON", "with long_query_time = 0.5 to catch slow reports"),
        ),
        gotchas=(
            "the utf8 charset is really utf8mb3 and rejects emoji",
            "an UPDATE without an index on the WHERE column locks far more rows than it changes",
            "comparing a string column with a number skips the index",
        ),
        code=(
            "SELECT table_name,\n"
            "       ROUND((data_length + index_length) / 1024 / 1024) AS size_mb\n"
            "FROM information_schema.tables\n"
            "WHERE table_schema = 'appdb'\n"
            "ORDER BY size_mb DESC\n"
            "LIMIT 10;",
            "ALTER TABLE orders\n"
            "  ADD INDEX idx_status_created (status, created_at),\n"
            "  ALGORITHM=INPLACE, LOCK=NONE;",
        ),
        alts=("PostgreSQL", "MariaDB"),
    ),
    Tech(
        name="SQLite",
        domain="databases",
        tags=("sqlite", "sql", "database"),
        lang="sql",
        config_lang="ini",
        nouns=(
            "WAL mode",
            "busy timeout",
            "FTS5 table",
            "page cache",
            "schema migration",
            "write transaction",
        ),
        errors=(
            "sqlite3.OperationalError: database is locked",
            "sqlite3.DatabaseError: database disk image is malformed",
            "sqlite3.OperationalError: no such module: fts5",
            "sqlite3.IntegrityError: FOREIGN KEY constraint failed",
        ),
        howtos=(
            ("check the file for corruption", "sqlite3 app.db 'PRAGMA integrity_check;'"),
            ("take a consistent backup", "sqlite3 app.db \"VACUUM INTO 'backup.db'\""),
            ("see the query plan", "EXPLAIN QUERY PLAN SELECT * FROM notes WHERE tag = 'x';"),
            ("turn on WAL", "PRAGMA journal_mode = WAL;"),
            (
                "export a table as CSV",
                "sqlite3 -header -csv app.db 'SELECT * FROM notes;' > notes.csv",
            ),
        ),
        settings=(
            ("journal_mode", "WAL", "readers never block the writer"),
            ("busy_timeout", "5000", "waits five seconds instead of failing at once"),
            ("foreign_keys", "ON", "off by default, per connection"),
        ),
        gotchas=(
            "foreign keys are not enforced unless every connection turns them on",
            "a deferred transaction that later writes can fail with SQLITE_BUSY at once",
            "ALTER TABLE cannot drop a column on versions before 3.35",
        ),
        code=(
            "import sqlite3\n\n"
            "conn = sqlite3.connect('app.db', timeout=5.0)\n"
            "conn.execute('PRAGMA journal_mode=WAL')\n"
            "conn.execute('PRAGMA foreign_keys=ON')\n"
            "with conn:\n"
            "    conn.execute('INSERT INTO notes(title) VALUES (?)', (title,))",
            "CREATE VIRTUAL TABLE notes_fts USING fts5(\n"
            "  title, body, content='notes', content_rowid='id'\n"
            ");\n"
            "SELECT rowid FROM notes_fts WHERE notes_fts MATCH 'docker NEAR cache'\n"
            "ORDER BY bm25(notes_fts) LIMIT 10;",
        ),
        alts=("PostgreSQL", "DuckDB"),
        code_langs=("python", "sql"),
    ),
)
