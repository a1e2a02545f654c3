"""The main screen: a search box over the entry list, results replacing it as you type."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Input, Static

from rekall.core.entries import Entry, EntryFilter
from rekall.core.errors import RekallError
from rekall.interfaces.tui.entry_table import EntryTable
from rekall.interfaces.tui.main_widgets import ResultsTable, SearchBox
from rekall.interfaces.tui.preview import PREVIEW_MIN_WIDTH, Preview
from rekall.interfaces.tui.search_screen import SearchScreen
from rekall.interfaces.tui.searching import (
    MODES,
    SORTS,
    describe_filters,
    list_status,
    next_in,
    results_status,
)
from rekall.interfaces.tui.threads import (
    EntriesChanged,
    report_error,
    run_in_thread,
)

if TYPE_CHECKING:
    pass

HEADER_SORTS = {"Type": "type", "Title": "title", "Updated": "updated"}


class MainScreen(SearchScreen):
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
        super().__init__(mode)
        self.sort = "updated"
        # How many entries the filters let through (None until counted).
        self.total: int | None = None

    def compose(self) -> ComposeResult:
        yield SearchBox()
        yield Static("", id="status", markup=False)
        with Horizontal(id="panes"):
            yield ResultsTable(id="entries")
            yield Preview()
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
            self.table.browse(self._page, keep_position, self.sort)
        except RekallError as exc:
            report_error(self.app, exc)
        self._show_list_status()
        self.show_preview()
        if self.table.has_more:
            self.call_after_refresh(self._count_entries)  # after the list is painted

    def _count_entries(self) -> None:
        """Count what the filters let through, off the UI thread (the first page paints
        without waiting for it); the status line says "100 of 2,003" once known."""
        filters, service = self.filters, self.rekall.service

        def counted(total: int) -> None:
            if filters == self.filters:
                self.total = total
                if not self.query_text.strip():
                    self._show_list_status()

        run_in_thread(self.app, lambda: service.count_entries(filters), counted, group="count")

    def _show_list_status(self) -> None:
        table = self.table
        total = len(table.entries) if not table.has_more else self.total
        self.set_status(list_status(len(table.entries), total, self.sort, self.filters))

    def _show_search_title(self) -> None:
        search = self.query_one("#search", Input)
        search.border_title = f"Search · {self.mode} (ctrl+t)"
        search.border_subtitle = describe_filters(self.filters)

    def action_focus_search(self) -> None:
        self.when_shown = None
        self.set_focus(self.query_one("#search", Input))

    def action_focus_results(self) -> None:
        self.leave_search_box()

    def action_escape(self) -> None:
        self.when_shown = None
        search = self.query_one("#search", Input)
        if search.has_focus:
            self.leave_search_box()
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
            self._show_list_status()
        elif self.last_shown is not None and self.last_response is not None:
            self.set_status(
                results_status(
                    self.last_shown, self.last_response, self.table.entries, self.table.has_more
                )
            )

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
        self.total = None  # counted again for these filters
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
    def on_resize(self) -> None:
        self.query_one(Preview).display = self.size.width >= PREVIEW_MIN_WIDTH
        self.show_preview()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_preview()

    def show_preview(self) -> None:
        """The entry under the cursor, or nothing when the list is empty (an emptied list
        highlights no row, so this is also called after every list shown). Its score,
        snippet and matched words are those of the search whose results are on screen, none
        for the listing: never those of an older or a newer query."""
        preview = self.query_one(Preview)
        if not preview.display:
            return
        entry = self.table.current_entry()
        shown, response = self.last_shown, self.last_response
        if shown is None or response is None:
            preview.show(entry, None, "", self.mode)
            return
        result = self.found.get(entry.id) if entry else None
        preview.show(entry, result, shown.query, response.mode)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.rekall.open_entry(event.row_key.value)

    # Each acts on the current entry, waiting for the search of the query as typed
    # (act_on_current), as enter does.
    def action_add(self) -> None:
        self.rekall.add_entry()

    def action_edit(self) -> None:
        self.act_on_current("edit", self.rekall.edit_entry)

    def action_edit_external(self) -> None:
        self.act_on_current("edit in $EDITOR", self.rekall.edit_in_editor)

    def action_link(self) -> None:
        self.act_on_current("link", self.rekall.link_entry)

    def action_deprecate(self) -> None:
        self.act_on_current("deprecate", self.rekall.deprecate_entry)

    def action_delete(self) -> None:
        self.act_on_current("delete", self.rekall.delete_entry)
