"""The entry list: a table filled a page at a time, so even a 50K base opens at once."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import DataTable

from rekall.core.entries import Entry
from rekall.interfaces.tui.entry_rows import (
    Widths,
    entry_line,
    field_at,
    headers_for,
    line_of,
    utc_now,
    widths_for,
)
from rekall.interfaces.tui.threads import run_in_thread

PAGE_SIZE = 100
# Fetch the next page while this many loaded rows are still below the cursor.
PREFETCH_ROWS = 30
# A result list fetches more only once the cursor is this close to its end.
RESULTS_PREFETCH_ROWS = 5
# Fetches `limit` entries starting at `offset`.
PageLoader = Callable[[int, int], list[Entry]]


class EntryTable(DataTable[Text]):
    """Entries one per row, keyed by id; a browse listing pages in more as the cursor nears
    the end, a search result list is shown whole.

    Each row is one pre-formatted cell: rendering five cells per row took three times as long,
    and repainting after every keystroke is on the search-as-you-type path.
    """

    class PageAdded(Message):
        """Another page of the listing was appended."""

    class FieldClicked(Message):
        """The header of one field was clicked (to sort by it)."""

        def __init__(self, field: str) -> None:
            super().__init__()
            self.field = field

    def __init__(self, id: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, id=id)
        self.entries: list[Entry] = []
        self._ids: set[str] = set()
        self._loader: PageLoader | None = None
        self._more = False
        self._page_size = PAGE_SIZE
        self._prefetch = PREFETCH_ROWS
        self._fetching = False
        # Bumped whenever the rows are replaced, so a page fetched for older rows is dropped.
        self._generation = 0
        self._widths: Widths = ()
        # What the list is sorted by: the last column shows it (results: updated).
        self.sorted_by = "updated"
        # The table spans the terminal: starting from its width spares a rebuild on the
        # first resize, before the first paint.
        self._set_columns(self._terminal_width())

    def _terminal_width(self) -> int:
        """The running app's width, or 0 when built outside one."""
        try:
            return self.app.size.width
        except RuntimeError:  # textual's NoActiveAppError
            return 0

    @property
    def has_more(self) -> bool:
        """True while a browse listing has pages not fetched yet."""
        return self._more

    def browse(
        self, loader: PageLoader, keep_position: bool = False, sort: str = "updated"
    ) -> None:
        """Show the first page from loader, sorted by sort; with keep_position, as many rows
        as now and the cursor on the same entry (see _replace). Raises RekallError from the
        loader."""
        self._set_sort(sort)
        wanted = max(PAGE_SIZE, len(self.entries)) if keep_position else PAGE_SIZE
        page = loader(0, wanted)
        self._loader = loader
        self._page_size, self._prefetch = PAGE_SIZE, PREFETCH_ROWS
        self._more = len(page) == wanted
        self._replace(page, keep_position)

    def show_results(
        self,
        entries: list[Entry],
        more: PageLoader | None = None,
        page_size: int = 0,
        keep_position: bool = False,
    ) -> None:
        """Show a ranked result list, first row selected (with keep_position, the entry
        selected now); when it is a full page, more fetches further results as the cursor
        reaches its end."""
        self._set_sort("updated")
        self._loader = more
        self._page_size, self._prefetch = page_size, RESULTS_PREFETCH_ROWS
        self._more = more is not None and len(entries) == page_size
        self._replace(entries, keep_position)

    def current_entry(self) -> Entry | None:
        """The entry under the cursor, if any."""
        if not self.entries or not 0 <= self.cursor_row < len(self.entries):
            return None
        return self.entries[self.cursor_row]

    def load_more(self) -> None:
        """Fetch the next page of a browse listing off the UI thread, then append it.

        Deep pages with an unindexed sort take SQLite a while (OFFSET rescans), so scrolling
        never waits for them; errors become a notification.
        """
        if not self._more or self._loader is None or self._fetching:
            return
        self._fetching = True
        loader, offset, generation = self._loader, len(self.entries), self._generation
        size = self._page_size
        run_in_thread(
            self.app,
            lambda: loader(offset, size),
            lambda page: self._page_arrived(generation, page),
            lambda error: self._page_failed(generation),
            group="page",
        )

    def _page_arrived(self, generation: int, page: list[Entry]) -> None:
        if generation != self._generation:
            return
        self._fetching = False
        self._more = len(page) == self._page_size
        self._append(page)
        self.post_message(self.PageAdded())
        if self._near_the_end():
            self.load_more()

    def _page_failed(self, generation: int) -> None:
        if generation == self._generation:
            self._fetching = False
            self._more = False

    def _replace(self, entries: list[Entry], keep_position: bool) -> None:
        """Show entries instead. With keep_position the cursor stays on the entry it is on,
        wherever that entry now sorts (an edit moves it to the top of "updated"), so the next
        key acts on the entry the user chose; if it is gone, on the row it left."""
        current = self.current_entry() if keep_position else None
        row = self.cursor_row if keep_position else 0
        self._generation += 1
        self._fetching = False
        self.clear()
        self.entries = []
        self._ids = set()
        self._append(entries)
        if current is not None and current.id in self._ids:
            row = next(n for n, entry in enumerate(self.entries) if entry.id == current.id)
        if self.entries:
            self.move_cursor(row=min(row, len(self.entries) - 1), scroll=True)

    def _set_sort(self, sort: str) -> None:
        if headers_for(sort) != headers_for(self.sorted_by):
            self.sorted_by = sort
            self._set_columns(self.size.width or self._terminal_width())
        self.sorted_by = sort

    def _append(self, entries: Iterable[Entry]) -> None:
        now = utc_now()
        for entry in entries:
            # A write elsewhere can shift offsets between pages: never show an entry twice.
            if entry.id in self._ids:
                continue
            self._ids.add(entry.id)
            self.entries.append(entry)
            self.add_row(entry_line(entry, self._widths, self.sorted_by, now), key=entry.id)

    def _near_the_end(self) -> bool:
        return self._more and self.cursor_row >= len(self.entries) - self._prefetch

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self._near_the_end():
            self.load_more()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        bottom = new_value + self.scrollable_content_region.height
        if self._more and bottom >= len(self.entries) - self._prefetch:
            self.call_later(self.load_more)

    def on_click(self, event: events.Click) -> None:
        if self.show_header and event.y == 0:
            field = field_at(event.x + int(self.scroll_x), self._widths)
            if field:
                self.post_message(self.FieldClicked(field))

    def on_resize(self, event: events.Resize) -> None:
        if widths_for(event.size.width) != self._widths:
            self._set_columns(event.size.width)

    def _set_columns(self, width: int) -> None:
        """(Re)build the column so the title fills the width; rows are added back."""
        self._widths = widths_for(width)
        row, entries = self.cursor_row, self.entries
        self.clear(columns=True)
        header = line_of(headers_for(self.sorted_by), self._widths)
        self.add_column(header, width=header.cell_len, key="entry")
        self._ids = set()
        self.entries = []
        self._append(entries)
        if self.entries:
            self.move_cursor(row=min(row, len(self.entries) - 1))
