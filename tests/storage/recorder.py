"""A connection wrapper that keeps each statement it runs, for tests and benchmarks."""

from __future__ import annotations

from typing import Any


class Recorder:
    """A connection that keeps each statement it runs, with its parameters, in `sent`. Any
    other use (a cursor, a commit) goes to the connection itself, unrecorded."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.sent: list[tuple[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)

    def execute(self, sql: str, params: Any = None) -> Any:
        self.sent.append((sql, params))
        # sqlite3 refuses None for "no parameters"; psycopg takes either.
        return self.conn.execute(sql) if params is None else self.conn.execute(sql, params)
