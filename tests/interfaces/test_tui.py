"""The terminal UI through textual's run_test() and Pilot, on a real database per test."""

from __future__ import annotations

import itertools
import re
import shlex
import sys
import threading
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from textual.pilot import Pilot
from textual.widgets import Footer, Input, Markdown, OptionList, Select, Static, TextArea

from rekall.core.entries import EntryFilter
from rekall.core.results import SearchResponse
from rekall.interfaces.cli import commands_tui
from rekall.interfaces.cli.main import cli as rekall_cli
from rekall.interfaces.tui import app as app_module
from rekall.interfaces.tui import entry_table, search_screen
from rekall.interfaces.tui.app import RekallApp
from rekall.interfaces.tui.detail import DetailScreen
from rekall.interfaces.tui.dialogs import ConfirmScreen, HelpScreen
from rekall.interfaces.tui.forms import EntryForm, FilterForm
from rekall.interfaces.tui.link_picker import LinkPicker
from rekall.interfaces.tui.main_screen import MainScreen
from rekall.interfaces.tui.review_screen import ReviewScreen
from rekall.interfaces.tui.searching import SearchDone, SearchRequest
from rekall.interfaces.tui.threads import FacadeCalls
from rekall.service import Rekall
from tests.interfaces.tui_pilot import (
    DEADLINE,
    NEWEST_FIRST,
    SIZE,
    AppFactory,
    GatedRekall,
    holding,
    record_notices,
    settled,
    status,
    steady_cursors,
    titles,
    type_query,
    until,
)


