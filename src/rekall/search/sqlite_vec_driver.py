"""Finding a SQLite driver that can load sqlite-vec, and opening a connection with it."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from rekall.core.errors import StorageError

INSTALL_HINT = "pip install 'rekall[sqlite-vec]'"
# Tried in order; the stdlib module first because it costs no extra import when it works.
# Each driver: module to import, name to report, package that provides it.
DRIVERS: tuple[tuple[str, str, str], ...] = (
    ("sqlite3", "stdlib sqlite3", "a Python built with sqlite3"),
    ("sqlean", "sqlean", "sqlean.py"),
    ("pysqlite3.dbapi2", "pysqlite3", "pysqlite3"),
)


class VecConnection(Protocol):
    """The DB-API surface used here, shared by sqlite3, sqlean and pysqlite3 connections."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any: ...

    def executemany(self, sql: str, parameters: Any, /) -> Any: ...

    def close(self) -> None: ...


@functools.cache
def find_vec_driver() -> tuple[ModuleType | None, str]:
    """The first DB-API module that can load sqlite-vec, with its name; else None and why."""
    try:
        import sqlite_vec
    except ImportError:
        return None, f"the sqlite-vec package is not installed: {INSTALL_HINT}"
    extension = sqlite_vec.loadable_path()
    problems: list[str] = []
    for module_name, label, package in DRIVERS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            problems.append(f"{package} is not installed")
            continue
        problem = _probe(module, extension)
        if problem is None:
            return module, label
        problems.append(f"{label} {problem}")
    return None, _explain(problems)


def sqlite_vec_status() -> tuple[bool, str]:
    """(True, driver name) when sqlite-vec can be used, else (False, why not and how to fix it)."""
    module, reason = find_vec_driver()
    return module is not None, reason


def open_vec_connection(path: Path) -> VecConnection:
    """Open `path` (created if missing) with sqlite-vec loaded, in autocommit mode.

    Raises:
        StorageError: no driver can load sqlite-vec, or the file cannot be opened.
    """
    module, reason = find_vec_driver()
    if module is None:
        raise StorageError(f"sqlite-vec is unavailable: {reason}")
    import sqlite_vec

    try:
        connection = module.connect(str(path), isolation_level=None, check_same_thread=False)
    except module.Error as error:
        raise StorageError(f"cannot open the vector index {path}: {error}") from error
    try:
        _load_extension(connection, sqlite_vec.loadable_path())
        connection.execute("PRAGMA busy_timeout = 5000")
        connection.execute("PRAGMA journal_mode = WAL")
        # Derived data, rebuildable from the main database: durability can be relaxed.
        connection.execute("PRAGMA synchronous = NORMAL")
    except module.Error as error:
        connection.close()
        raise StorageError(f"cannot open the vector index {path}: {error}") from error
    result: VecConnection = connection
    return result


def _probe(module: ModuleType, extension: str) -> str | None:
    """None if `module` loads sqlite-vec, else what went wrong."""
    if not hasattr(module.Connection, "enable_load_extension"):
        return "cannot load extensions"
    try:
        connection = module.connect(":memory:")
        try:
            _load_extension(connection, extension)
            connection.execute("SELECT vec_version()").fetchone()
        finally:
            connection.close()
    except (module.Error, AttributeError, OSError) as error:
        return f"could not load sqlite-vec ({error})"
    return None


def _load_extension(connection: Any, extension: str) -> None:
    connection.enable_load_extension(True)
    try:
        connection.load_extension(extension)
    finally:
        connection.enable_load_extension(False)


def _explain(problems: list[str]) -> str:
    """Join the drivers' problems into one sentence, ending with how to fix it."""
    missing = {"sqlean.py is not installed", "pysqlite3 is not installed"}
    if missing <= set(problems):
        problems = [p for p in problems if p not in missing]
        problems.append("neither sqlean.py nor pysqlite3 is installed")
    return " and ".join(problems) + f": {INSTALL_HINT}"
