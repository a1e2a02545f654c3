"""What the terminal UI says: counts, column names, ages, stale results and notifications."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from textual.widgets import Input, TextArea
from textual.widgets._toast import Toast

from rekall.interfaces.tui import entry_rows, entry_table, search_screen
from rekall.interfaces.tui.app import RekallApp
from rekall.interfaces.tui.dialogs import ConfirmScreen
from rekall.interfaces.tui.forms import EntryForm
from rekall.interfaces.tui.main_screen import MainScreen
from rekall.interfaces.tui.preview import Preview
from tests.interfaces.tui_pilot import (
    NEWEST_FIRST,
    SIZE,
    AppFactory,
    GatedRekall,
    holding,
    status,
    titles,
    type_query,
    until,
)


def header(app: object) -> str:
    table = app.main_screen.table  # type: ignore[attr-defined]
    return str(next(iter(table.columns.values())).label)


def record_statuses(app: RekallApp) -> list[str]:
    """Every status line the main screen shows from now on."""
    screen = app.main_screen
    seen: list[str] = []
    original = screen.set_status

    def set_status(text: str) -> None:
        seen.append(text)
        original(text)

    screen.set_status = set_status  # type: ignore[method-assign]
    return seen


# -- 6. labels that tell the truth ----------------------------------------------------------
async def test_the_list_counts_exactly_as_pages_load(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(entry_table, "PAGE_SIZE", 2)
    monkeypatch.setattr(entry_table, "PREFETCH_ROWS", 1)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: status(app).startswith("2 of 6 entries"))
        await pilot.press("down", "down", "down", "down", "down")
        await until(pilot, lambda: status(app).startswith("6 entries"))


async def test_the_result_count_grows_as_more_results_load(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_screen, "SEARCH_LIMIT", 1)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        statuses = record_statuses(app)
        await type_query(pilot, app, "linux")
        await until(pilot, lambda: len(titles(app)) == 2)
        await until(pilot, lambda: status(app).startswith("2 results · keyword"))
        assert any(text.startswith("1+ results") for text in statuses)


@pytest.mark.parametrize(
    ("presses", "column"),
    [(1, "Created"), (2, "Updated"), (4, "Opened"), (5, "Confidence"), (6, "Updated")],
)
async def test_the_last_column_is_named_after_the_sort(
    make_app: AppFactory, presses: int, column: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", *["s"] * presses)
        assert header(app).split()[-1] == column
        first = app.main_screen.table.get_row_at(0)[0]
        if column == "Confidence":
            assert str(first).rstrip().endswith("3/5")


async def test_ages_are_relative(make_app: AppFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # The seed's newest entry was written 2025-01-01 06:00 UTC.
    now = datetime(2025, 1, 4, 7, 0, tzinfo=timezone.utc)
    monkeypatch.setattr(entry_table, "utc_now", lambda: now)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        row = str(app.main_screen.table.get_row_at(0)[0])
        assert row.rstrip().endswith("3 d ago"), row
    assert entry_rows.age("2025-01-04T06:59:30+00:00", now) == "just now"
    assert entry_rows.age("2024-12-01T00:00:00+00:00", now) == "1 mo ago"
    assert entry_rows.age(None, now) == "never"
    assert entry_rows.age("2025-01-04 05:00:00", now) == "2 h ago"  # no offset: UTC
    assert entry_rows.age("last spring", now) == "last sprin"


async def test_titles_take_the_free_width(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.main_screen.table
        width = next(iter(table.columns.values())).get_render_width(table)
        assert width >= table.size.width - 4, "columns left blank at 80 wide"


# -- 8. previous results stay, marked, until the new ones arrive ----------------------------
async def test_a_slow_search_keeps_the_previous_results_marked_stale(
    make_app: AppFactory,
) -> None:
    app = make_app()
    service = holding(app, "linux")
    async with app.run_test(size=SIZE) as pilot:
        await type_query(pilot, app, "postgres")
        await until(pilot, lambda: titles(app) == ["Postgres max_connections too low"])
        table = app.main_screen.table
        assert not table.has_class("-stale")
        await type_query(pilot, app, "linux")
        await until(pilot, lambda: table.has_class("-stale"))
        assert titles(app) == ["Postgres max_connections too low"]
        assert status(app).startswith("Searching “linux”…")
        service.gate.set()
        await until(pilot, lambda: len(titles(app)) == 2)
        assert not table.has_class("-stale") and "2 results" in status(app)


async def test_no_results_flash_between_keystrokes(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pause between keys longer than the search but shorter than EMPTY_AFTER (made long
    # here, so a busy machine cannot stretch a pause past it).
    monkeypatch.setattr(search_screen, "EMPTY_AFTER", 30.0)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main_screen
        statuses = record_statuses(app)
        await pilot.press(*"postgres")
        await until(pilot, lambda: titles(app) == ["Postgres max_connections too low"])
        # A word still being typed that matches nothing yet (keyword search falls back to
        # partial matches, so the whole query must match nothing).
        await type_query(pilot, app, "zzzq")
        await until(pilot, lambda: "so far" in status(app))
        assert titles(app) == ["Postgres max_connections too low"]
        assert screen.table.has_class("-stale")
        await type_query(pilot, app, "postgres")
        await until(pilot, lambda: not screen.searching)
        assert titles(app) == ["Postgres max_connections too low"]
        assert not screen.table.has_class("-stale")
        assert not any(text.startswith("No results") for text in statuses)
        monkeypatch.setattr(search_screen, "EMPTY_AFTER", 0.05)
        await type_query(pilot, app, "kubernetes")
        await until(pilot, lambda: status(app).startswith("No results"))
        assert titles(app) == []


@pytest.mark.model
async def test_while_the_model_loads_no_keyword_match_is_not_zero_results(
    make_app: AppFactory,
) -> None:
    app = make_app(mode="hybrid")
    service = app.service
    assert isinstance(service, GatedRekall)
    service.hold = lambda query, mode: mode != "keyword"
    async with app.run_test(size=SIZE) as pilot:
        await type_query(pilot, app, "terminal session survives hangup")
        await until(pilot, lambda: "no keyword match yet" in status(app))
        await pilot.pause(search_screen.STALE_AFTER * 2)
        assert "no keyword match yet" in status(app)
        assert titles(app) == NEWEST_FIRST, "the list stays until results by meaning arrive"
        assert app.main_screen.table.has_class("-stale")
        service.gate.set()
        await until(pilot, lambda: "· hybrid ·" in status(app))
        assert titles(app)[0] == "nohup keeps a job alive after logout"


# -- 9. notifications stay small; a lookalike is one key from linked ------------------------
async def test_notifications_do_not_stack_over_the_list(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for n in range(5):
            app.notify(f"Notice number {n} with a few words in it", timeout=30)

        def shown() -> list[str]:
            return [str(toast.render()) for toast in app.screen.query(Toast)]

        await until(pilot, lambda: any("Notice number 4" in text for text in shown()))
        await pilot.pause(0.3)
        assert len(shown()) == 1, shown()
        assert app.screen.query_one(Toast).region.height <= 3


@pytest.mark.model
async def test_a_lookalike_is_offered_for_linking_with_one_key(
    make_app: AppFactory, seeded: dict[str, str]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "a")
        form = app.screen
        assert isinstance(form, EntryForm)
        await pilot.press(*"CORS requests fail in Safari")
        form.query_one("#form-tags", Input).value = "cors, safari"
        form.query_one("#form-content", TextArea).load_text("Safari drops cross-site cookies.")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = app.screen.question  # type: ignore[attr-defined]
        assert f"CORS fails on Safari ({seeded['CORS fails on Safari'][:12]})" in question
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        new = app.service.search("CORS requests fail", "keyword").results[0].entry
        await until(pilot, lambda: bool(app.service.links(new.id)))
        [link] = app.service.links(new.id)
        assert (link.target_id, link.type) == (seeded["CORS fails on Safari"], "related")


# -- better: a preview pane on wide terminals ------------------------------------------------
async def test_a_wide_terminal_previews_the_entry_under_the_cursor(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(130, 30)) as pilot:
        preview = app.main_screen.query_one(Preview)
        assert preview.display
        await type_query(pilot, app, "pgbouncer")
        await until(pilot, lambda: titles(app) == ["Postgres max_connections too low"])
        await until(pilot, lambda: "score" in str(preview.text))
        text = preview.text
        assert str(text).startswith("Postgres max_connections too low")
        assert "keyword relevance" in str(text)
        marked = {
            str(text)[span.start : span.end] for span in text.spans if span.style == "reverse"
        }
        assert {word.lower() for word in marked} == {"pgbouncer"}
        await pilot.resize_terminal(100, 30)
        await until(pilot, lambda: not preview.display)
        table = app.main_screen.table
        assert next(iter(table.columns.values())).get_render_width(table) >= 96
