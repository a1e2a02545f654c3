"""Keys in the terminal UI: typed-ahead bursts, drafts, dialogs and every advertised key."""

from __future__ import annotations

from typing import Any

import pytest
from textual import events
from textual.containers import VerticalScroll
from textual.keys import _character_to_key
from textual.pilot import Pilot
from textual.widgets import Input, Select, TextArea

from rekall.core.entries import EntryFilter
from rekall.interfaces.tui.app import RekallApp
from rekall.interfaces.tui.detail import DetailScreen
from rekall.interfaces.tui.dialogs import ConfirmScreen, HelpScreen
from rekall.interfaces.tui.forms import EntryForm, FilterForm
from rekall.interfaces.tui.link_picker import LinkPicker
from rekall.interfaces.tui.main_screen import MainScreen
from tests.interfaces.tui_pilot import (
    NEWEST_FIRST,
    SIZE,
    AppFactory,
    holding,
    opened,
    titles,
    until,
)

SPECIAL = {"tab", "shift+tab", "enter", "escape", "down", "up", "ctrl+s", "ctrl+u", "backspace"}


def burst(app: RekallApp, *keys: str) -> None:
    """Queue keys as a terminal delivers a fast burst: all at once, none waited for.

    Each argument is a key name from SPECIAL or literal text, one key per character.
    """
    for chunk in keys:
        for key, char in [(chunk, None)] if chunk in SPECIAL else [(c, c) for c in chunk]:
            name = key if char is None or char.isalnum() else _character_to_key(char)
            event = events.Key(name, char)
            event.set_sender(app)
            app.post_message(event)


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.pause(0.1)
    await pilot.pause()


# -- 1. enter acts on the results of the query as typed -------------------------------------
@pytest.mark.parametrize("pause", [0.0, 0.05])
async def test_enter_after_a_burst_opens_the_top_hit_of_the_typed_query(
    make_app: AppFactory, pause: float
) -> None:
    app = make_app()
    service = holding(app, "postgres")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        burst(app, "postgres", "enter")
        await pilot.pause(pause)
        burst(app, "enter")
        await settle(pilot)
        assert not isinstance(app.screen, DetailScreen), "opened a row of an older list"
        service.gate.set()
        await until(pilot, lambda: opened(app) is not None)
        assert opened(app) == "Postgres max_connections too low"


async def test_a_new_query_typed_back_from_an_entry_opens_its_top_hit(
    make_app: AppFactory,
) -> None:
    """Back on the list from an entry, one burst: ctrl+u clears the old query, not the new
    one. Textual acted on an Input's ctrl+u only once the key had bubbled up to the app,
    after the letters that followed it: the box ended empty and enter opened the top of
    the whole list."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        burst(app, "safari", "enter", "enter")
        await until(pilot, lambda: opened(app) == "CORS fails on Safari")
        await pilot.press("q", "slash")
        assert app.main_screen.query_one("#search", Input).has_focus
        burst(app, "ctrl+u", "postgres")
        await settle(pilot)
        burst(app, "enter", "enter")
        await until(pilot, lambda: opened(app) not in (None, "CORS fails on Safari"))
        assert opened(app) == "Postgres max_connections too low"
        assert app.main_screen.query_one("#search", Input).value == "postgres"


@pytest.mark.parametrize("where", ["search box", "form"])
async def test_backspace_in_a_burst_deletes_the_character_typed_before_it(
    make_app: AppFactory, where: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        if where == "form":
            await pilot.press("escape", "a")
            await until(pilot, lambda: isinstance(app.screen, EntryForm))
        box = app.screen.query_one("#search" if where == "search box" else "#form-title", Input)
        burst(app, "postgrez", "backspace", "s", "tab" if where == "form" else "down")
        await until(pilot, lambda: not box.has_focus)
        await settle(pilot)
        assert box.value == "postgres"


# -- 3. type-ahead reaches the field focused when it is processed --------------------------
async def test_text_tab_text_burst_lands_in_order(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "a")
        assert isinstance(app.screen, EntryForm)
        burst(app, "Pool sizing", "tab", "postgres, pgbouncer", "tab", "api")
        form = app.screen
        await until(pilot, lambda: form.query_one("#form-project", Input).value == "api")
        assert form.query_one("#form-title", Input).value == "Pool sizing"
        assert form.query_one("#form-tags", Input).value == "postgres, pgbouncer"


async def test_keys_typed_after_escape_in_a_changed_form_answer_its_question(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "a")
        burst(app, "Draft", "escape", "y")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("a")
        assert app.screen.query_one("#form-title", Input).value == ""


async def test_text_typed_while_a_form_opens_lands_in_its_first_field(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape")
        burst(app, "aPool sizing", "tab", "postgres")
        await until(pilot, lambda: isinstance(app.screen, EntryForm))
        form = app.screen
        await until(pilot, lambda: form.query_one("#form-tags", Input).value == "postgres")
        assert form.query_one("#form-title", Input).value == "Pool sizing"


# -- 2. escape never throws a changed form away ----------------------------------------------
async def test_escape_right_after_typing_in_a_form_asks_first(make_app: AppFactory) -> None:
    """Escape is acted on as the app takes it, before the title has taken in the letters
    typed just ahead of it: the form looked unchanged and closed, draft and all."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "a")
        await until(pilot, lambda: isinstance(app.screen, EntryForm))
        burst(app, "Half-written thought", "escape")
        await until(pilot, lambda: isinstance(app.screen, (ConfirmScreen, MainScreen)))
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.screen.query_one("#form-title", Input).value == "Half-written thought"


