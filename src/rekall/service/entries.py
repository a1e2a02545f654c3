"""Entry and link operations of the facade: validate, write in one transaction, read back."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from rekall.core import entries as core
from rekall.core.context import apply_context_changes
from rekall.core.entries import Entry, EntryFilter, Link, NewEntry, supersession_cycles
from rekall.core.errors import NotFoundError, RefusedWriteError, RekallError, ValidationError
from rekall.core.ids import new_id

if TYPE_CHECKING:
    from rekall.storage.contract import Store

Clock = Callable[[], str]
# Who is writing: a token's name on the HTTP server (set per tool call), else the local user.
ACTING_AS: ContextVar[str | None] = ContextVar("rekall_acting_as", default=None)


def local_user() -> str:
    """The operating system's name for the person at this machine ("unknown" without one)."""
    import getpass  # loads termios: only when an entry is written

    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return "unknown"


def current_author() -> str:
    """The author recorded on the entries written now."""
    return ACTING_AS.get() or local_user()


# Called inside the write transaction with (connection, seq, entry as written, generation).
AfterWrite = Callable[[Any, int, Entry, int], None]


class EntryOperations:
    """Create, read, update, delete, list and link entries."""

    def __init__(self, db: Store, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def resolve(self, id_or_prefix: str) -> str:
        """Full id for an id or unique prefix. Raises NotFoundError, AmbiguousIdError."""
        with self.db.read() as conn:
            return self.db.repos.entries.resolve_id(conn, id_or_prefix)

    def insert(self, new: NewEntry, after_write: AfterWrite | None = None) -> Entry:
        """Write a validated entry (and whatever after_write adds, atomically); return it."""
        entry_id = new_id()
        with self.db.write() as (conn, generation):
            seq = self.db.repos.entries.insert_entry(conn, entry_id, new, self.clock())
            self.db.repos.entries.stamp_author(conn, entry_id, current_author(), created=True)
            entry = self.db.repos.entries.fetch_entry(conn, entry_id)
            if after_write:
                after_write(conn, seq, entry, generation)
        return entry

    def get(self, id_or_prefix: str, record_access: bool = False) -> Entry:
        """Read one entry, counting the access when asked. Raises NotFound/Ambiguous."""
        entry_id = self.resolve(id_or_prefix)
        if record_access:
            # Not a write of the base's content: no cache (rankings, counts, filters) holds
            # access counts, so reading bumps no generation and wakes no other process.
            self.db.record_access(entry_id, self.clock())
        with self.db.read() as conn:
            return self.db.repos.entries.fetch_entry(conn, entry_id)

    def update(
        self,
        entry_id: str,
        fields: dict[str, Any],
        tags: tuple[str, ...] | None,
        after_write: AfterWrite | None = None,
        context_changes: Mapping[str, Any] | None = None,
    ) -> Entry:
        """Apply validated field changes (tags included) to a resolved id; return the entry.

        context_changes, validated, are applied to the context as the write finds it: a
        context field another writer changed meanwhile and left out here stays as it is.
        """
        with self.db.write() as (conn, generation):
            if "superseded_by" in fields and fields["superseded_by"] is not None:
                fields["superseded_by"] = self.db.repos.entries.resolve_id(
                    conn, fields["superseded_by"]
                )
            if not self.db.repos.entries.update_entry(conn, entry_id, fields, self.clock()):
                raise self._not_updated(conn, entry_id)
            if tags is not None:
                self.db.repos.entries.replace_tags(conn, entry_id, tags)
            if context_changes:
                now = self.db.repos.transfer.read_contexts(conn, [entry_id]).get(entry_id)
                story = apply_context_changes(now, context_changes)
                self.db.repos.transfer.write_context(conn, entry_id, story)
            self.db.repos.entries.stamp_author(conn, entry_id, current_author(), created=False)
            entry = self.db.repos.entries.fetch_entry(conn, entry_id)
            if after_write:
                after_write(conn, self.db.repos.entries.seq_of(conn, entry_id), entry, generation)
        return entry

    def _not_updated(self, conn: Any, entry_id: str) -> RekallError:
        """Why an UPDATE of an entry the command had found changed no row: another process
        deleted it meanwhile, or, the row still there, a rule of the base (a row-level
        security policy's USING) hides it from this role's changes. Either way the write,
        rolled back, changed nothing."""
        try:
            self.db.repos.entries.seq_of(conn, entry_id)
        except NotFoundError:
            return NotFoundError(f"entry {entry_id} was deleted meanwhile; nothing was written")
        reason = (
            f"entry {entry_id} is there but its change was skipped: a row-level security "
            "policy or a trigger of the base keeps it as it is"
        )
        return RefusedWriteError(self.db.location, reason, None, own=False)

    def delete(self, id_or_prefix: str) -> Entry:
        """Delete an entry and everything hanging off it. Raises NotFound/Ambiguous."""
        entry_id = self.resolve(id_or_prefix)
        with self.db.write() as (conn, _):
            entry = self.db.repos.entries.fetch_entry(conn, entry_id)
            self.db.repos.entries.delete_entry(conn, entry_id)
        return entry

    def deprecate(self, id_or_prefix: str, superseded_by: str | None) -> Entry:
        """Mark deprecated, optionally superseded by another entry (linked as 'supersedes')."""
        entry_id = self.resolve(id_or_prefix)
        with self.db.write() as (conn, _):
            replacement = None
            if superseded_by:
                replacement = self.db.repos.entries.resolve_id(conn, superseded_by)
                if replacement == entry_id:
                    raise ValidationError("an entry cannot supersede itself")
                _refuse_cycle(self.db.repos.entries, conn, entry_id, replacement)
            if not self.db.repos.entries.update_entry(
                conn,
                entry_id,
                {"status": "deprecated", "superseded_by": replacement},
                self.clock(),
            ):
                raise self._not_updated(conn, entry_id)
            self.db.repos.entries.stamp_author(conn, entry_id, current_author(), created=False)
            if replacement and not _has_link(self.db, conn, replacement, entry_id, "supersedes"):
                self.db.repos.links.add_link(
                    conn,
                    replacement,
                    entry_id,
                    "supersedes",
                    "deprecated in favour of the newer entry",
                    self.clock(),
                )
            return self.db.repos.entries.fetch_entry(conn, entry_id)

    def list_entries(
        self, filters: EntryFilter, sort: str, limit: int, offset: int = 0
    ) -> list[Entry]:
        """Entries matching filters, sorted."""
        with self.db.read() as conn:
            return self.db.repos.entries.list_entries(conn, filters, sort, limit, offset)

    def count(self, filters: EntryFilter) -> int:
        """How many entries match filters."""
        with self.db.read() as conn:
            return self.db.repos.entries.count_matching(conn, filters)

    def link(self, a: str, b: str, link_type: str, reason: str | None) -> Link:
        """Link entry a to b. Raises ValidationError for self-links, duplicates, bad types."""
        kind = core.validate_link_type(link_type)
        reason = core.validate_reason(reason)
        source, target = self.resolve(a), self.resolve(b)
        now = self.clock()
        with self.db.write() as (conn, _):
            self.db.repos.links.add_link(conn, source, target, kind, reason, now)
            if not _has_link(self.db, conn, source, target, kind):
                # No error, no row: a trigger of the base skipped the insert.
                skipped = "a trigger of the base skipped the new link"
                raise RefusedWriteError(self.db.location, skipped, None, own=False)
        return Link(source, target, kind, reason, now)

    def unlink(self, a: str, b: str, link_type: str | None) -> int:
        """Remove links between a and b. Raises NotFoundError when there are none."""
        kind = core.validate_link_type(link_type) if link_type else None
        source, target = self.resolve(a), self.resolve(b)
        with self.db.write() as (conn, _):
            return self.db.repos.links.remove_link(conn, source, target, kind)

    def links(self, id_or_prefix: str) -> list[Link]:
        """Links touching an entry."""
        entry_id = self.resolve(id_or_prefix)
        with self.db.read() as conn:
            return self.db.repos.links.links_of(conn, entry_id)

    def related(self, id_or_prefix: str, depth: int) -> list[tuple[Entry, int]]:
        """Entries within depth link hops, nearest first. Raises ValidationError on depth < 1."""
        if not 1 <= depth <= 10:
            raise ValidationError("depth must be between 1 and 10")
        entry_id = self.resolve(id_or_prefix)
        with self.db.read() as conn:
            found = self.db.repos.links.related_ids(conn, entry_id, depth)
            return [(self.db.repos.entries.fetch_entry(conn, other), hop) for other, hop in found]


def validate_changes(
    changes: dict[str, Any], allow_empty: bool = False
) -> tuple[dict[str, Any], tuple[str, ...] | None]:
    """Validate edited fields; return (column values, tags or None). Raises ValidationError.

    allow_empty: other changes (the context) are made beside these, so none here is fine.
    """
    validators: dict[str, Callable[[Any], Any]] = {
        "type": core.validate_type,
        "title": core.validate_title,
        "content": core.validate_content,
        "project": core.validate_project,
        "confidence": core.validate_confidence,
        "status": core.validate_status,
        "superseded_by": lambda value: value,
    }
    fields: dict[str, Any] = {}
    tags: tuple[str, ...] | None = None
    for name, value in changes.items():
        if name == "tags":
            tags = core.validate_tags(value if not isinstance(value, str) else [value])
        elif name in validators:
            fields[name] = validators[name](value)
        else:
            raise ValidationError(f"'{name}' cannot be edited")
    if not fields and tags is None and not allow_empty:
        raise ValidationError("nothing to change; give at least one field to edit")
    return fields, tags


def _has_link(db: Store, conn: Any, source: str, target: str, link_type: str) -> bool:
    return any(
        link.source_id == source and link.target_id == target and link.type == link_type
        for link in db.repos.links.links_of(conn, source)
    )


def _refuse_cycle(repo: Any, conn: Any, entry_id: str, replacement: str) -> None:
    """Raise ValidationError when the replacement is itself superseded, directly or through
    others, by the entry being deprecated: readers would be sent round in a ring."""
    chains = repo.supersessions(conn)
    chains[entry_id] = replacement
    for ring in supersession_cycles(chains):
        if entry_id in ring:
            path = " -> ".join((*ring[ring.index(entry_id) :], *ring[: ring.index(entry_id)]))
            raise ValidationError(
                f"{entry_id} cannot be superseded by {replacement}: that would make a ring "
                f"({path} -> {entry_id}); deprecate the older entry in favour of the newer one"
            )