# -- the list ------------------------------------------------------------------------------
async def test_opens_on_the_list_newest_first(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert titles(app) == NEWEST_FIRST
        assert status(app).startswith("6 entries · sorted by updated")
        assert app.focused is app.main_screen.query_one("#search", Input)


async def test_the_list_pages_in_lazily(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(entry_table, "PAGE_SIZE", 2)
    monkeypatch.setattr(entry_table, "PREFETCH_ROWS", 1)
    app = make_app()
    calls: list[tuple[int, int]] = []
    original = app.service.list_entries

    def list_entries(filters: Any, sort: str, limit: int, offset: int) -> Any:
        calls.append((offset, limit))
        return original(filters, sort, limit, offset)

    app.service.list_entries = list_entries  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert calls == [(0, 2)], "the first paint must fetch one page, not the whole base"
        assert titles(app) == NEWEST_FIRST[:2]
        assert status(app).startswith(("2+ entries", "2 of 6 entries"))  # counted aside
        await pilot.press("down", "down", "down", "down", "down", "down")
        await until(pilot, lambda: titles(app) == NEWEST_FIRST)
        assert calls[:3] == [(0, 2), (2, 2), (4, 2)]
        await until(pilot, lambda: status(app).startswith("6 entries"))


async def test_sort_key_and_header_click(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "s", "s")
        assert app.main_screen.sort == "title"
        assert titles(app) == sorted(NEWEST_FIRST, key=str.lower)
        assert "sorted by title" in status(app)
        await pilot.click("#entries", offset=(3, 0))  # the Type header
        assert app.main_screen.sort == "type"
        assert titles(app)[0] == "ENOSPC: file watchers limit reached"


async def test_an_empty_base_says_how_to_start(tui_apps: AppFactory) -> None:
    app = tui_apps()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert titles(app) == []
        assert "Press ctrl+n to add one" in status(app)
        await pilot.press("escape", "enter", "e", "d")
        assert isinstance(app.screen, MainScreen)


# -- searching -----------------------------------------------------------------------------
async def test_search_as_you_type_then_back_to_the_list(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"safari")
        await until(pilot, lambda: titles(app) == ["CORS fails on Safari"])
        assert "1 result · keyword" in status(app)
        await pilot.press("escape")
        assert app.focused is app.main_screen.table
        await pilot.press("escape")
        assert app.main_screen.query_one("#search", Input).value == ""
        assert titles(app) == NEWEST_FIRST
        await type_query(pilot, app, "kubernetes")
        await until(pilot, lambda: "No results" in status(app))
        assert titles(app) == []


async def test_a_pasted_query_past_the_limit_says_so(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await type_query(pilot, app, "safari " * 2_000)
        await until(pilot, lambda: "the limit is 10,000" in status(app))
        assert "safari safari" not in status(app)


async def test_results_page_in_as_the_cursor_nears_the_end(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_screen, "SEARCH_LIMIT", 1)
    app = make_app()
    limits: list[int | None] = []
    original = app.service.search

    def search(query: str, mode: str | None = None, filters: Any = None, limit: Any = None) -> Any:
        limits.append(limit)
        return original(query, mode, filters, limit)

    app.service.search = search  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await type_query(pilot, app, "linux")
        await until(pilot, lambda: len(titles(app)) == 2)
        assert sorted(titles(app)) == sorted(
            ["nohup keeps a job alive after logout", "ENOSPC: file watchers limit reached"]
        )
        assert limits[:2] == [1, 2]


async def test_a_slow_search_overtaken_by_a_newer_one_never_shows(make_app: AppFactory) -> None:
    app = make_app()
    service = holding(app, "webapp")
    async with app.run_test(size=SIZE) as pilot:
        await type_query(pilot, app, "webapp")
        stale = [w for w in app.workers if w.group == "search"]
        await type_query(pilot, app, "postgres")
        await until(pilot, lambda: titles(app) == ["Postgres max_connections too low"])
        service.gate.set()
        assert service.held_done.wait(10)
        await pilot.pause(0.2)
        assert titles(app) == ["Postgres max_connections too low"]
        assert all(worker.is_cancelled for worker in stale)


async def test_results_of_an_older_query_are_dropped(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await type_query(pilot, app, "postgres")
        await until(pilot, lambda: len(titles(app)) == 1)
        screen = app.main_screen
        old = SearchRequest(screen.seq - 1, "linux", "keyword", EntryFilter())
        late = app.service.search("linux", "keyword")
        screen.post_message(SearchDone(old, late))
        await pilot.pause(0.1)
        assert titles(app) == ["Postgres max_connections too low"]


@pytest.mark.model
async def test_keyword_results_show_while_the_model_loads(make_app: AppFactory) -> None:
    app = make_app(mode="hybrid")
    service = app.service
    assert isinstance(service, GatedRekall)
    service.hold = lambda query, mode: mode != "keyword"
    async with app.run_test(size=SIZE) as pilot:
        await type_query(pilot, app, "postgres")
        await until(pilot, lambda: "Loading embedding model…" in status(app))
        await until(pilot, lambda: titles(app)[:1] == ["Postgres max_connections too low"])
        assert "Loading embedding model…" in status(app)
        service.gate.set()
        await until(pilot, lambda: "· hybrid ·" in status(app))
        assert titles(app)[0] == "Postgres max_connections too low"
        assert app.service.semantic.models.loaded


async def test_mode_key_cycles_and_researches(make_app: AppFactory) -> None:
    app = make_app(mode="hybrid")
    async with app.run_test(size=SIZE) as pilot:
        search = app.main_screen.query_one("#search", Input)
        assert "hybrid" in str(search.border_title)
        await pilot.press("ctrl+t")
        assert app.main_screen.mode == "keyword"
        await pilot.press(*"retry")
        await until(pilot, lambda: "· keyword ·" in status(app))
        await pilot.press("escape", "m")
        assert app.main_screen.mode == "semantic"
        assert "semantic" in str(search.border_title)


async def test_filters_apply_to_the_list_and_the_search(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+f")
        form = app.screen
        assert isinstance(form, FilterForm)
        form.query_one("#filter-type", Select).value = "bug"
        form.query_one("#filter-project", Input).value = "webapp"
        form.query_one("#filter-tags", Input).focus()
        await pilot.press(*"Linux", "enter")
        assert isinstance(app.screen, MainScreen)
        assert app.main_screen.filters == EntryFilter(
            types=("bug",), tags=("linux",), project="webapp"
        )
        assert titles(app) == ["ENOSPC: file watchers limit reached"]
        search = app.main_screen.query_one("#search", Input)
        assert search.border_subtitle == "type:bug tag:linux project:webapp"
        await type_query(pilot, app, "safari OR watchers")
        await until(pilot, lambda: "result" in status(app))
        assert titles(app) == ["ENOSPC: file watchers limit reached"]


# -- an entry ------------------------------------------------------------------------------
async def test_open_an_entry_and_jump_along_its_links(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await type_query(pilot, app, "postgres")
        await until(pilot, lambda: len(titles(app)) == 1)
        await pilot.press("enter", "enter")
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        meta = str(detail.query_one("#detail-meta", Static).render())
        assert "config · active · project api" in meta
        assert "tags: postgres" in meta and "opened 1×" in meta
        assert "pgbouncer" in detail.query_one("#detail-content", Markdown).source
        links = detail.query_one("#detail-links", OptionList)
        assert "Retry with exponential backoff" in str(links.get_option_at_index(0).prompt)
        links.focus()
        links.highlighted = 0
        await pilot.press("enter")
        assert isinstance(app.screen, DetailScreen) and app.screen is not detail
        assert app.screen.entry is not None
        assert app.screen.entry.title == "Retry with exponential backoff"
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, MainScreen)


@pytest.mark.model
async def test_similar_entries_join_the_links(make_app: AppFactory, seeded: dict[str, str]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.open_entry(seeded["nohup keeps a job alive after logout"])
        await pilot.pause()
        links = app.screen.query_one("#detail-links", OptionList)
        await pilot.press("S")
        await until(pilot, lambda: links.option_count > 1)
        prompts = [str(links.get_option_at_index(i).prompt) for i in range(links.option_count)]
        assert prompts[0] == "Similar in meaning"
        assert len(prompts) == 6 and all(p.startswith("≈ ") for p in prompts[1:])
        await pilot.press("S")
        assert links.option_count == 6 and app.focused is links


@pytest.mark.model
async def test_add_in_the_form_is_embedded_and_seen_elsewhere(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "a")
        form = app.screen
        assert isinstance(form, EntryForm)
        await pilot.press(*"Kafka consumer lag alert")
        form.query_one("#form-type", Select).value = "pattern"
        form.query_one("#form-tags", Input).value = "kafka, Monitoring"
        form.query_one("#form-content", TextArea).load_text("Alert on lag growth, not size.")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await until(pilot, lambda: titles(app)[:1] == ["Kafka consumer lag alert"])
    elsewhere = Rekall()
    try:
        found = elsewhere.search("kafka lag", "keyword").results
        assert [r.entry.title for r in found] == ["Kafka consumer lag alert"]
        assert found[0].entry.tags == ("kafka", "monitoring")
        assert elsewhere.stats()["entries_without_vector"] == 0
    finally:
        elsewhere.close()


async def test_a_refused_form_stays_open_with_an_error(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        notices = record_notices(app)
        await pilot.press("escape", "a", "ctrl+s")
        await until(pilot, lambda: any("title is empty" in n for n in notices))
        assert isinstance(app.screen, EntryForm)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_a_write_a_rule_of_the_base_refuses_is_named_and_the_form_stays(
    make_app: AppFactory, db_file: Path
) -> None:
    import sqlite3
    from contextlib import closing

    # A team's own rule, added beside Rekall's schema.
    with closing(sqlite3.connect(db_file)) as conn, conn:
        conn.execute(
            "CREATE TRIGGER no_drafts BEFORE INSERT ON entries WHEN NEW.title LIKE 'Draft%' "
            "BEGIN SELECT RAISE(ABORT, 'drafts stay out of the base'); END"
        )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        notices = record_notices(app)
        await pilot.press("escape", "a", *"Draft: kafka lag", "ctrl+s")
        await until(pilot, lambda: any("refused the write" in n for n in notices))
        told = next(n for n in notices if "refused the write" in n)
        assert "drafts stay out of the base" in told and "not one of Rekall's" in told
        assert isinstance(app.screen, EntryForm)  # what was typed is kept
        assert app.screen.query_one("#form-title", Input).value == "Draft: kafka lag"
    assert app.service.count_entries() == len(NEWEST_FIRST)


@pytest.mark.model
async def test_edit_in_the_form(make_app: AppFactory, seeded: dict[str, str]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "e")
        form = app.screen
        assert isinstance(form, EntryForm)
        form.query_one("#form-title", Input).value = "ENOSPC: inotify watchers exhausted"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: titles(app)[:1] == ["ENOSPC: inotify watchers exhausted"])
    entry = app.service.get(seeded["ENOSPC: file watchers limit reached"])
    assert entry.title == "ENOSPC: inotify watchers exhausted"
    assert entry.tags == ("linux", "node")


@pytest.mark.model
async def test_edit_in_editor(
    make_app: AppFactory,
    seeded: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "p.write_text(p.read_text().replace('too low', 'exhausted') + '\\nUse a pool.\\n')\n"
    )
    monkeypatch.setenv("EDITOR", f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}")
    app = make_app()
    monkeypatch.setattr(app, "suspend", nullcontext)  # a headless test has no terminal to hand over
    async with app.run_test(size=SIZE) as pilot:
        await type_query(pilot, app, "postgres")
        await until(pilot, lambda: len(titles(app)) == 1)
        await pilot.press("enter", "E")
        await until(pilot, lambda: titles(app) == ["Postgres max_connections exhausted"])
    entry = app.service.get(seeded["Postgres max_connections too low"])
    assert entry.content.endswith("in front.\nUse a pool.")


async def test_deprecate_asks_first(make_app: AppFactory, seeded: dict[str, str]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "x")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.service.get(seeded[NEWEST_FIRST[0]]).status == "active"
        await pilot.press("x", "y")
        await until(pilot, lambda: titles(app) == NEWEST_FIRST[1:])
    assert app.service.get(seeded[NEWEST_FIRST[0]]).status == "deprecated"


async def test_delete_from_the_detail_screen(make_app: AppFactory, seeded: dict[str, str]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "enter")
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await until(pilot, lambda: titles(app) == NEWEST_FIRST[1:])
    remaining = {entry.id for entry in app.service.list_entries(limit=100)}
    assert seeded[NEWEST_FIRST[0]] not in remaining


async def test_link_two_entries(make_app: AppFactory, seeded: dict[str, str]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "l")
        picker = app.screen
        assert isinstance(picker, LinkPicker)
        picker.query_one("#link-type", Select).value = "contradicts"
        await pilot.press(*"nohup")
        candidates = picker.query_one("#link-candidates", OptionList)
        await until(pilot, lambda: candidates.option_count == 1)
        await pilot.press("enter")  # enter in "Find" picks the top candidate
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        source = seeded[NEWEST_FIRST[0]]
        await until(pilot, lambda: bool(app.service.links(source)))
    [link] = app.service.links(source)
    assert (link.target_id, link.type) == (
        seeded["nohup keeps a job alive after logout"],
        "contradicts",
    )


# -- errors, help, terminal ----------------------------------------------------------------
async def test_facade_errors_become_notifications(
    make_app: AppFactory, seeded: dict[str, str]
) -> None:
    app = make_app()
    service = app.service
    assert isinstance(service, GatedRekall)
    service.fail = lambda query: query == "boom"
    async with app.run_test(size=SIZE) as pilot:
        notices = record_notices(app)
        await type_query(pilot, app, "boom")
        await until(pilot, lambda: "malformed" in status(app))
        other = Rekall()
        try:
            other.delete(seeded[NEWEST_FIRST[0]])
        finally:
            other.close()
        await pilot.press("escape", "e")  # the list still shows the deleted entry
        assert isinstance(app.screen, MainScreen)
        app.open_entry(seeded[NEWEST_FIRST[0]])
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert any("malformed" in n for n in notices)
        assert any("no entry" in n.lower() for n in notices), notices
        assert app.is_running


async def test_help_screen_lists_the_keys(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text", Static).render())
        for fragment in ("ctrl+q", "ctrl+t", "ctrl+f", "delete", "$EDITOR"):
            assert fragment in text
        await pilot.press("escape", "escape", "question_mark")
        assert isinstance(app.screen, HelpScreen)


async def test_everything_fits_at_80x24(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = app.main_screen.table
        width = sum(column.get_render_width(table) for column in table.columns.values())
        assert width <= SIZE[0] - 2
        await pilot.press("escape", "e")
        for selector in ("#form-save", "#form-content", "#form-confidence"):
            region = app.screen.query_one(selector).region
            assert region.bottom <= SIZE[1] and region.right <= SIZE[0] and region.height
        await pilot.press("escape", "enter")
        assert app.screen.query_one("#detail-links").region.bottom <= SIZE[1]


def colourful(svg: str) -> set[str]:
    """The saturated colours a screenshot's text styles use (greys, the only NO_COLOR tones,
    and the window frame's decoration left out)."""
    found = set(re.findall(r"fill:\s*(#[0-9a-fA-F]{6})", svg))
    channels = {c: [int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in found}
    return {c for c, rgb in channels.items() if max(rgb) - min(rgb) > 16}


@pytest.mark.parametrize("no_color", [False, True])
async def test_no_color_is_honoured(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch, no_color: bool
) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.no_color is no_color
        assert bool(colourful(app.export_screenshot())) is not no_color


@pytest.mark.parametrize("keys", [("escape", "q"), ("ctrl+q",)])
async def test_quits_cleanly(make_app: AppFactory, keys: tuple[str, ...]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*keys)
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0


async def test_closing_waits_for_a_search_still_running(make_app: AppFactory) -> None:
    app = make_app()
    service = holding(app, "postgres")
    closed_after_search: list[bool] = []
    close = service.close

    def record_close() -> None:
        closed_after_search.append(service.held_done.is_set())
        close()

    service.close = record_close  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await type_query(pilot, app, "postgres")
        await until(pilot, service.held_started.is_set)
        await pilot.press("ctrl+q")
    closer = threading.Thread(target=app.close_service)
    closer.start()
    closer.join(0.3)  # time for a close that does not wait to happen
    service.gate.set()
    closer.join(DEADLINE)
    assert closed_after_search == [True], "the facade closed under a running search"


def test_a_facade_call_that_starts_after_closing_does_not_run() -> None:
    calls = FacadeCalls()
    with calls.running() as allowed:
        assert allowed
    assert calls.finish(timeout=0)
    with calls.running() as allowed:
        assert not allowed


def test_the_default_facade_unloads_the_model_when_idle() -> None:
    service = app_module.open_service(lambda text: None)
    try:
        status_now = service.semantic.models.status()
        assert status_now.idle_timeout_seconds == 600
    finally:
        service.close()


# -- the command ---------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "mode"), [([], None), (["tui", "--mode", "keyword"], "keyword")])
def test_the_commands_run_the_app(
    monkeypatch: pytest.MonkeyPatch, args: list[str], mode: str | None
) -> None:
    calls: list[str | None] = []
    monkeypatch.setattr(app_module, "run_tui", calls.append)
    monkeypatch.setattr(commands_tui, "interactive", lambda: True)
    result = CliRunner().invoke(rekall_cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert calls == [mode]


def test_without_a_terminal_rekall_shows_help_and_tui_refuses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(app_module, "run_tui", lambda mode: pytest.fail("the app started"))
    result = CliRunner().invoke(rekall_cli, [], prog_name="rekall")
    assert result.exit_code == 0 and result.output.startswith("Usage: rekall")
    result = CliRunner().invoke(rekall_cli, ["tui"], prog_name="rekall")
    assert result.exit_code == 2
    assert "needs an interactive terminal" in result.output


def test_a_broken_database_is_an_error_not_a_traceback(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(commands_tui, "interactive", lambda: True)
    isolated_env.mkdir(parents=True)
    (isolated_env / "rekall.db").write_bytes(b"this is not a database" * 100)
    result = CliRunner().invoke(rekall_cli, ["tui"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "Traceback" not in result.output


# -- snapshots of the main screens (pytest-textual-snapshot; --snapshot-update to accept) --
RunBefore = Callable[[Pilot[Any]], Awaitable[None]]


class SteadyRekall(Rekall):
    """The real facade with the search time pinned, so a screenshot is the same every run."""

    def search(self, *args: Any, **kwargs: Any) -> SearchResponse:
        return super().search(*args, **kwargs)._replace(elapsed_ms=4.0)


@pytest.fixture
def steady_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Entry ids from a counter instead of the clock and randomness; one author everywhere."""
    counter = itertools.count(1)
    monkeypatch.setattr("rekall.service.entries.new_id", lambda: f"01JT{next(counter):022d}")
    monkeypatch.setattr("rekall.service.entries.local_user", lambda: "alice")
    # Ages on screen ("3 d ago") are measured from a pinned now.
    now = datetime(2025, 1, 4, 7, 0, tzinfo=timezone.utc)
    monkeypatch.setattr(entry_table, "utc_now", lambda: now)
    # A busy machine must not catch a slow search dimmed as stale.
    monkeypatch.setattr(search_screen, "STALE_AFTER", 60.0)


@pytest.fixture
def snapshot_app(steady_ids: None, make_app: AppFactory) -> Callable[[str], RekallApp]:
    return lambda mode: make_app(mode=mode, service_class=SteadyRekall)


def footer_shown(app: RekallApp) -> bool:
    """Every footer on the screen shows its keys (a footer fills itself in after mounting)."""
    return all(footer.children for footer in app.screen.query(Footer))


def after(keys: tuple[str, ...], ready: Callable[[RekallApp], bool]) -> RunBefore:
    """The keys to press before a screenshot, then the state to wait for: the screenshot is
    taken only once the app shows what it is of, however slow the machine."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, RekallApp)
        await until(pilot, lambda: titles(app) == NEWEST_FIRST and footer_shown(app))
        await pilot.press(*keys)
        await until(pilot, lambda: ready(app) and footer_shown(app))
        steady_cursors(app)
        await pilot.pause()

    return run_before


def results_shown(app: RekallApp) -> bool:
    table = app.main_screen.table
    return settled(app) and len(titles(app)) == 2 and app.focused is table


def detail_shown(app: RekallApp) -> bool:
    screen = app.screen
    return (
        isinstance(screen, DetailScreen)
        and screen.entry is not None
        and screen.entry.title == "Postgres max_connections too low"
        and bool(screen.query_one("#detail-content", Markdown).children)
    )


def form_shown(app: RekallApp) -> bool:
    screen = app.screen
    return (
        isinstance(screen, EntryForm)
        and app.focused is screen.query_one("#form-title", Input)
        and screen.query_one("#form-title", Input).value == NEWEST_FIRST[0]
    )


def test_snapshot_list(snap_compare: Any, snapshot_app: Callable[[str], RekallApp]) -> None:
    run_before = after((), lambda app: settled(app) and status(app).startswith("6 entries"))
    assert snap_compare(snapshot_app("hybrid"), run_before=run_before, terminal_size=SIZE)


def test_snapshot_search_results(
    snap_compare: Any, snapshot_app: Callable[[str], RekallApp]
) -> None:
    run_before = after((*"linux", "enter"), results_shown)
    assert snap_compare(snapshot_app("keyword"), run_before=run_before, terminal_size=SIZE)


def test_snapshot_detail(snap_compare: Any, snapshot_app: Callable[[str], RekallApp]) -> None:
    run_before = after((*"postgres", "enter", "enter"), detail_shown)
    assert snap_compare(snapshot_app("keyword"), run_before=run_before, terminal_size=SIZE)


def test_snapshot_edit_form(snap_compare: Any, snapshot_app: Callable[[str], RekallApp]) -> None:
    run_before = after(("escape", "e"), form_shown)
    assert snap_compare(snapshot_app("keyword"), run_before=run_before, terminal_size=SIZE)


def test_snapshot_help(snap_compare: Any, snapshot_app: Callable[[str], RekallApp]) -> None:
    run_before = after(("f1",), lambda app: isinstance(app.screen, HelpScreen))
    assert snap_compare(snapshot_app("keyword"), run_before=run_before, terminal_size=SIZE)


# -- review --------------------------------------------------------------------------------
def review_text(app: RekallApp, part: str) -> str:
    return str(app.screen.query_one(f"#review-{part}", Static).render())


async def test_review_grades_due_entries_one_by_one(
    make_app: AppFactory, seeded: dict[str, str]
) -> None:
    app = make_app()  # the seed was written in 2025: every entry is due
    async with app.run_test(size=SIZE) as pilot:
        notices = record_notices(app)
        await pilot.press("escape", "v")
        assert isinstance(app.screen, ReviewScreen)
        assert review_text(app, "title") == "CORS fails on Safari"
        assert "Review 1/6" in review_text(app, "progress")
        assert "tags: cors, safari" in review_text(app, "meta")
        content = app.screen.query_one("#review-content", Markdown)
        assert "Safari drops cross-site cookies." in content.source
        await pilot.press("4")
        await until(pilot, lambda: any("Next review in 1 day." in n for n in notices))
        assert review_text(app, "title") == "nohup keeps a job alive after logout"
        await pilot.press("s")
        assert "Review 3/6" in review_text(app, "progress")
        other = Rekall()
        try:
            assert other.count_due() == 5
            due = [item.entry.title for item in other.review_queue()]
            assert "CORS fails on Safari" not in due
            cors = other.get(seeded["CORS fails on Safari"], record_access=False)
            assert cors.access_count == 1
            other.delete(seeded["useEffect runs twice in StrictMode"])
        finally:
            other.close()
        await pilot.press("5")  # the entry on screen is gone: an error, then the next one
        await until(pilot, lambda: any("no entry" in n.lower() for n in notices))
        await until(pilot, lambda: "Review 4/6" in review_text(app, "progress"))
        await pilot.press("s", "s", "s")
        assert review_text(app, "title") == "Reviewed 1, skipped 5; 4 still due."
        await pilot.press("3")
        assert app.screen.reviewed == 1  # type: ignore[attr-defined]
        await pilot.press("q")
        assert isinstance(app.screen, MainScreen)


async def test_review_with_nothing_due(tui_apps: AppFactory) -> None:
    app = tui_apps()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "v")
        assert isinstance(app.screen, ReviewScreen)
        assert review_text(app, "title").startswith("Nothing to review now")
        await pilot.press("0", "s", "escape")
        assert isinstance(app.screen, MainScreen)