async def test_ctrl_s_right_after_typing_saves_every_letter(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "a")
        await until(pilot, lambda: isinstance(app.screen, EntryForm))
        burst(app, "Pool sizing", "tab", "postgres", "ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await until(pilot, lambda: "Pool sizing" in titles(app))
        saved = app.service.search("Pool sizing", "keyword").results[0].entry
        assert saved.title == "Pool sizing"
        assert saved.tags == ("postgres",)


async def test_escape_on_a_changed_form_asks_and_no_keeps_the_draft(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "a", *"Pool sizing", "tab", "tab", "tab", "tab")
        form = app.screen
        assert isinstance(form, EntryForm)
        assert app.focused is form.query_one("#form-content", TextArea)
        await pilot.press(*"Raise the pool", "escape")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.screen is form
        assert form.query_one("#form-title", Input).value == "Pool sizing"
        assert form.query_one("#form-content", TextArea).text == "Raise the pool"
        await pilot.press("escape", "y")
        assert isinstance(app.screen, MainScreen)
        assert titles(app) == NEWEST_FIRST


async def test_escape_on_an_unchanged_form_closes_it(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "e")
        assert isinstance(app.screen, EntryForm)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        await pilot.press("a", "escape")
        assert isinstance(app.screen, MainScreen)


# -- 4. the search box offers only keys that work from it -----------------------------------
def footer_keys(app: RekallApp) -> list[str]:
    return [key for key, active in app.screen.active_bindings.items() if active.binding.show]


async def test_every_key_the_search_box_offers_works_there(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        search = app.main_screen.query_one("#search", Input)
        assert app.focused is search
        offered = footer_keys(app)
        assert offered and all(len(key) > 1 for key in offered), offered  # no bare letters
        assert "F1 help" in search.placeholder
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape", "ctrl+n")
        assert isinstance(app.screen, EntryForm)
        await pilot.press("escape", *"a?")
        assert search.value == "a?", "letters typed in the search box are the query"
        await pilot.press("down")
        assert app.focused is app.main_screen.table
        assert {"a", "question_mark", "q"} <= set(footer_keys(app))
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape", "a")
        assert isinstance(app.screen, EntryForm)


# -- 5. enter and ctrl+s do the same in every dialog; each shows its own keys ---------------
@pytest.mark.parametrize("key", ["enter", "ctrl+s"])
async def test_enter_or_ctrl_s_on_a_filter_select_applies(make_app: AppFactory, key: str) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+f")
        form = app.screen
        assert isinstance(form, FilterForm)
        assert "ctrl+s" in footer_keys(app) and "a" not in footer_keys(app)
        await pilot.press("tab", "tab", "tab")
        status_select = form.query_one("#filter-status", Select)
        assert app.focused is status_select
        status_select.value = "all"
        await pilot.press(key)
        assert isinstance(app.screen, MainScreen)
        assert app.main_screen.filters == EntryFilter(status=None)


@pytest.mark.parametrize("keys", [("enter",), ("ctrl+s",), ("down", "enter")])
async def test_link_picker_enter_picks_the_first_candidate(
    make_app: AppFactory, seeded: dict[str, str], keys: tuple[str, ...]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "l")
        assert isinstance(app.screen, LinkPicker)
        burst(app, "linux", *keys)  # before the candidates arrive
        source = seeded[NEWEST_FIRST[0]]
        await until(pilot, lambda: bool(app.service.links(source)))
        [link] = app.service.links(source)
        assert link.target_id == seeded["nohup keeps a job alive after logout"]


# -- 7. the entry view: q closes it, vi keys and space scroll -------------------------------
async def test_entry_view_keys_scroll_and_q_closes(
    make_app: AppFactory, seeded: dict[str, str]
) -> None:
    app = make_app()
    long_text = "\n\n".join(f"Paragraph {n}." for n in range(80))
    app.service.update(seeded["CORS fails on Safari"], content=long_text)
    async with app.run_test(size=SIZE) as pilot:
        app.open_entry(seeded["CORS fails on Safari"])
        await until(pilot, lambda: opened(app) is not None)
        body = app.screen.query_one("#detail-body", VerticalScroll)
        await until(pilot, lambda: body.max_scroll_y > 0)
        await pilot.press("j", "j")
        await until(pilot, lambda: body.scroll_y == 2)
        await pilot.press("k")
        await until(pilot, lambda: body.scroll_y == 1)
        await pilot.press("space")
        await until(pilot, lambda: body.scroll_y > 5)
        await pilot.press("G")
        await until(pilot, lambda: body.scroll_y == body.max_scroll_y)
        await pilot.press("g")
        await until(pilot, lambda: body.scroll_y == 0)
        await pilot.press("q")
        assert isinstance(app.screen, MainScreen) and app.is_running


async def test_ctrl_end_in_the_content_box_reaches_the_end(
    make_app: AppFactory, seeded: dict[str, str]
) -> None:
    app = make_app()
    long_text = "\n".join(f"line {n}" for n in range(60))
    app.service.update(seeded["ENOSPC: file watchers limit reached"], content=long_text)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "e")
        content = app.screen.query_one("#form-content", TextArea)
        content.focus()
        await pilot.press("ctrl+end")
        assert content.cursor_location == content.document.end
        await pilot.press("ctrl+home")
        assert content.cursor_location == (0, 0)
