"""The terminal UI acts on the entry the user sees: after a reload, during a search, and in
the preview pane beside the list."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from textual.widgets import Input

from rekall.core.entries import Entry
from rekall.interfaces.tui import search_screen
from rekall.interfaces.tui.app import RekallApp
from rekall.interfaces.tui.dialogs import ConfirmScreen
from rekall.interfaces.tui.forms import EntryForm, FilterForm
from rekall.interfaces.tui.link_picker import LinkPicker
from rekall.interfaces.tui.main_screen import MainScreen
from rekall.interfaces.tui.preview import Preview
from rekall.service import Rekall
from tests.interfaces.test_tui_keys import burst
from tests.interfaces.tui_pilot import (
    DEADLINE,
    NEWEST_FIRST,
    SIZE,
    AppFactory,
    GatedRekall,
    holding,
    settled,
    status,
    titles,
    type_query,
    until,
)

# Wide enough for the preview pane.
WIDE = (130, 30)


def current(app: RekallApp) -> Entry:
    entry = app.main_screen.table.current_entry()
    assert entry is not None
    return entry


def preview(app: RekallApp) -> str:
    return app.main_screen.query_one(Preview).text.plain


def acting_on(app: RekallApp) -> str | None:
    """What the screen a key opened names as the entry it acts on (None: still the list, or
    the screen is still mounting: a test ending then would tear it down mid-mount)."""
    screen = app.screen
    if not all(widget.is_mounted for widget in screen.walk_children()):
        return None
    if isinstance(screen, EntryForm):
        return screen.entry.title if screen.entry else ""
    if isinstance(screen, LinkPicker):
        return screen.source.title
    if isinstance(screen, ConfirmScreen):
        return screen.question
    return None


def write_elsewhere(kind: str, title: str, content: str) -> None:
    """Add an entry as another process (the CLI) would."""
    other = Rekall()
    try:
        other.add(kind, title, content)
    finally:
        other.close()


# -- 3. a reload keeps the cursor on its entry ----------------------------------------------
@pytest.mark.model
async def test_after_an_edit_the_cursor_stays_on_the_edited_entry(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "down", "down", "down")
        edited = current(app)
        assert edited.title == NEWEST_FIRST[3]
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EntryForm))
        box = app.screen.query_one("#form-title", Input)
        box.value = f"{box.value} (edited)"
        await pilot.press("ctrl+s")
        # Sorted by "updated", the edited entry moves to the top; the cursor goes with it.
        await until(pilot, lambda: titles(app)[0] == f"{edited.title} (edited)")
        assert current(app).id == edited.id
        await pilot.press("d")
        await until(pilot, lambda: acting_on(app) is not None)
        assert f"“{edited.title} (edited)”" in str(acting_on(app))


async def test_r_after_a_write_elsewhere_keeps_the_cursor_on_its_entry(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "down", "down")
        chosen = current(app)
        write_elsewhere("til", "Added from the CLI meanwhile", "x")
        await pilot.press("r")
        await until(pilot, lambda: len(titles(app)) == 7)
        assert titles(app)[0] == "Added from the CLI meanwhile"
        assert current(app).id == chosen.id


async def test_reloaded_results_keep_the_cursor_on_its_entry(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await type_query(pilot, app, "linux")
        await until(pilot, lambda: len(titles(app)) == 2 and settled(app))
        await pilot.press("escape", "down")
        chosen = current(app)
        # Ranks above both: the reloaded results start with it.
        write_elsewhere("til", "linux linux linux", "linux, linux and linux")
        await pilot.press("r")
        await until(pilot, lambda: len(titles(app)) == 3 and settled(app))
        assert titles(app)[0] == "linux linux linux"
        assert current(app).id == chosen.id
        # Another query is another list: its top result is highlighted.
        await type_query(pilot, app, "linux OR safari")
        await until(pilot, lambda: len(titles(app)) == 4 and settled(app))
        assert app.main_screen.table.cursor_row == 0


async def test_an_entry_gone_after_a_reload_leaves_the_cursor_on_its_row(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", *["down"] * 5, "x")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await until(pilot, lambda: len(titles(app)) == 5)
        # The last row was deprecated (hidden): the cursor is on the new last row.
        assert current(app).title == NEWEST_FIRST[4]


# -- 4. keys that act on an entry wait for the search of the query as typed -----------------
@pytest.mark.parametrize("key", ["e", "l", "x", "d"])
async def test_a_letter_key_during_a_search_acts_on_its_results(
    make_app: AppFactory, key: str
) -> None:
    app = make_app()
    service = holding(app, "safari")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"safari", "down", key)
        await until(pilot, service.held_started.is_set)
        await until(pilot, lambda: "Searching “safari”" in status(app))
        assert isinstance(app.screen, MainScreen), "acted on a row of the list an older query left"
        service.gate.set()
        await until(pilot, lambda: acting_on(app) is not None)
        assert "CORS fails on Safari" in str(acting_on(app))


async def test_a_letter_key_in_a_burst_acts_on_the_results_of_the_text_before_it(
    make_app: AppFactory,
) -> None:
    app = make_app()
    service = holding(app, "postgres")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        burst(app, "postgres", "down", "e")
        await until(pilot, service.held_started.is_set)
        await until(pilot, lambda: "Searching “postgres”" in status(app))
        assert isinstance(app.screen, MainScreen), "edited a row of the listing"
        service.gate.set()
        await until(pilot, lambda: acting_on(app) is not None)
        assert acting_on(app) == "Postgres max_connections too low"


async def test_going_back_to_the_search_box_drops_the_waiting_key(make_app: AppFactory) -> None:
    app = make_app()
    service = holding(app, "safari")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"safari", "down", "d", "slash")
        service.gate.set()
        await until(pilot, lambda: titles(app) == ["CORS fails on Safari"] and settled(app))
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


# -- 4b. a rerun of the question on screen leaves it current ---------------------------------
class HeldRerun(GatedRekall):
    """Also holds, apart from the gate, every hybrid search made once the model is loaded
    (the rerun by meaning of provisional keyword results) until rerun_gate is set."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rerun_gate = threading.Event()

    def search(self, query: str, mode: str | None = None, *args: Any, **kwargs: Any) -> Any:
        if mode == "hybrid" and self.semantic.models.loaded:
            assert self.rerun_gate.wait(DEADLINE), "the test never let the rerun run"
        return super().search(query, mode, *args, **kwargs)

    def open_gates(self) -> None:
        super().open_gates()
        self.rerun_gate.set()


