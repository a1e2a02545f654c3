"""Choosing the other end of a link: a keyword search as you type, and the link type."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.message import Message
from textual.widgets import Footer, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from rekall.core.entries import LINK_TYPES, Entry, EntryFilter
from rekall.core.errors import RekallError
from rekall.interfaces.tui.dialogs import Dialog
from rekall.interfaces.tui.threads import after_typed_keys
from rekall.interfaces.tui.typing_order import TextBox

if TYPE_CHECKING:
    from rekall.interfaces.tui.app import RekallApp
    from rekall.service import Rekall

PICK_LIMIT = 12


class LinkChoice:
    """The entry to link to and the link type."""

    def __init__(self, target_id: str, target_title: str, link_type: str) -> None:
        self.target_id = target_id
        self.target_title = target_title
        self.link_type = link_type


class LinkPicker(Dialog[LinkChoice | None]):
    """Find the entry to link to by typing part of its title, tags or content; enter or
    ctrl+s picks the highlighted candidate (the top one until you move), once the
    candidates are those of the words as typed."""

    BINDINGS = [
        Binding("ctrl+s", "submit", "Pick", priority=True),
        Binding("down", "to_candidates", "Candidates"),
    ]

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
        self.shown = 0
        self.pick_when_shown = False
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
                yield TextBox(
                    placeholder="words from the other entry", compact=True, id="link-query"
                )
            yield OptionList(id="link-candidates")
            yield Static("enter picks the highlighted one · ↓ to choose", classes="dialog-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#link-query", Input))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.seq += 1
        if event.value.strip():
            self.find(self.seq, event.value)
        else:
            self.shown = self.seq
            self.query_one("#link-candidates", OptionList).clear_options()

    def action_to_candidates(self) -> None:
        candidates = self.query_one("#link-candidates", OptionList)
        if candidates.option_count:
            self.set_focus(candidates)
            if candidates.highlighted is None:
                candidates.highlighted = 0

    def action_submit(self) -> None:
        """Pick the highlighted candidate, once "Find" has taken in the keys typed before
        this one and their search has come back."""
        find = self.query_one("#link-query", Input)
        if self.focused is find:
            after_typed_keys(find, self._pick_highlighted)
        else:
            self._pick_highlighted()

    def _pick_highlighted(self) -> None:
        if not self.is_attached:
            return
        if self.shown != self.seq:
            self.pick_when_shown = True
            return
        candidates = self.query_one("#link-candidates", OptionList)
        if candidates.highlighted is None:
            self.notify("No entry to link to: type words from it.", timeout=3)
            return
        self._pick(candidates.get_option_at_index(candidates.highlighted).id)

    @work(thread=True, exclusive=True, group="link-search")
    def find(self, seq: int, query: str) -> None:
        with cast("RekallApp", self.app).calls.running() as allowed:
            if allowed:
                self._find_now(seq, query)

    def _find_now(self, seq: int, query: str) -> None:
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
        self.shown = message.seq
        if message.error:
            self.notify(message.error, title="Error", severity="error")
        candidates = self.query_one("#link-candidates", OptionList)
        self.titles = {entry.id: entry.title for entry in message.entries}
        candidates.set_options(
            Option(Text(f"{entry.type:<9} {entry.title}"), id=entry.id) for entry in message.entries
        )
        if message.entries:
            candidates.highlighted = 0
        if self.pick_when_shown:
            self.pick_when_shown = False
            self._pick_highlighted()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick(event.option.id)

    def _pick(self, target: str | None) -> None:
        if target is None:
            return
        kind = self.query_one("#link-type", Select).selection
        self.dismiss(LinkChoice(target, self.titles.get(target, target), str(kind or "related")))
