"""Multi-statement SQL for migrations: run in the transaction, or joined from sections."""

from __future__ import annotations

import sqlite3


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run statements one by one inside the caller's transaction.

    sqlite3's executescript() commits any open transaction first, which would break the
    all-or-nothing promise of a migration.
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        conn.execute(statement)


def joined_script(*sections: str, blank_lines: bool = True) -> str:
    """Sections of SQL (each its indented lines, no newline first or last) as one script, laid
    out as a migration's triple-quoted script: a newline, the sections with a blank line
    between them (or none), a newline and the indent.

    A migration split into sections must run the very text it always ran: SQLite keeps each
    CREATE statement's text in the schema, and existing databases were made by that text.
    """
    return "\n" + ("\n\n" if blank_lines else "\n").join(sections) + "\n        "
