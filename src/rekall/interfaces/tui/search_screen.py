"""Search as you type: the searches behind the main screen, and enter on their results."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual import work
from textual.actions import SkipAction
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from rekall.core.entries import EntryFilter
from rekall.core.errors import RekallError
from rekall.core.results import SearchResponse, SearchResult
from rekall.interfaces.tui.entry_table import EntryTable
from rekall.interfaces.tui.searching import (
    EMPTY_AFTER,
    LOADING_STATUS,
    SEARCH_LIMIT,
    STALE_AFTER,
    ModelWarmed,
    SearchDone,
    SearchFailed,
    SearchRequest,
    more_results,
    results_status,
)
from rekall.interfaces.tui.threads import after_typed_keys

if TYPE_CHECKING:
    from rekall.interfaces.tui.app import RekallApp


# Something to do to the entry under the cursor once the list is current: a verb for the
# user ("open", "edit") and the act, given the entry's id.
EntryAction = tuple[str, Callable[[str], None]]


class SearchScreen(Screen[None]):
    """A search box (#search), a status line (#status) and an EntryTable (#entries).

    Each search is numbered (seq); the list on screen is "settled" once it shows the outcome
    of the latest one. Until then it stays; unless it already answers the query as typed
    (the search running is a rerun of it), it is marked stale and a key that acts on the
    entry under the cursor (enter, e, x…) waits for the new results.
    """

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode
        self.filters = EntryFilter()
        self.query_text = ""
        self.seq = 0
        self.warming = False
        self.model_missing = False
        # The search whose results the table shows, None while it shows the listing
        # (benchmarks time keystrokes with it).
        self.last_shown: SearchRequest | None = None
        self.last_response: SearchResponse | None = None
        # The seq whose outcome (results or an error) is on screen: older means searching.
        self.settled = 0
        # A key asked to act on the entry under the cursor while the list was stale: done on
        # the row highlighted once the list answers the query as typed.
        self.when_shown: EntryAction | None = None
        # Keys (enter, ↓, esc) that left the search box before it took in the keys typed
        # ahead of them.
        self.unflushed = 0
        self._told: set[str] = set()
        # The results of last_shown by entry id, for the preview's snippet and score.
        self.found: dict[str, SearchResult] = {}

    @property
    def rekall(self) -> RekallApp:
        return cast("RekallApp", self.app)

    @property
    def table(self) -> EntryTable:
        return self.query_one("#entries", EntryTable)

    def set_status(self, text: str) -> None:
        self.query_one("#status", Static).update(text)

    def show_list(self, keep_position: bool = False) -> None:
        """Show the browse listing (the subclass says how)."""
        raise NotImplementedError

    def show_preview(self) -> None:
        """Show the entry under the cursor beside the list (the subclass says how)."""
        raise NotImplementedError

    # -- searching -----------------------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "search":
            self.query_text = event.value
            self.run_search()

    @property
    def searching(self) -> bool:
        """True until the outcome of the latest search is on screen (a rerun's too)."""
        return self.settled != self.seq or self.unflushed > 0

    @property
    def stale(self) -> bool:
        """True while the list on screen does not answer the query as typed. A rerun of the
        question on screen (the search by meaning after provisional keyword results, a
        reload after a write) leaves it current: the user chose a row of it."""
        return self.unflushed > 0 or (self.settled != self.seq and not self._answers_typed())

    def _answers_typed(self) -> bool:
        shown = self.last_shown
        return shown is not None and shown.question == (self.query_text, self.mode, self.filters)

    def _answers(self, request: SearchRequest) -> bool:
        """True when the results on screen answer the same question as request's."""
        return self.last_shown is not None and self.last_shown.question == request.question

    def run_search(self) -> None:
        """Start a search for the current text; an empty box shows the listing again."""
        self.seq += 1
        if not self.query_text.strip():
            self.app.workers.cancel_group(self, "search")
            self._settle(self.seq)
            # The listing shows no search's results: no score or snippet belongs to its rows.
            self.last_shown, self.last_response, self.found = None, None, {}
            self.show_list()
            self._act_if_asked()
            return
        mode, provisional = self._plan()
        request = SearchRequest(
            self.seq, self.query_text, mode, self.filters, provisional, chosen_mode=self.mode
        )
        self.search(request)
        self.set_timer(STALE_AFTER, partial(self._mark_stale, request.seq))

    def _mark_stale(self, seq: int, why: str = "") -> None:
        """The list on screen is not the answer to the query as typed: say so (the previous
        results stay until the new ones arrive, rather than flashing an empty list)."""
        if seq == self.seq and self.stale:
            if not why and self.table.has_class("-stale"):
                return  # already marked, with a more precise reason
            self.table.add_class("-stale")
            self.set_status(why or self._searching_status())

    def _searching_status(self) -> str:
        """What the stale list waits for, and the key waiting with it."""
        if self.when_shown is None:
            return f"Searching “{self.query_text}”… (previous results below)"
        return f"Searching “{self.query_text}”… then {self.when_shown[0]} the highlighted result"

    def _settle(self, seq: int) -> None:
        self.settled = seq
        self.table.remove_class("-stale")

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
        with self.rekall.calls.running() as allowed:
            if allowed and not get_current_worker().is_cancelled:
                self._search_now(request)

    def _search_now(self, request: SearchRequest) -> None:
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
        with self.rekall.calls.running() as allowed:
            if not allowed:
                return
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
        if not response.results and self._answers(request):
            # A rerun of the question on screen: nothing matches it any more, say so now.
            self._show_results(request, response)
            return
        if not response.results and request.provisional:
            # No keyword match while the model loads: the search by meaning follows.
            self._mark_stale(request.seq, f"{LOADING_STATUS}: no keyword match yet")
            return
        if not response.results and not message.settled:
            # Likely a word still being typed: show "no results" only if no key follows.
            message.settled = True
            self.set_timer(EMPTY_AFTER, partial(self.on_search_done, message))
            self._mark_stale(request.seq, f"No match for “{request.query}” so far…")
            return
        self._show_results(request, response)

    def _show_results(self, request: SearchRequest, response: SearchResponse) -> None:
        # The same question again (a reload, or by meaning once the model is loaded): the
        # cursor stays on its entry.
        again = self._answers(request)
        self.found = {result.entry.id: result for result in response.results}
        entries = [result.entry for result in response.results]
        more = more_results(self.rekall.service, request)
        self.last_shown, self.last_response = request, response
        self.table.show_results(entries, more, SEARCH_LIMIT, keep_position=again)
        self.show_preview()
        self._settle(request.seq)
        self.set_status(results_status(request, response, entries, self.table.has_more))
        for notice in response.notices:
            if notice not in self._told:
                self._told.add(notice)
                self.notify(notice, severity="warning", timeout=8)
        self._act_if_asked()

    def on_search_failed(self, message: SearchFailed) -> None:
        if message.request.seq == self.seq:
            self._settle(self.seq)
            self.when_shown = None
        if message.request.seq in (self.seq, -1):
            self.notify(message.error, title="Error", severity="error", timeout=8)
            self.set_status(message.error.splitlines()[0])

    # -- keys ----------------------------------------------------------------------------
    def action_enter(self) -> None:
        """From the search box, go to the results; in them, open the entry under the cursor,
        or, while the typed query is still being searched, its top result once shown."""
        if self.focused is self.query_one("#search", Input):
            self.leave_search_box()
        elif self.focused is self.table:
            self.act_on_current("open", self.rekall.open_entry)
        else:
            raise SkipAction()

    def leave_search_box(self) -> None:
        """Focus the list now, so the next key already goes to it."""
        search = self.query_one("#search", Input)
        self.set_focus(self.table)
        # The box may still hold keys typed before this one; until it has taken them in
        # (and started their search), the results count as stale.
        self.unflushed += 1
        after_typed_keys(search, self._search_flushed)

    def act_on_current(self, verb: str, act: Callable[[str], None]) -> None:
        """act(entry id) on the entry under the cursor; while the list is still an older
        query's, on the row highlighted once the results of the query as typed are shown
        (the top one of a new query), never on a row of the stale list."""
        if self.stale:
            self.when_shown = (verb, act)
            self.set_status(self._searching_status())
            return
        entry = self.table.current_entry()
        if entry is None:
            self.notify(f"Nothing to {verb}: no entry selected.", severity="warning", timeout=3)
            return
        act(entry.id)

    def _search_flushed(self) -> None:
        self.unflushed -= 1
        if not self.stale:
            self._act_if_asked()

    def _act_if_asked(self) -> None:
        if self.when_shown is not None and not self.stale:
            verb, act = self.when_shown
            self.when_shown = None
            if self.table.entries:
                self.act_on_current(verb, act)
            else:
                self.notify(f"Nothing to {verb}: no results.", timeout=3)