# "webapp" by keywords while the model loads, then by meaning: ENOSPC moves up a row.
WEBAPP_BY_KEYWORDS = [NEWEST_FIRST[3], NEWEST_FIRST[5], NEWEST_FIRST[0]]
WEBAPP_TOP_BY_MEANING = "CORS fails on Safari"


async def highlight_while_the_model_loads(app: RekallApp, pilot: Any) -> Entry:
    """Search "webapp" in hybrid mode, highlight ENOSPC in the keyword results shown while the
    model loads, then let it load: returns ENOSPC, with its rerun by meaning held."""
    service = app.service
    assert isinstance(service, HeldRerun)
    service.hold = lambda query, mode: mode == "hybrid"  # the search that loads the model
    await type_query(pilot, app, "webapp")
    await until(pilot, lambda: titles(app) == WEBAPP_BY_KEYWORDS and settled(app))
    await pilot.press("escape", "down", "down")
    chosen = current(app)
    assert chosen.title == NEWEST_FIRST[0]
    service.gate.set()
    await until(pilot, lambda: service.semantic.models.loaded and not settled(app))
    return chosen


@pytest.mark.model
async def test_results_by_meaning_after_the_keyword_ones_keep_the_cursor_on_its_entry(
    make_app: AppFactory,
) -> None:
    app = make_app(mode="hybrid", service_class=HeldRerun)
    async with app.run_test(size=SIZE) as pilot:
        chosen = await highlight_while_the_model_loads(app, pilot)
        assert isinstance(app.service, HeldRerun)
        app.service.rerun_gate.set()
        await until(pilot, lambda: "· hybrid ·" in status(app))
        assert titles(app)[0] == WEBAPP_TOP_BY_MEANING
        assert current(app).id == chosen.id


@pytest.mark.model
@pytest.mark.parametrize("key", ["e", "d"])
async def test_a_letter_key_while_the_model_loads_acts_at_once_on_the_highlighted_entry(
    make_app: AppFactory, key: str
) -> None:
    app = make_app(mode="hybrid", service_class=HeldRerun)
    async with app.run_test(size=SIZE) as pilot:
        chosen = await highlight_while_the_model_loads(app, pilot)
        await pilot.press(key)
        # Not queued for the rerun's top result: the list on screen answers "webapp".
        await until(pilot, lambda: acting_on(app) is not None or "then " in status(app))
        assert chosen.title in str(acting_on(app))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert isinstance(app.service, HeldRerun)
        app.service.rerun_gate.set()
        await until(pilot, lambda: "· hybrid ·" in status(app))
        assert current(app).id == chosen.id


