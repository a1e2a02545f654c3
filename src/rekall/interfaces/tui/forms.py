"""Modal forms: add or edit an entry, and choose the filters of the list and search."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from rekall.core.editable import changed_fields, context_block, parse_context_block
from rekall.core.entries import DEFAULT_CONFIDENCE, ENTRY_TYPES, STATUSES, Entry, EntryFilter
from rekall.core.errors import RekallError
from rekall.interfaces.tui.threads import run_in_thread

Save = Callable[[dict[str, Any]], Entry]


class EntryForm(ModalScreen[Entry | None]):
    """Every field of an entry; ctrl+s saves through the facade, which validates.

    The form stays open when the facade refuses the values, so nothing typed is lost.
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, heading: str, save: Save, entry: Entry | None = None) -> None:
        super().__init__()
        self.heading = heading
        self.save = save
        self.entry = entry
        self.saving = False

    def compose(self) -> ComposeResult:
        entry = self.entry
        confidence = entry.confidence if entry else DEFAULT_CONFIDENCE
        with Vertical(id="form-dialog", classes="dialog"):
            yield Static(self.heading, classes="dialog-title")
            with Grid(id="form-fields"):
                yield Label("Type")
                yield Select(
                    [(name, name) for name in ENTRY_TYPES],
                    value=entry.type if entry else "til",
                    allow_blank=False,
                    compact=True,
                    id="form-type",
                )
                yield Label("Title")
                yield Input(entry.title if entry else "", compact=True, id="form-title")
                yield Label("Tags")
                yield Input(
                    ", ".join(entry.tags) if entry else "",
                    placeholder="comma separated",
                    compact=True,
                    id="form-tags",
                )
                yield Label("Project")
                yield Input((entry.project or "") if entry else "", compact=True, id="form-project")
                yield Label("Confidence")
                yield Select(
                    [(str(level), level) for level in range(6)],
                    value=confidence,
                    allow_blank=False,
                    compact=True,
                    id="form-confidence",
                )
            yield TextArea(entry.content if entry else "", id="form-content")
            yield Label("Context (key: value lines; error, keyword and file repeat)")
            yield TextArea(context_block(entry), id="form-context")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="form-save", compact=True)
                yield Button("Cancel (esc)", id="form-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#form-title", Input).focus()

    def values(self) -> dict[str, Any]:
        """What the form holds, as add/update keyword arguments (tags as one comma list),
        and the context fields. Raises ValidationError on a broken context line."""
        context = parse_context_block(self.query_one("#form-context", TextArea).text)
        return context | {
            "type": self.query_one("#form-type", Select).selection,
            "title": self.query_one("#form-title", Input).value,
            "tags": self.query_one("#form-tags", Input).value,
            "project": self.query_one("#form-project", Input).value,
            "confidence": self.query_one("#form-confidence", Select).selection,
            "content": self.query_one("#form-content", TextArea).text,
        }

    def action_save(self) -> None:
        if self.saving:
            return
        try:
            values = self.values()
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
        if not self.saving:
            self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "form-save":
            self.action_save()
        else:
            self.action_cancel()


STATUS_CHOICES = (*STATUSES, "all")


class FilterForm(ModalScreen[EntryFilter | None]):
    """Type, tag, project and status filters, applied to both the list and the search."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "apply", "Apply", priority=True),
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
                yield Input(
                    ", ".join(current.tags),
                    placeholder="all must match, comma separated",
                    compact=True,
                    id="filter-tags",
                )
                yield Label("Project")
                yield Input(
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

    def on_mount(self) -> None:
        self.query_one("#filter-type", Select).focus()

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

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_apply()

    def action_apply(self) -> None:
        self.dismiss(self.chosen())

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "filter-apply":
            self.action_apply()
        elif event.button.id == "filter-clear":
            self.dismiss(EntryFilter())
        else:
            self.action_cancel()
