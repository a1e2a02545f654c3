"""The tools that change the knowledge base: add, update, deprecate, delete, link, unlink."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from rekall.core.entries import DEFAULT_CONFIDENCE
from rekall.interfaces.mcp import results
from rekall.interfaces.mcp.entry_context import ContextInput
from rekall.interfaces.mcp.outputs import AddOutput, ChangeOutput, LinkOutput, UnlinkOutput
from rekall.interfaces.mcp.params import EntryId, EntryType, LinkType, Status
from rekall.service import Rekall

Title = Annotated[
    str,
    Field(description="a one-line summary someone would search for, e.g. 'CORS fails on Safari'"),
]
Content = Annotated[
    str,
    Field(
        description="Markdown: the symptom, the cause, the fix or decision and why; "
        "code in fenced blocks. Limit 1 MB"
    ),
]
TagList = Annotated[
    list[str] | None, Field(description="single lower-case words, e.g. ['cors', 'safari']")
]
Confidence = Annotated[int, Field(ge=0, le=5, description="0-5, how sure you are (default 3)")]
Reason = Annotated[str | None, Field(description="why the entries are linked, in a few words")]


def _given_changes(
    fields: dict[str, Any], context: ContextInput | None
) -> tuple[dict[str, Any], list[str]]:
    """The update keyword arguments of the fields given (not None) and of the context, and
    the names of what changes, context fields as context.<name>."""
    changes = {name: value for name, value in fields.items() if value is not None}
    named = list(changes)
    if context is not None and context.changes():
        changes["context"] = context.changes()
        named += [f"context.{name}" for name in changes["context"]]
    return changes, named


class WriteTools:
    """Tools that add, change or remove entries and links."""

    def __init__(self, service: Rekall) -> None:
        self.service = service

    def add_entry(
        self,
        type: Annotated[EntryType, Field(description="what kind of knowledge this is")],
        title: Title,
        content: Content = "",
        tags: TagList = None,
        project: Annotated[str | None, Field(description="the project it belongs to")] = None,
        confidence: Confidence = DEFAULT_CONFIDENCE,
        context: Annotated[
            ContextInput | None,
            Field(description="the story: situation, solution, exact errors, keywords, files"),
        ] = None,
    ) -> AddOutput:
        """Record a new entry in the developer knowledge base so it can be found again later.

        Use it when a bug is solved, a decision is made, a pitfall or useful pattern is found,
        or the user asks to remember something. Types: bug (symptom and fix), pattern,
        decision (what and why), pitfall, config, reference, snippet, til. Give the context
        too: the exact error messages and the files touched are what finds the entry when the
        problem comes back. Search first to avoid duplicates: update the existing entry
        instead when one matches. Returns the new entry's id and summary, and in
        similar_existing the entries it closely resembles.
        """
        entry = self.service.add(
            type,
            title,
            content,
            tuple(tags or ()),
            project,
            confidence,
            context.changes() if context else None,
        )
        return results.add_output(entry, self.service.similar_existing(entry.id))

    def update_entry(
        self,
        id: EntryId,
        title: Annotated[str | None, Field(description="the new one-line summary")] = None,
        content: Annotated[
            str | None, Field(description="the new whole content (replaces the old one)")
        ] = None,
        type: Annotated[EntryType | None, Field(description="the new entry type")] = None,
        tags: Annotated[
            list[str] | None, Field(description="the new complete tag list (replaces the old)")
        ] = None,
        project: Annotated[
            str | None, Field(description="the new project; an empty string clears it")
        ] = None,
        confidence: Annotated[int | None, Field(ge=0, le=5, description="the new 0-5")] = None,
        status: Annotated[
            Status | None, Field(description="'active' revives a deprecated entry")
        ] = None,
        context: Annotated[
            ContextInput | None,
            Field(description="context fields to change; the ones left out stay as they are"),
        ] = None,
    ) -> ChangeOutput:
        """Change fields of an existing entry; fields left out stay as they are.

        Use it to correct or complete an entry (a better fix, a new detail, an error message
        seen again) instead of adding a near-duplicate. Content, tags and each context list
        are replaced whole, so read the entry with get_entry first when extending them.
        Returns the updated summary.
        """
        fields: dict[str, Any] = {"title": title, "content": content, "type": type, "tags": tags}
        fields |= {"project": project, "confidence": confidence, "status": status}
        changes, named = _given_changes(fields, context)
        entry = self.service.update(id, **changes)
        changed = ", ".join(named) or "nothing"
        return ChangeOutput(
            action="updated", entry=results.summary(entry), message=f"Updated {changed}."
        )

    def deprecate_entry(
        self,
        id: EntryId,
        superseded_by: Annotated[
            str | None, Field(description="id (or prefix) of the entry that replaces it")
        ] = None,
    ) -> ChangeOutput:
        """Mark an entry as outdated without deleting it, optionally naming its replacement.

        Use it instead of delete_entry when knowledge became wrong or obsolete: searches hide
        deprecated entries by default, and the replacement gets a 'supersedes' link. Returns
        the entry's summary.
        """
        entry = self.service.deprecate(id, superseded_by)
        replaced = f", superseded by {entry.superseded_by}" if entry.superseded_by else ""
        return ChangeOutput(
            action="deprecated",
            entry=results.summary(entry),
            message=f"Deprecated {entry.id}{replaced}.",
        )

    def delete_entry(self, id: EntryId) -> ChangeOutput:
        """Delete an entry for good, with its tags and links. This cannot be undone.

        Only use it when the user asks to delete, or for an entry just added by mistake;
        for outdated knowledge use deprecate_entry instead. Returns what was deleted.
        """
        entry = self.service.delete(id)
        return ChangeOutput(
            action="deleted",
            entry=results.summary(entry),
            message=f"Deleted {entry.id} and its links.",
        )

    def link_entries(
        self,
        source_id: EntryId,
        target_id: EntryId,
        link_type: Annotated[
            LinkType,
            Field(
                description="related (default); supersedes (source replaces target); "
                "derived_from (source builds on target); contradicts"
            ),
        ] = "related",
        reason: Reason = None,
    ) -> LinkOutput:
        """Link two entries with a typed relation, so one leads to the other.

        Use it when an entry builds on, replaces, or contradicts another, or is simply
        related. Returns the link; linking the same pair with the same type twice is an error
        that changes nothing.
        """
        return results.link_output(self.service.link(source_id, target_id, link_type, reason))

    def unlink_entries(
        self,
        source_id: EntryId,
        target_id: EntryId,
        link_type: Annotated[
            LinkType | None, Field(description="only remove links of this type (default: all)")
        ] = None,
    ) -> UnlinkOutput:
        """Remove the links between two entries (in either direction).

        Use it when a link is wrong. Returns how many links were removed.
        """
        source = self.service.get(source_id, record_access=False).id
        target = self.service.get(target_id, record_access=False).id
        removed = self.service.unlink(source, target, link_type)
        return UnlinkOutput(source_id=source, target_id=target, removed=removed)
