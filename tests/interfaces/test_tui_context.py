"""Context in the terminal UI: shown on the detail screen, written in the add and edit forms."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input, Static, TextArea

from rekall.interfaces.tui.forms import EntryForm
from rekall.interfaces.tui.main_screen import MainScreen
from rekall.service import Rekall
from tests.interfaces.tui_pilot import SIZE, AppFactory, record_notices, showing, until

ERROR = "Error: listen EADDRINUSE: address already in use :::3000"


def context_shown(app: Any) -> str:
    return str(app.screen.query_one("#detail-context", Static).render())


async def test_the_detail_screen_shows_the_context(
    make_app: AppFactory, seeded: dict[str, str]
) -> None:
    entry_id = seeded["ENOSPC: file watchers limit reached"]
    service = Rekall()
    try:
        service.update(
            entry_id,
            context={
                "situation": "Jest watch mode stopped on a big monorepo",
                "error_messages": [ERROR, "ENOSPC: System limit for number of file watchers"],
                "files_modified": ["/etc/sysctl.conf"],
            },
        )
    finally:
        service.close()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        other = seeded["CORS fails on Safari"]
        app.open_entry(other)
        await until(pilot, lambda: showing(app, other))
        assert not app.screen.query_one("#detail-context", Static).display
        await pilot.press("escape")
        app.open_entry(entry_id)
        await until(pilot, lambda: showing(app, entry_id))
        assert app.screen.query_one("#detail-context", Static).display
        shown = context_shown(app)
        assert "Situation\n  Jest watch mode stopped on a big monorepo" in shown
        assert f"Errors\n  {ERROR}\n  ENOSPC: System limit" in shown
        assert "Files\n  /etc/sysctl.conf" in shown
        assert "What failed" not in shown


@pytest.mark.model
async def test_the_add_form_writes_the_context(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "a")
        form = app.screen
        assert isinstance(form, EntryForm)
        form.query_one("#form-title", Input).value = "Port 3000 taken by a stale dev server"
        box = form.query_one("#form-context", TextArea)
        box.load_text(
            box.text.replace("error:", f"error: {ERROR}").replace(
                "file:", "file: package.json\nfile: scripts/dev.sh"
            )
        )
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
    found = app.service.search(ERROR, mode="keyword").results[0].entry
    assert found.title == "Port 3000 taken by a stale dev server"
    assert found.context is not None
    assert found.context.items("files_modified") == ("package.json", "scripts/dev.sh")


@pytest.mark.model
async def test_the_edit_form_changes_the_context(
    make_app: AppFactory, seeded: dict[str, str]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "e")
        form = app.screen
        assert isinstance(form, EntryForm)
        box = form.query_one("#form-context", TextArea)
        box.load_text(box.text.replace("solution:", "solution: Raise fs.inotify.max_user_watches"))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
    entry = app.service.get(seeded["ENOSPC: file watchers limit reached"])
    assert entry.context is not None
    assert entry.context.text("solution") == "Raise fs.inotify.max_user_watches"
    assert entry.title == "ENOSPC: file watchers limit reached"


async def test_a_broken_context_line_keeps_the_form_open(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        notices = record_notices(app)
        await pilot.press("escape", "a")
        form = app.screen
        assert isinstance(form, EntryForm)
        form.query_one("#form-title", Input).value = "Kept"
        form.query_one("#form-context", TextArea).load_text("mood: tired")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any("unknown header line 'mood: tired'" in n for n in notices))
        assert isinstance(app.screen, EntryForm)
        assert form.query_one("#form-title", Input).value == "Kept"
