"""What any screen can do to an entry: add, edit, deprecate, delete and link it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import App, SuspendNotSupported

from rekall.core.entries import Entry
from rekall.core.errors import RekallError
from rekall.interfaces.tui.threads import (
    EntriesChanged,
    FacadeCalls,
    report_error,
    run_in_thread,
)

if TYPE_CHECKING:
    from rekall.core.results import SearchResult
    from rekall.interfaces.tui.link_picker import LinkChoice
    from rekall.service import Rekall

# Dialogs, forms and the editor hand-off are imported when first used: the first paint of a
# big base waits for nothing it does not show.


class EntryActionsApp(App[None]):
    """The app's entry operations; each write runs off the UI thread through the facade,
    which embeds changed text in the same transaction, so it is searchable at once."""

    service: Rekall
    # The facade calls worker threads are making (close the facade only after them).
    calls: FacadeCalls

    def changed(self, message: str, deleted: str | None = None) -> None:
        """Tell the user, and every open screen, that entries changed."""
        self.notify(message, timeout=4)
        for screen in self.screen_stack:
            screen.post_message(EntriesChanged(deleted))

    def fetch(self, entry_id: str) -> Entry | None:
        """The entry as stored now, or None after reporting why not."""
        try:
            return self.service.get(entry_id, record_access=False)
        except RekallError as exc:
            report_error(self, exc)
            return None

    def add_entry(self) -> None:
        from rekall.core.editable import context_of
        from rekall.interfaces.tui.forms import EntryForm

        lookalikes: dict[str, list[SearchResult]] = {}

        def save(values: dict[str, Any]) -> Entry:
            entry = self.service.add(
                values["type"],
                values["title"],
                values["content"],
                (values["tags"],),
                values["project"] or None,
                values["confidence"],
                context_of(values),
            )
            # Found before the form closes, so the offer to link shows as it closes rather
            # than popping up later over whatever the user went on to type.
            try:
                lookalikes[entry.id] = self.service.similar_existing(entry.id)
            except RekallError:
                lookalikes[entry.id] = []  # saved all the same; nothing to offer
            return entry

        def added(entry: Entry | None) -> None:
            self._saved(entry)
            if entry is not None and lookalikes.get(entry.id):
                self.offer_link(entry, lookalikes[entry.id])

        self.push_screen(EntryForm("New entry", save), added)

    def offer_link(self, entry: Entry, matches: list[SearchResult]) -> None:
        """Offer to link a new entry to the existing one it most resembles: y links."""
        from rekall.interfaces.tui.dialogs import ConfirmScreen

        best = matches[0].entry
        others = "".join(f"\n  also like: {m.entry.title}" for m in matches[1:])
        question = (
            f"This looks like: {best.title} ({best.id[:12]}){others}\n\n"
            f"Link “{entry.title}” to it as related?"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                run_in_thread(
                    self,
                    lambda: self.service.link(entry.id, best.id, "related"),
                    lambda link: self.changed(f"Linked “{entry.title}” —related→ “{best.title}”"),
                )

        self.push_screen(ConfirmScreen(question, "Link"), answered)

    def edit_entry(self, entry_id: str) -> None:
        from rekall.core.editable import changed_fields
        from rekall.interfaces.tui.forms import EntryForm

        entry = self.fetch(entry_id)
        if entry is None:
            return

        def save(values: dict[str, Any]) -> Entry:
            return self.service.update(entry.id, **changed_fields(entry, values))

        self.push_screen(EntryForm("Edit entry", save, entry), self._saved)

    def _saved(self, entry: Entry | None) -> None:
        if entry is not None:
            self.changed(f"Saved “{entry.title}” ({entry.id})")

    def edit_in_editor(self, entry_id: str) -> None:
        """Hand the terminal to $EDITOR on the entry as Markdown, then save what changed."""
        from rekall.core.editable import edited_changes, entry_to_document
        from rekall.interfaces.tui.document import edit_text

        entry = self.fetch(entry_id)
        if entry is None:
            return
        document = entry_to_document(entry)
        try:
            with self.suspend():
                edited = edit_text(document)
            changes = edited_changes(entry, edited, document)
        except SuspendNotSupported:
            self.notify("This terminal cannot hand over to an editor; press e for the form.")
            return
        except RekallError as exc:
            report_error(self, exc)
            return
        if not changes:
            self.notify("No changes.")
            return
        run_in_thread(self, lambda: self.service.update(entry.id, **changes), self._saved)

    def deprecate_entry(self, entry_id: str) -> None:
        from rekall.interfaces.tui.dialogs import ConfirmScreen

        entry = self.fetch(entry_id)
        if entry is None:
            return
        if entry.status == "deprecated":
            self.notify("This entry is already deprecated.")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                run_in_thread(
                    self,
                    lambda: self.service.deprecate(entry.id),
                    lambda done: self.changed(f"Deprecated “{done.title}”"),
                )

        question = f"Deprecate “{entry.title}”?\nIt is kept, but left out of default searches."
        self.push_screen(ConfirmScreen(question, "Deprecate"), answered)

    def delete_entry(self, entry_id: str) -> None:
        from rekall.interfaces.tui.dialogs import ConfirmScreen

        entry = self.fetch(entry_id)
        if entry is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                run_in_thread(
                    self,
                    lambda: self.service.delete(entry.id),
                    lambda gone: self.changed(f"Deleted “{gone.title}”", deleted=gone.id),
                )

        question = f"Delete “{entry.title}”?\nIts tags, links and vector go too: no undo."
        self.push_screen(ConfirmScreen(question, "Delete"), answered)

    def link_entry(self, entry_id: str) -> None:
        from rekall.interfaces.tui.link_picker import LinkPicker

        entry = self.fetch(entry_id)
        if entry is None:
            return

        def chosen(choice: LinkChoice | None) -> None:
            if choice is not None:
                run_in_thread(
                    self,
                    lambda: self.service.link(entry.id, choice.target_id, choice.link_type),
                    lambda link: self.changed(
                        f"Linked “{entry.title}” —{link.type}→ “{choice.target_title}”"
                    ),
                )

        self.push_screen(LinkPicker(self.service, entry), chosen)
