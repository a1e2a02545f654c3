"""Schema upgrades on PostgreSQL: one advisory lock, one transaction per step."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rekall.core.errors import MigrationError, NewerSchemaError
from rekall.storage.postgres.connection import mask_url
from rekall.storage.postgres.schema import MIGRATIONS, Migration

# Any constant works, as long as every Rekall process uses the same one: two processes
# starting at once against a new database must not both create the tables.
MIGRATION_LOCK = 7_210_014
INSUFFICIENT_PRIVILEGE = "42501"


def schema_version(conn: Any) -> int:
    """The schema version recorded in rekall_schema (0 for a new database)."""
    row = conn.execute("SELECT max(version) FROM rekall_schema").fetchone()
    return int(row[0] or 0)


def migrate(
    conn: Any,
    url: str,
    migrations: Sequence[Migration] = MIGRATIONS,
    prepare: Callable[[Any], None] | None = None,
) -> int:
    """Apply pending migrations on an autocommit connection; return how many ran.

    prepare (creating extensions) runs first under the same lock: even CREATE EXTENSION IF
    NOT EXISTS fails when two sessions run it at once.

    Raises NewerSchemaError when the database is newer than this code, MigrationError when a
    step fails (that step is rolled back).
    """
    conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        if prepare is not None:
            prepare(conn)
        _create_version_table(conn)
        current = schema_version(conn)
        if current > len(migrations):
            raise NewerSchemaError(
                f"the database at {mask_url(url)} has schema version {current} but this Rekall "
                f"understands up to {len(migrations)}; upgrade Rekall to use it"
            )
        for version in range(current + 1, len(migrations) + 1):
            _apply_one(conn, migrations[version - 1], version, url)
        return len(migrations) - current
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


def _create_version_table(conn: Any) -> None:
    """rekall_schema, in the schema new tables go to, when it is not there yet. Looked for
    first: even CREATE TABLE IF NOT EXISTS needs CREATE on the schema, which a team member's
    role that only reads and writes the base does not have."""
    found = conn.execute(
        "SELECT to_regclass(format('%I.rekall_schema', current_schema()))"
    ).fetchone()
    if found is not None and found[0] is not None:
        return
    conn.execute(
        "CREATE TABLE IF NOT EXISTS rekall_schema "
        "(version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )


def _apply_one(conn: Any, step: Migration, version: int, url: str) -> None:
    try:
        with conn.transaction():
            step(conn)
            conn.execute("INSERT INTO rekall_schema (version) VALUES (%s)", (version,))
    except Exception as exc:
        raise MigrationError(
            f"upgrading the database at {mask_url(url)} to schema version {version} "
            f"({step.__name__}) failed: {exc}. That step was rolled back; the database is at "
            f"schema version {version - 1}{_owner_advice(conn, exc)}"
        ) from exc


def _owner_advice(conn: Any, exc: Exception) -> str:
    """What to do when the step needed the owner of the base's tables (privilege refused):
    a team member's role may read and write the base but not alter its indexes."""
    if getattr(exc, "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
        return ""
    try:
        row = conn.execute(
            "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename = 'entries'"
        ).fetchone()
    except Exception:  # the advice is a courtesy: the failure itself is already named
        row = None
    owner = f"the role {row[0]}" if row else "the role that owns the base's tables"
    return (
        f". Schema upgrades need the owner of the base: run any rekall command once as "
        f"{owner} (or ask its owner to), and every client can then use it"
    )
