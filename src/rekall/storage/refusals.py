"""A write the database refused (a constraint or a trigger), as one error on either backend."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rekall.core.errors import RefusedWriteError

if TYPE_CHECKING:
    from rekall.storage.contract import Store


@contextmanager
def refusals_named(db: Store) -> Iterator[None]:
    """Run a block that writes to db; raise RefusedWriteError, in the database's words, when
    db refuses one of its writes: a unique id, a reference, a check or a trigger (an
    integrity error of its driver; the write scope has rolled it back by then).

    The write scopes let those errors through as the driver raised them, so a repository can
    tell one refusal from another inside its transaction; this names one at the caller's
    edge. Every other error passes as it is.
    """
    refused = _integrity_error(db)
    try:
        yield
    except refused as exc:
        raise RefusedWriteError(db.location, _first_line(exc)) from exc


def _integrity_error(db: Store) -> type[Exception]:
    if db.kind == "postgres":
        import psycopg  # a server base loaded it already; the SQLite path never imports it

        error: type[Exception] = psycopg.errors.IntegrityError
        return error
    return sqlite3.IntegrityError


def _first_line(exc: Exception) -> str:
    """The driver's message without PostgreSQL's DETAIL and CONTEXT lines."""
    lines = str(exc).strip().splitlines()
    return lines[0].strip() if lines else type(exc).__name__