async def test_a_letter_key_during_a_reload_acts_at_once_on_the_highlighted_entry(
    make_app: AppFactory,
) -> None:
    app = make_app()
    service = app.service
    assert isinstance(service, GatedRekall)
    async with app.run_test(size=SIZE) as pilot:
        await type_query(pilot, app, "linux")
        await until(pilot, lambda: len(titles(app)) == 2 and settled(app))
        await pilot.press("escape", "down")
        chosen = current(app)
        service.hold = lambda query, mode: True
        await pilot.press("r")
        await until(pilot, service.held_started.is_set)
        await pilot.press("e")
        await until(pilot, lambda: acting_on(app) is not None or "then " in status(app))
        assert acting_on(app) == chosen.title


async def test_a_reload_that_matches_nothing_any_more_says_so_at_once(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch, seeded: dict[str, str]
) -> None:
    # A new query's empty answer would wait for longer than the test does.
    monkeypatch.setattr(search_screen, "EMPTY_AFTER", DEADLINE * 2)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await type_query(pilot, app, "safari")
        await until(pilot, lambda: titles(app) == ["CORS fails on Safari"] and settled(app))
        other = Rekall()
        try:
            other.delete(seeded["CORS fails on Safari"])
        finally:
            other.close()
        await pilot.press("escape", "r")
        await until(pilot, lambda: titles(app) == [] and settled(app))
        assert status(app).startswith("No results")


@pytest.mark.model
async def test_a_letter_key_after_switching_mode_waits_for_the_new_results(
    make_app: AppFactory,
) -> None:
    app = make_app(mode="hybrid")
    service = app.service
    assert isinstance(service, GatedRekall)
    async with app.run_test(size=SIZE) as pilot:
        await type_query(pilot, app, "webapp")
        await until(pilot, lambda: "· hybrid ·" in status(app))
        await pilot.press("escape", "down")
        assert current(app).title != WEBAPP_BY_KEYWORDS[0]
        service.hold = lambda query, mode: mode == "keyword"
        await pilot.press("ctrl+t", "e")
        await until(pilot, lambda: "then edit" in status(app))
        assert isinstance(app.screen, MainScreen), "edited a row of the hybrid results"
        service.gate.set()
        await until(pilot, lambda: acting_on(app) is not None)
        assert acting_on(app) == WEBAPP_BY_KEYWORDS[0]


# -- 5. the preview empties with the list ---------------------------------------------------
async def test_the_preview_empties_with_the_results(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await type_query(pilot, app, "safari")
        await until(pilot, lambda: preview(app).startswith("CORS fails on Safari"))
        await type_query(pilot, app, "zzzqqq")
        await until(pilot, lambda: settled(app) and status(app).startswith("No results"))
        assert titles(app) == []
        assert preview(app) == ""


async def test_filters_matching_nothing_say_so_and_empty_the_preview(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await until(pilot, lambda: preview(app).startswith(NEWEST_FIRST[0]))
        await pilot.press("ctrl+f")
        assert isinstance(app.screen, FilterForm)
        app.screen.query_one("#filter-project", Input).focus()
        await pilot.press(*"nope", "enter")
        await until(pilot, lambda: titles(app) == [])
        assert status(app) == (
            "No entry matches the filters (project:nope). Press ctrl+f to change them."
        )
        assert preview(app) == ""


# -- 6. the preview's score and snippet are those of the results on screen ------------------
async def test_the_preview_never_shows_an_older_querys_score(make_app: AppFactory) -> None:
    app = make_app()
    service = holding(app, "nohup")
    async with app.run_test(size=WIDE) as pilot:
        await type_query(pilot, app, "safari")
        await until(pilot, lambda: "\nscore " in preview(app) and settled(app))
        await type_query(pilot, app, "")
        await until(pilot, lambda: len(titles(app)) == 6)
        await type_query(pilot, app, "nohup")
        await pilot.press("escape", *["down"] * 5)
        # The listing is still on screen while "nohup" is searched: its rows have no score.
        await until(pilot, lambda: preview(app).startswith("CORS fails on Safari"))
        assert app.main_screen.searching
        assert "score" not in preview(app)
        service.gate.set()
        await until(pilot, lambda: titles(app) == ["nohup keeps a job alive after logout"])
        await until(pilot, lambda: preview(app).startswith("nohup keeps a job alive"))
        assert "\nscore " in preview(app)
