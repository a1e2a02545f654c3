"""A PostgreSQL connection wrapper that keeps each statement it runs, for tests and benchmarks."""

from __future__ import annotations

from typing import Any


class Recorder:
    """A connection that keeps each statement it runs, with its parameters, in `sent`."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.sent: list[tuple[str, Any]] = []

    def execute(self, sql: str, params: Any = None) -> Any:
        self.sent.append((sql, params))
        return self.conn.execute(sql, params)
