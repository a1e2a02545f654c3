"""A write the database refused (constraint, trigger, policy), as one error on both backends."""

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
    integrity error of its driver, or on PostgreSQL a PL/pgSQL RAISE or a row-level security
    policy, see server_refused; the write scope has rolled it back by then).

    The write scopes let integrity errors through as the driver raised them, so a repository
    can tell one refusal from another inside its transaction; this names one at the caller's
    edge. Every other error passes as it is.
    """
    try:
        yield
    except Exception as exc:
        if not _is_refusal(exc, sqlite=db.kind != "postgres", postgres=db.kind == "postgres"):
            raise
        raise refused_write(db.location, exc) from exc


def refusal_of(exc: BaseException, location: str) -> RefusedWriteError | None:
    """exc as a refused write when it is one no caller named (a constraint or trigger added
    to the base refusing an add, an edit or a link, at a command's edge), else None. A
    RefusedWriteError is one already (a server's write scope names a RAISE or a policy)."""
    if isinstance(exc, RefusedWriteError):
        return exc
    # psycopg is loaded only when a server base was opened.
    if not isinstance(exc, Exception) or not _is_refusal(
        exc, sqlite=True, postgres="psycopg" in sys.modules
    ):
        return None
    return refused_write(location, exc)


def server_refused(exc: Exception) -> bool:
    """Whether a psycopg error is PostgreSQL refusing a write for a rule of the base other
    than a constraint: a PL/pgSQL RAISE (SQLSTATE P0001, or any code the function gave it)
    or a row-level security policy's WITH CHECK.

    Told by the SQLSTATE and the server routine that raised the error (diagnostic fields,
    the same whatever language the server speaks), never by the message: a policy's 42501
    is also a privilege the role lacks (raised by aclcheck_error), which is a grant to ask
    for, not a rule of the base. A routine a later server renames only makes the error a
    plain database error again, never a refusal it is not."""
    routine = getattr(getattr(exc, "diag", None), "source_function", None)
    state = getattr(exc, "sqlstate", None)
    return state == "P0001" or routine == "exec_stmt_raise" or _row_security(state, routine)


def refused_write(location: str, exc: Exception) -> RefusedWriteError:
    """The refusal of a driver's error: the database's first line, and the rule it names."""
    diag = getattr(exc, "diag", None)
    if diag is not None:  # psycopg: the server names the constraint, or the trigger function
        rule, own = postgres_rule(diag.constraint_name, diag.table_name, diag.context)
        if _row_security(getattr(exc, "sqlstate", None), diag.source_function):
            own = False  # Rekall's schema sets no policy
    else:
        rule, own = sqlite_rule(_first_line(exc))
    return RefusedWriteError(location, _first_line(exc), rule, own)


def _is_refusal(exc: Exception, sqlite: bool, postgres: bool) -> bool:
    """Whether exc is a driver's error that means the database refused a write."""
    if sqlite and isinstance(exc, sqlite3.IntegrityError):
        return True
    if not postgres:
        return False
    import psycopg  # a server base loaded it already; the SQLite path never imports it

    if isinstance(exc, psycopg.errors.IntegrityError):
        return True
    return isinstance(exc, psycopg.Error) and server_refused(exc)


def _row_security(state: str | None, routine: str | None) -> bool:
    """A new row a row-level security policy's WITH CHECK refused (on INSERT or UPDATE)."""
    return state == "42501" and routine == "ExecWithCheckOptions"


def _first_line(exc: Exception) -> str:
    """The driver's message without PostgreSQL's DETAIL and CONTEXT lines."""
    lines = str(exc).strip().splitlines()
    return lines[0].strip() if lines else type(exc).__name__
