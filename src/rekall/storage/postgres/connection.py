"""Reaching a PostgreSQL server: URL checks, masked URLs, and errors a user can act on."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from rekall.core.errors import StorageError

MIN_SERVER_VERSION = 140000
MIN_PGVECTOR = (0, 5, 0)
CONNECT_TIMEOUT_S = 5
INSTALL_HINT = (
    "install it with pip install 'rekall[postgres]' (from a clone: pip install -e '.[postgres]')"
)


# TCP keepalives find a peer gone without a word (a NAT's or firewall's idle timeout, a laptop
# resuming on another network): a pooled connection is then found dead when next used, and
# data the peer never acknowledges ends the connection in 30 s rather than after the kernel's
# ~15 minutes of retries.
KEEPALIVES: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,  # ms
}


def is_postgres_url(url: str) -> bool:
    """True for postgresql:// and postgres:// URLs."""
    return url.split("://", 1)[0].lower() in ("postgresql", "postgres")


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***, for messages and `rekall stats`."""
    try:
        parts = urlsplit(url)
        if not parts.password:
            return url
        user = parts.username or ""
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
    except ValueError:
        return "(an unreadable database_url)"


def check_url(url: str) -> None:
    """Raise StorageError when url is not a PostgreSQL URL psycopg can parse, or psycopg is
    not installed to parse it."""
    if not is_postgres_url(url):
        raise StorageError(
            f"database_url {mask_url(url)!r} is not a PostgreSQL URL; "
            "use postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
        )
    conninfo_to_dict = import_psycopg().conninfo.conninfo_to_dict
    try:
        urlsplit(url).port  # noqa: B018 - raises ValueError on a port that is not a number
        conninfo_to_dict(url)
    except Exception as exc:  # psycopg raises ProgrammingError for any parse failure
        raise StorageError(
            f"database_url {mask_url(url)} cannot be read ({_first_line(exc)}); "
            "use postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
        ) from None


def import_psycopg() -> Any:
    """The psycopg module. Raises StorageError naming the extra to install."""
    try:
        import psycopg
    except ImportError:
        raise StorageError(
            f"database_url points at PostgreSQL, but psycopg is not installed; {INSTALL_HINT}"
        ) from None
    return psycopg


def describe_error(url: str, exc: Exception) -> StorageError:
    """Turn a psycopg (or pool) error into a message naming the (masked) URL and what to do.

    What went wrong is told by the error's class and SQLSTATE, never by words of its message
    alone: a trigger's or a check's message may say "refused" or "server". Only a failure to
    connect, which libpq reports without a SQLSTATE, is read further from its text."""
    text = _first_line(exc)
    where = mask_url(url)
    state = getattr(exc, "sqlstate", None) or ""
    unreachable = _connection_failure(exc, state)
    lowered = text.lower() if unreachable else ""
    if state.startswith("28") or any(
        words in lowered
        for words in ("password authentication failed", "no password supplied", 'role "')
    ):
        return StorageError(
            f"PostgreSQL at {where} refused the login ({text}); fix the user "
            "or password in database_url"
        )
    if state == "3D000" or ('database "' in lowered and "does not exist" in lowered):
        return StorageError(f"{text} at {where}; create it (createdb NAME) or fix database_url")
    if state in ("57014", "55P03"):  # a timeout the server applied, not the network
        return StorageError(
            f"PostgreSQL at {where} stopped the statement ({text}); nothing was written. A "
            "statement_timeout or lock_timeout set on the server, database or role ended it: "
            "raise it for this work, or try again when the server is quieter"
        )
    if unreachable:
        return StorageError(
            f"cannot reach PostgreSQL at {where} ({text}); start the server or fix "
            "database_url, then try again"
        )
    return StorageError(f"database error on {where}: {text}")


def _connection_failure(exc: Exception, state: str) -> bool:
    """True when the server could not be reached or the connection was lost: no connection
    from the pool in time, a connection error of libpq (no SQLSTATE), SQLSTATE class 08,
    or the server shutting down or not yet accepting connections (57P01-57P03)."""
    from psycopg_pool import PoolTimeout  # installed with psycopg by the postgres extra

    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, import_psycopg().OperationalError):
        return False
    return not state or state.startswith("08") or state in ("57P01", "57P02", "57P03")


def major_version(number: int) -> str:
    """PostgreSQL's version number as people say it: 180001 → '18', 90624 → '9.6'."""
    if number >= 100000:
        return str(number // 10000)
    return f"{number // 10000}.{number // 100 % 100}"


def server_problem(number: int, url: str) -> str | None:
    """Why a server of this version number cannot serve Rekall, with the fix; None if it can."""
    if number >= MIN_SERVER_VERSION:
        return None
    return (
        f"PostgreSQL at {mask_url(url)} is version {major_version(number)}; Rekall needs "
        f"{major_version(MIN_SERVER_VERSION)} or newer: upgrade the server (or point "
        "database_url at a newer one)"
    )


def pgvector_problem(version: str | None, url: str) -> str | None:
    """Why this pgvector version cannot serve Rekall (HNSW came in 0.5.0); None if it can."""
    if version_tuple(version) >= MIN_PGVECTOR:
        return None
    needed = ".".join(map(str, MIN_PGVECTOR))
    return (
        f"the pgvector extension in the database at {mask_url(url)} is version {version}; "
        f"Rekall needs {needed} or newer (for HNSW indexes): install a newer pgvector on the "
        "server, then run ALTER EXTENSION vector UPDATE in that database"
    )


def check_server(conn: Any, url: str) -> None:
    """Refuse servers older than PostgreSQL 14. Raises StorageError with the fix."""
    problem = server_problem(int(conn.info.server_version), url)
    if problem is not None:
        raise StorageError(problem)


def ensure_vector_extension(conn: Any, url: str) -> None:
    """CREATE EXTENSION vector when missing. Raises StorageError saying how to get it."""
    psycopg = import_psycopg()
    available = conn.execute(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
    ).fetchone()
    if available is None:
        raise StorageError(
            f"the pgvector extension is not installed on the PostgreSQL server at "
            f"{mask_url(url)}; install it on the server (the postgresql-NN-pgvector package, "
            "or build pgvector), then try again"
        )
    try:
        conn.execute(_create_extension_statement(conn))
    except psycopg.errors.InsufficientPrivilege:
        raise StorageError(
            f"the pgvector extension is not enabled in the database at {mask_url(url)} and "
            "this user may not enable it; ask an administrator to run CREATE EXTENSION vector "
            "in that database"
        ) from None
    problem = pgvector_problem(extension_version(conn, "vector"), url) or _unseen_vector(conn, url)
    if problem is not None:
        raise StorageError(problem)


def _create_extension_statement(conn: Any) -> str:
    """CREATE EXTENSION vector into public when the search path holds it: left to itself the
    server puts it in the path's first schema, a base's own when bases share a database in
    schemas of their own, where no other base sees it and dropping that base drops it."""
    shared = conn.execute("SELECT 'public' = ANY(current_schemas(false))").fetchone()[0]
    return "CREATE EXTENSION IF NOT EXISTS vector" + (" SCHEMA public" if shared else "")


def _unseen_vector(conn: Any, url: str) -> str | None:
    """Why this connection cannot use pgvector's types although the database has it: the
    extension's schema is not on its search path. None when it can."""
    if conn.execute("SELECT to_regtype('vector')").fetchone()[0] is not None:
        return None
    schema = conn.execute(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'vector'"
    ).fetchone()[0]
    return (
        f"pgvector is installed in the schema {schema} of the database at {mask_url(url)}, "
        f"which is not on this connection's search path; add it after the base's own schema "
        f"(options=-csearch_path=BASE_SCHEMA,{schema} in the URL)"
    )


def extension_version(conn: Any, name: str) -> str | None:
    """The installed version of an extension in this database, or None."""
    row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = %s", (name,)).fetchone()
    return None if row is None else str(row[0])


def version_tuple(text: str | None) -> tuple[int, ...]:
    """'0.8.2' → (0, 8, 2); None → ()."""
    if not text:
        return ()
    return tuple(int(part) for part in text.split(".") if part.isdigit())


class Row(tuple):  # type: ignore[type-arg]
    """A result row readable by position and by column name, as sqlite3.Row is."""

    names: dict[str, int] = {}

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self.names)


def named_rows(cursor: Any) -> Callable[[Sequence[Any]], Row]:
    """A psycopg row factory giving Row objects."""
    names = {column.name: i for i, column in enumerate(cursor.description or ())}
    row_class = type("NamedRow", (Row,), {"names": names})

    def make(values: Sequence[Any]) -> Row:
        return row_class(values)  # type: ignore[no-any-return]

    return make


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
