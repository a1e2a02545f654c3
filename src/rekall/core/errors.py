"""Every error Rekall raises on purpose, each with a message a user can act on.

RekallError
 ├── NotFoundError           no entry matches an id or prefix (CLI exit code 1)
 ├── UsageError              bad input from the user (CLI exit code 2)
 │    ├── ValidationError    an entry, link or query field is invalid
 │    ├── AmbiguousIdError   a prefix matches several entries
 │    └── ConfigError        a config file, key or value is invalid
 ├── StorageError            the database cannot be opened, read or written
 │    ├── UnusableDatabaseError  the file is corrupt, another program's, or Rekall 0.3's
 │    ├── MigrationError     a schema upgrade failed (the database is rolled back)
 │    ├── NewerSchemaError   the database was written by a newer Rekall
 │    ├── CopyMismatchError  a copy's check found the target unlike the source (rolled back)
 │    └── RefusedWriteError  a constraint or trigger of the base refused a write (rolled back)
 ├── ConflictError           input that clashes with the base, e.g. an active token's name
 ├── ModelError              the embedding model is missing, partial or wrong
 └── ClientConfigError       an MCP client's config file cannot be read or safely edited
"""

from __future__ import annotations


class RekallError(Exception):
    """Base of all deliberate Rekall errors; the message is shown to the user as is."""


class UsageError(RekallError):
    """The user asked for something invalid; fixing the input fixes the problem."""


class ValidationError(UsageError):
    """A field of an entry, link or query is invalid."""


class NotFoundError(RekallError):
    """No entry has this id or id prefix: well-formed input that finds nothing, as
    grep exits 1, not a usage error."""


class AmbiguousIdError(UsageError):
    """An id prefix matches more than one entry."""

    def __init__(self, prefix: str, candidates: list[tuple[str, str]]) -> None:
        lines = "\n".join(f"  {entry_id}  {title}" for entry_id, title in candidates)
        count = f"{len(candidates)}" if len(candidates) < 10 else "10 or more"
        super().__init__(
            f"id prefix '{prefix}' matches {count} entries; type more characters:\n{lines}"
        )
        self.candidates = candidates


class ConfigError(UsageError):
    """A configuration file, key or value is invalid."""


class StorageError(RekallError):
    """The database cannot be opened, read or written."""


class UnusableDatabaseError(StorageError):
    """The database file is corrupt, belongs to another program, or to Rekall 0.3."""


class MigrationError(StorageError):
    """A schema migration failed; the database was rolled back to its previous state."""


class NewerSchemaError(StorageError):
    """The database schema is newer than this version of Rekall understands."""


class CopyMismatchError(StorageError):
    """After writing, `rekall db copy` found the target unlike the source; nothing was committed."""


class RefusedWriteError(StorageError):
    """The database refused a write: a unique id, a reference, a check or a trigger of its
    schema. The transaction was rolled back; reason is the database's own words, rule the
    refused constraint or trigger function when the database names it, and own whether that
    rule is one of Rekall's schema (True), one added to the base (False), or unknown (None)."""

    def __init__(
        self, location: str, reason: str, rule: str | None = None, own: bool | None = None
    ) -> None:
        super().__init__(f"{location} refused the write ({reason}); nothing was written")
        self.location = location
        self.reason = reason
        self.rule = rule
        self.own = own


class ConflictError(RekallError):
    """The request is well formed but clashes with what the base holds, such as a new token
    named like an active one: the fix is in the base (revoke it first), not in the input."""


class ModelError(RekallError):
    """The embedding model is missing, incomplete or not the expected one."""


class ClientConfigError(RekallError):
    """An MCP client's config file is malformed or changed under us; it was left untouched."""
