"""Choosing the other end of a link: a keyword search as you type, and the link type."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from rekall.core.entries import LINK_TYPES, Entry, EntryFilter
from rekall.core.errors import RekallError

if TYPE_CHECKING:
    from rekall.service import Rekall

PICK_LIMIT = 12


class LinkChoice:
    """The entry to link to and the link type."""

    def __init__(self, target_id: str, target_title: str, link_type: str) -> None:
        self.target_id = target_id
        self.target_title = target_title
        self.link_type = link_type


class LinkPicker(ModalScreen[LinkChoice | None]):
    """Find the entry to link to by typing part of its title, tags or content."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    class Found(Message):
        """Candidates for one query (dropped unless it is still the latest)."""

        def __init__(self, seq: int, entries: list[Entry], error: str | None) -> None:
            super().__init__()
            self.seq = seq
            self.entries = entries
            self.error = error

    def __init__(self, service: Rekall, source: Entry) -> None:
        super().__init__()
        self.service = service
        self.source = source
        self.seq = 0
        self.titles: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="link-dialog", classes="dialog"):
            yield Static(Text(f"Link “{self.source.title}” to…"), classes="dialog-title")
            with Grid(id="link-fields"):
                yield Label("Link type")
                yield Select(
                    [(kind, kind) for kind in LINK_TYPES],
                    value="related",
                    allow_blank=False,
                    compact=True,
                    id="link-type",
                )
                yield Label("Find")
                yield Input(placeholder="words from the other entry", compact=True, id="link-query")
            yield OptionList(id="link-candidates")
            yield Static("enter picks · escape cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#link-query", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.seq += 1
        if event.value.strip():
            self.find(self.seq, event.value)
        else:
            self.query_one("#link-candidates", OptionList).clear_options()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        candidates = self.query_one("#link-candidates", OptionList)
        if candidates.option_count:
            candidates.focus()
            candidates.highlighted = 0

    @work(thread=True, exclusive=True, group="link-search")
    def find(self, seq: int, query: str) -> None:
        try:
            response = self.service.search(
                query, "keyword", EntryFilter(status=None), limit=PICK_LIMIT + 1
            )
        except RekallError as exc:
            self.post_message(self.Found(seq, [], str(exc)))
            return
        entries = [r.entry for r in response.results if r.entry.id != self.source.id]
        self.post_message(self.Found(seq, entries[:PICK_LIMIT], None))

    def on_link_picker_found(self, message: Found) -> None:
        if message.seq != self.seq:
            return
        if message.error:
            self.notify(message.error, title="Error", severity="error")
        candidates = self.query_one("#link-candidates", OptionList)
        self.titles = {entry.id: entry.title for entry in message.entries}
        candidates.set_options(
            Option(Text(f"{entry.type:<9} {entry.title}"), id=entry.id) for entry in message.entries
        )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is None:
            return
        kind = self.query_one("#link-type", Select).selection
        target = event.option.id
        self.dismiss(LinkChoice(target, self.titles.get(target, target), str(kind or "related")))

    def action_cancel(self) -> None:
        self.dismiss(None)
