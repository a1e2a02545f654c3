"""The main screen: a search box over the entry list, results replacing it as you type."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static
from textual.worker import get_current_worker

from rekall.core.entries import Entry, EntryFilter
from rekall.core.errors import RekallError
from rekall.interfaces.tui.entry_table import EntryTable
from rekall.interfaces.tui.main_widgets import ResultsTable, SearchBox
from rekall.interfaces.tui.searching import (
    MODES,
    SEARCH_LIMIT,
    SORTS,
    ModelWarmed,
    SearchDone,
    SearchFailed,
    SearchRequest,
    describe_filters,
    list_status,
    more_results,
    next_in,
    results_status,
)
from rekall.interfaces.tui.threads import EntriesChanged, after_typed_keys, report_error

if TYPE_CHECKING:
    from rekall.interfaces.tui.app import RekallApp

HEADER_SORTS = {"Type": "type", "Title": "title", "Updated": "updated"}


class MainScreen(Screen[None]):
    """Browse every entry, or search as you type; enter opens the entry under the cursor."""

    BINDINGS = [
        # Enter is decided here, in the order keys arrive, so that it never acts on a list
        # an older query left on screen (see action_enter).
        Binding("enter", "enter", "Open", show=False, priority=True),
        Binding("ctrl+t", "cycle_mode", "Mode", priority=True),
        Binding("ctrl+f", "filters", "Filter", priority=True),
        Binding("ctrl+n", "add", "Add", show=False, priority=True),
        Binding("escape", "escape", "Back", show=False, priority=True),
    ]

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode
        self.filters = EntryFilter()
        self.sort = "updated"
        self.query_text = ""
        self.seq = 0
        self.warming = False
        self.model_missing = False
        # The search whose results the table shows (benchmarks time keystrokes with it).
        self.last_shown: SearchRequest | None = None
        # The seq whose outcome (results or an error) is on screen: older means searching.
        self.settled = 0
        # Enter was pressed on results still being searched: open the top one when shown.
        self.open_when_shown = False
        # Enters that left the search box before it took in the keys typed ahead of them.
        self.unflushed = 0
        self._told: set[str] = set()

    @property
    def rekall(self) -> RekallApp:
        return cast("RekallApp", self.app)

    @property
    def table(self) -> EntryTable:
        return self.query_one("#entries", EntryTable)

    def compose(self) -> ComposeResult:
        yield SearchBox()
        yield Static("", id="status", markup=False)
        yield ResultsTable(id="entries")
        yield Footer()

    def on_mount(self) -> None:
        self._show_search_title()
        self.show_list()

    # -- the listing ---------------------------------------------------------------------
    def _page(self, offset: int, limit: int) -> list[Entry]:
        return self.rekall.service.list_entries(self.filters, self.sort, limit, offset)

    def show_list(self, keep_position: bool = False) -> None:
        """Show the browse listing (first page only; more as the cursor moves down)."""
        try:
            self.table.browse(self._page, keep_position)
        except RekallError as exc:
            report_error(self.app, exc)
        self.set_status(list_status(len(self.table.entries), self.table.has_more, self.sort))

    def set_status(self, text: str) -> None:
        self.query_one("#status", Static).update(text)

    def _show_search_title(self) -> None:
        search = self.query_one("#search", Input)
        search.border_title = f"Search · {self.mode} (ctrl+t)"
        search.border_subtitle = describe_filters(self.filters)

    # -- searching -----------------------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "search":
            self.query_text = event.value
            self.run_search()

    @property
    def searching(self) -> bool:
        """True while the results on screen are not yet those of the query as typed."""
        return self.settled != self.seq or self.unflushed > 0

    def run_search(self) -> None:
        """Start a search for the current text; an empty box shows the listing again."""
        self.seq += 1
        if not self.query_text.strip():
            self.app.workers.cancel_group(self, "search")
            self.settled = self.seq
            self.show_list()
            return
        mode, provisional = self._plan()
        request = SearchRequest(self.seq, self.query_text, mode, self.filters, provisional)
        self.search(request)

    def _plan(self) -> tuple[str, bool]:
        """While the model is not loaded, search by keywords and load the model aside."""
        if self.mode == "keyword" or self.model_missing:
            return self.mode, False
        if self.rekall.service.semantic.models.loaded:
            return self.mode, False
        if not self.warming:
            self.warming = True
            self.set_status("Loading embedding model…")
            self.warm_model(self.query_text, self.mode, self.filters)
        return "keyword", True

    @work(thread=True, exclusive=True, group="search")
    def search(self, request: SearchRequest) -> None:
        """Run one search off the UI thread; a newer keystroke cancels this worker, and the
        seq check drops its results if the facade call finishes anyway."""
        if get_current_worker().is_cancelled:
            return
        service = self.rekall.service
        try:
            response = service.search(request.query, request.mode, request.filters, SEARCH_LIMIT)
        except RekallError as exc:
            self.post_message(SearchFailed(request, str(exc)))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(SearchDone(request, response))

    @work(thread=True, group="model")
    def warm_model(self, query: str, mode: str, filters: EntryFilter) -> None:
        """Load the model with a real search; its results are redone once it is loaded."""
        service = self.rekall.service
        try:
            service.search(query, mode, filters, 1)
        except RekallError as exc:
            self.post_message(SearchFailed(SearchRequest(-1, query, mode, filters), str(exc)))
        self.post_message(ModelWarmed(service.semantic.models.loaded))

    def on_model_warmed(self, message: ModelWarmed) -> None:
        self.warming = False
        self.model_missing = not message.loaded
        if self.query_text.strip():
            self.run_search()

    def on_search_done(self, message: SearchDone) -> None:
        request, response = message.request, message.response
        if request.seq != self.seq:
            return
        entries = [result.entry for result in response.results]
        more = more_results(self.rekall.service, request)
        self.table.show_results(entries, more, SEARCH_LIMIT)
        self.last_shown = request
        self.settled = request.seq
        self.set_status(results_status(request, response))
        for notice in response.notices:
            if notice not in self._told:
                self._told.add(notice)
                self.notify(notice, severity="warning", timeout=8)
        self._open_if_asked()

    def on_search_failed(self, message: SearchFailed) -> None:
        if message.request.seq == self.seq:
            self.settled = self.seq
            self.open_when_shown = False
        if message.request.seq in (self.seq, -1):
            self.notify(message.error, title="Error", severity="error", timeout=8)
            self.set_status(message.error.splitlines()[0])

    # -- keys ----------------------------------------------------------------------------
    def action_enter(self) -> None:
        """From the search box, go to the results; in them, open the entry under the cursor,
        or, while the typed query is still being searched, its top result once shown."""
        search = self.query_one("#search", Input)
        if self.focused is search:
            self.set_focus(self.table)  # now, so the next key already goes to the table
            # The box may still hold keys typed before this enter; until it has taken
            # them in (and started their search), the results count as stale.
            self.unflushed += 1
            after_typed_keys(search, self._search_flushed)
        elif self.focused is self.table:
            if self.searching:
                self.open_when_shown = True
                self.set_status(f"Searching “{self.query_text}”… enter opens the top result")
            else:
                self._open_current()
        else:
            raise SkipAction()

    def _search_flushed(self) -> None:
        self.unflushed -= 1
        if not self.searching:
            self._open_if_asked()

    def _open_if_asked(self) -> None:
        if self.open_when_shown and not self.searching:
            self.open_when_shown = False
            if self.table.entries:
                self._open_current()
            else:
                self.notify("Nothing to open: no results.", timeout=3)

    def _open_current(self) -> None:
        entry = self.table.current_entry()
        if entry is not None:
            self.rekall.open_entry(entry.id)

    def action_focus_search(self) -> None:
        self.open_when_shown = False
        self.set_focus(self.query_one("#search", Input))

    def action_focus_results(self) -> None:
        self.set_focus(self.table)

    def action_escape(self) -> None:
        self.open_when_shown = False
        search = self.query_one("#search", Input)
        if search.has_focus:
            self.set_focus(self.table)
        elif search.value:
            search.value = ""

    def action_cycle_mode(self) -> None:
        self.mode = next_in(MODES, self.mode)
        self._show_search_title()
        if self.query_text.strip():
            self.run_search()
        else:
            self.notify(f"Search mode: {self.mode}", timeout=2)

    def action_cycle_sort(self) -> None:
        self.set_sort(next_in(SORTS, self.sort))

    def set_sort(self, sort: str) -> None:
        if self.query_text.strip():
            self.notify("Results are ranked by relevance; clear the search to sort the list.")
            return
        self.sort = sort
        self.show_list()

    def on_entry_table_page_added(self, event: EntryTable.PageAdded) -> None:
        if not self.query_text.strip():
            self.set_status(list_status(len(self.table.entries), self.table.has_more, self.sort))

    def on_entry_table_field_clicked(self, event: EntryTable.FieldClicked) -> None:
        sort = HEADER_SORTS.get(event.field)
        if sort:
            self.set_sort(sort)

    def action_filters(self) -> None:
        from rekall.interfaces.tui.forms import FilterForm

        self.app.push_screen(FilterForm(self.filters), self._filters_chosen)

    def _filters_chosen(self, filters: EntryFilter | None) -> None:
        if filters is None:
            return
        self.filters = filters
        self._show_search_title()
        self.reload()

    def reload(self) -> None:
        """Show the current search or listing again, with what the database holds now."""
        if self.query_text.strip():
            self.run_search()
        else:
            self.show_list(keep_position=True)

    def action_reload(self) -> None:
        self.reload()

    def action_review(self) -> None:
        self.rekall.open_review()

    def on_entries_changed(self, message: EntriesChanged) -> None:
        self.reload()

    # -- the entry under the cursor ------------------------------------------------------
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.rekall.open_entry(event.row_key.value)

    def _current_id(self) -> str | None:
        entry = self.table.current_entry()
        if entry is None:
            self.notify("No entry selected.", severity="warning")
            return None
        return entry.id

    def action_add(self) -> None:
        self.rekall.add_entry()

    def action_edit(self) -> None:
        if entry_id := self._current_id():
            self.rekall.edit_entry(entry_id)

    def action_edit_external(self) -> None:
        if entry_id := self._current_id():
            self.rekall.edit_in_editor(entry_id)

    def action_link(self) -> None:
        if entry_id := self._current_id():
            self.rekall.link_entry(entry_id)

    def action_deprecate(self) -> None:
        if entry_id := self._current_id():
            self.rekall.deprecate_entry(entry_id)

    def action_delete(self) -> None:
        if entry_id := self._current_id():
            self.rekall.delete_entry(entry_id)
