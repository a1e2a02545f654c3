"""Modal forms: add or edit an entry, and choose the filters of the list and search."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, Label, Select, Static, TextArea

from rekall.core.editable import changed_fields, context_block, parse_context_block
from rekall.core.entries import DEFAULT_CONFIDENCE, ENTRY_TYPES, STATUSES, Entry, EntryFilter
from rekall.core.errors import RekallError
from rekall.interfaces.tui.dialogs import Dialog
from rekall.interfaces.tui.threads import after_typed_keys, run_in_thread
from rekall.interfaces.tui.typing_order import KeysInOrder, TextBox, typing_ahead

Save = Callable[[dict[str, Any]], Entry]


class ContentArea(KeysInOrder, TextArea):
    """The content box; ctrl+home and ctrl+end reach the start and the end of the text."""

    BINDINGS = [
        Binding("ctrl+home", "document_edge(False)", "Start", show=False),
        Binding("ctrl+end", "document_edge(True)", "End", show=False),
    ]

    def action_document_edge(self, end: bool) -> None:
        self.move_cursor(self.document.end if end else (0, 0))


class EntryForm(Dialog[Entry | None]):
    """Every field of an entry; enter (outside the content) or ctrl+s saves through the
    facade, which validates.

    Nothing typed is lost: the form stays open when the facade refuses the values, and
    escape asks before throwing changes away.
    """

    BINDINGS = [
        Binding("ctrl+s", "submit", "Save", priority=True),
    ]

    def __init__(self, heading: str, save: Save, entry: Entry | None = None) -> None:
        super().__init__()
        self.heading = heading
        self.save = save
        self.entry = entry
        self.saving = False
        self.initial: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        entry = self.entry
        with Vertical(id="form-dialog", classes="dialog"):
            yield Static(self.heading, classes="dialog-title")
            with Grid(id="form-fields"):
                yield from self._compose_fields()
            yield ContentArea(entry.content if entry else "", id="form-content")
            yield Label("Context (key: value lines; error, keyword and file repeat)")
            yield ContentArea(context_block(entry), id="form-context")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="form-save", compact=True)
                yield Button("Cancel (esc)", id="form-cancel", compact=True)
        yield Footer()

    def _compose_fields(self) -> ComposeResult:
        """The labelled one-line fields: type, title, tags, project and confidence."""
        entry = self.entry
        confidence = entry.confidence if entry else DEFAULT_CONFIDENCE
        yield Label("Type")
        yield Select(
            [(name, name) for name in ENTRY_TYPES],
            value=entry.type if entry else "til",
            allow_blank=False,
            compact=True,
            id="form-type",
        )
        yield Label("Title")
        yield TextBox(entry.title if entry else "", compact=True, id="form-title")
        yield Label("Tags")
        yield TextBox(
            ", ".join(entry.tags) if entry else "",
            placeholder="comma separated",
            compact=True,
            id="form-tags",
        )
        yield Label("Project")
        yield TextBox((entry.project or "") if entry else "", compact=True, id="form-project")
        yield Label("Confidence")
        yield Select(
            [(str(level), level) for level in range(6)],
            value=confidence,
            allow_blank=False,
            compact=True,
            id="form-confidence",
        )

    def on_mount(self) -> None:
        self.initial = self.values()
        self.set_focus(self.query_one("#form-title", Input))

    def values(self) -> dict[str, Any]:
        """What the form holds, the context as its text (see fields)."""
        return {
            "type": self.query_one("#form-type", Select).selection,
            "title": self.query_one("#form-title", Input).value,
            "tags": self.query_one("#form-tags", Input).value,
            "project": self.query_one("#form-project", Input).value,
            "confidence": self.query_one("#form-confidence", Select).selection,
            "content": self.query_one("#form-content", TextArea).text,
            "context": self.query_one("#form-context", TextArea).text,
        }

    def fields(self) -> dict[str, Any]:
        """The values as add/update keyword arguments (tags as one comma list), the context
        fields among them. Raises ValidationError on a broken context line."""
        values = self.values()
        return values | parse_context_block(values.pop("context"))

    def action_submit(self) -> None:
        if self.saving:
            return
        if typing_ahead(self.focused):
            # Save what was typed before ctrl+s (or enter), once the field has taken it in.
            after_typed_keys(cast(Widget, self.focused), self.action_submit)
            return
        try:
            values = self.fields()
        except RekallError as exc:
            self.notify(str(exc), severity="error")
            return
        if self.entry is not None and not changed_fields(self.entry, values):
            self.notify("No changes.")
            self.dismiss(None)
            return
        self.saving = True
        run_in_thread(self.app, lambda: self.save(values), self._saved, self._refused)

    def _saved(self, entry: Entry) -> None:
        if self.is_attached:
            self.dismiss(entry)

    def _refused(self, error: RekallError) -> None:
        self.saving = False

    def action_cancel(self) -> None:
        """Close the form; if anything was typed, ask first (no keeps the draft)."""
        if self.saving:
            return
        # Keys typed before escape and not yet in their field change the form too: ask.
        if self.values() == self.initial and not typing_ahead(self.focused):
            self.dismiss(None)
            return
        from rekall.interfaces.tui.dialogs import ConfirmScreen

        def answered(discard: bool | None) -> None:
            if discard and self.is_attached:
                self.dismiss(None)

        question = "Discard your changes to this entry?\nn (or escape) keeps editing."
        self.app.push_screen(ConfirmScreen(question, "Discard"), answered)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "form-save":
            self.action_submit()
        else:
            self.action_cancel()


STATUS_CHOICES = (*STATUSES, "all")


class FilterForm(Dialog[EntryFilter | None]):
    """Type, tag, project and status filters, applied to both the list and the search."""

    BINDINGS = [
        Binding("ctrl+s", "submit", "Apply", priority=True),
    ]

    def __init__(self, current: EntryFilter) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        current = self.current
        with Vertical(id="filter-dialog", classes="dialog"):
            yield Static("Filters", classes="dialog-title")
            with Grid(id="filter-fields"):
                yield Label("Type")
                yield Select(
                    [(name, name) for name in ENTRY_TYPES],
                    value=current.types[0] if current.types else Select.NULL,
                    prompt="any type",
                    compact=True,
                    id="filter-type",
                )
                yield Label("Tags")
                yield TextBox(
                    ", ".join(current.tags),
                    placeholder="all must match, comma separated",
                    compact=True,
                    id="filter-tags",
                )
                yield Label("Project")
                yield TextBox(
                    current.project or "", placeholder="any", compact=True, id="filter-project"
                )
                yield Label("Status")
                yield Select(
                    [(name, name) for name in STATUS_CHOICES],
                    value=current.status or "all",
                    allow_blank=False,
                    compact=True,
                    id="filter-status",
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply (enter)", variant="primary", id="filter-apply", compact=True)
                yield Button("Clear", id="filter-clear", compact=True)
                yield Button("Cancel (esc)", id="filter-cancel", compact=True)
            yield Static("space or ↓ opens a list · tab next field", classes="dialog-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#filter-type", Select))

    def chosen(self) -> EntryFilter:
        """The filter the fields describe."""
        kind = self.query_one("#filter-type", Select).selection
        raw_tags = self.query_one("#filter-tags", Input).value
        project = self.query_one("#filter-project", Input).value.strip()
        status = self.query_one("#filter-status", Select).selection
        return EntryFilter(
            types=(str(kind),) if kind else (),
            tags=tuple(tag.strip().lower() for tag in raw_tags.split(",") if tag.strip()),
            project=project or None,
            status=None if status == "all" else str(status),
        )

    def action_submit(self) -> None:
        if typing_ahead(self.focused):
            after_typed_keys(cast(Widget, self.focused), self.action_submit)
            return
        self.dismiss(self.chosen())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "filter-apply":
            self.action_submit()
        elif event.button.id == "filter-clear":
            self.dismiss(EntryFilter())
        else:
            self.action_cancel()
