"""The main screen's two widgets, each carrying the keys that work while it has the focus."""

from __future__ import annotations

from textual.binding import Binding

from rekall.interfaces.tui.entry_table import EntryTable
from rekall.interfaces.tui.typing_order import TextBox

SEARCH_PLACEHOLDER = "Type to search · ↓ or esc: the list and its keys · F1 help"


class SearchBox(TextBox):
    """The search box. Letters are typed into the query, so the footer offers only keys that
    work from here: arrows, ctrl and function keys."""

    BINDINGS = [
        Binding("down", "screen.focus_results", "List", priority=True),
        Binding("ctrl+n", "screen.add", "Add", priority=True),
        Binding("f1", "app.help", "Help"),
        Binding("ctrl+q", "app.quit", "Quit"),
    ]

    def __init__(self) -> None:
        super().__init__(placeholder=SEARCH_PLACEHOLDER, id="search")


class ResultsTable(EntryTable):
    """The list or the results; single-letter keys act on the entry under the cursor.

    They are priority bindings, acted on as the app takes each key from the terminal: keys
    typed right after one (text after /) then go where it leads.
    """

    BINDINGS = [
        Binding("slash", "screen.focus_search", "Search", priority=True),
        Binding("a", "screen.add", "Add", priority=True),
        Binding("e", "screen.edit", "Edit", priority=True),
        Binding("E", "screen.edit_external", "Edit in $EDITOR", show=False, priority=True),
        Binding("l", "screen.link", "Link", priority=True),
        Binding("x", "screen.deprecate", "Deprecate", show=False, priority=True),
        Binding("d", "screen.delete", "Delete", show=False, priority=True),
        Binding("s", "screen.cycle_sort", "Sort", show=False, priority=True),
        Binding("f", "screen.filters", "Filter", show=False, priority=True),
        Binding("m", "screen.cycle_mode", "Mode", show=False, priority=True),
        Binding("r", "screen.reload", "Reload", show=False, priority=True),
        Binding("v", "screen.review", "Review", show=False, priority=True),
        Binding("question_mark", "app.help", "Help", priority=True),
        Binding("q", "app.quit", "Quit", priority=True),
    ]
