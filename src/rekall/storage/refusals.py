"""A write the database refused (a constraint or a trigger), as one error on either backend."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rekall.core.errors import RefusedWriteError
from rekall.storage.schema_rules import postgres_rule, sqlite_rule

if TYPE_CHECKING:
    from rekall.storage.contract import Store


@contextmanager
def refusals_named(db: Store) -> Iterator[None]:
    """Run a block that writes to db; raise RefusedWriteError, in the database's words, when
    db refuses one of its writes: a unique id, a reference, a check or a trigger (an
    integrity error of its driver, or on PostgreSQL a trigger's plain RAISE EXCEPTION; the
    write scope has rolled it back by then).

    The write scopes let integrity errors through as the driver raised them, so a repository
    can tell one refusal from another inside its transaction; this names one at the caller's
    edge. Every other error passes as it is.
    """
    try:
        yield
    except _driver_refusals(sqlite=db.kind != "postgres", postgres=db.kind == "postgres") as exc:
        raise refused_write(db.location, exc) from exc


def refusal_of(exc: BaseException, location: str) -> RefusedWriteError | None:
    """exc as a refused write when it is one no caller named (a constraint or trigger added
    to the base refusing an add, an edit or a link, at a command's edge), else None. A
    RefusedWriteError is one already (a server's write scope names a trigger's RAISE)."""
    if isinstance(exc, RefusedWriteError):
        return exc
    # psycopg is loaded only when a server base was opened.
    kinds = _driver_refusals(sqlite=True, postgres="psycopg" in sys.modules)
    if not isinstance(exc, kinds):
        return None
    return refused_write(location, exc)


def refused_write(location: str, exc: Exception) -> RefusedWriteError:
    """The refusal of a driver's error: the database's first line, and the rule it names."""
    diag = getattr(exc, "diag", None)
    if diag is not None:  # psycopg: the server names the constraint, or the trigger function
        rule, own = postgres_rule(diag.constraint_name, diag.table_name, diag.context)
    else:
        rule, own = sqlite_rule(_first_line(exc))
    return RefusedWriteError(location, _first_line(exc), rule, own)


def _driver_refusals(sqlite: bool, postgres: bool) -> tuple[type[Exception], ...]:
    """The drivers' errors that mean the database refused a write."""
    kinds: tuple[type[Exception], ...] = (sqlite3.IntegrityError,) if sqlite else ()
    if postgres:
        import psycopg  # a server base loaded it already; the SQLite path never imports it

        # P0001: a PL/pgSQL trigger's RAISE EXCEPTION without an error code of its own.
        kinds += (psycopg.errors.IntegrityError, psycopg.errors.RaiseException)
    return kinds


def _first_line(exc: Exception) -> str:
    """The driver's message without PostgreSQL's DETAIL and CONTEXT lines."""
    lines = str(exc).strip().splitlines()
    return lines[0].strip() if lines else type(exc).__name__
