"""After `rekall import --from-db` of a Rekall 0.3 base, every context shows in `rekall show`
and on the terminal UI's detail screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from rekall.interfaces.tui.detail import DetailScreen
from rekall.service import Rekall
from tests.conftest import CliInvoker
from tests.interfaces.tui_pilot import SIZE, AppFactory, showing, until
from tests.service.test_legacy_context import FREE_TEXT_ONLY, WITH_STRUCTURE
from tests.service.test_legacy_import import copy_fixture

pytestmark = pytest.mark.model
SHOWN = [*WITH_STRUCTURE, *FREE_TEXT_ONLY]


def expected_lines(expected: dict[str, Any]) -> list[str]:
    """Every context value of a 0.3 entry, as lines that must appear."""
    structured = expected["structured_context"]
    if not structured:
        return [expected["context_text"]]
    lines = [
        structured[name] for name in ("situation", "solution", "what_failed") if structured[name]
    ]
    for name in ("error_messages", "trigger_keywords", "files_modified"):
        lines += structured[name] or []
    return lines


@pytest.fixture
def imported(cli: CliInvoker, tmp_path: Path) -> None:
    result = cli("import", "--from-db", str(copy_fixture(tmp_path / "old")))
    assert result.exit_code == 0, result.stderr


def test_show_prints_every_imported_context(cli: CliInvoker, imported: None) -> None:
    for expected in SHOWN:
        text = cli("show", expected["id"]).stdout
        assert "\nContext\n" in text
        for line in expected_lines(expected):
            assert line in text, (expected["title"], line)


async def test_the_detail_screen_shows_every_imported_context(
    imported: None, tui_apps: AppFactory
) -> None:
    app = tui_apps(service_class=Rekall)
    async with app.run_test(size=SIZE) as pilot:
        for expected in SHOWN:
            app.open_entry(expected["id"])
            await until(pilot, lambda: showing(app, expected["id"]))  # noqa: B023
            shown = str(app.screen.query_one("#detail-context", Static).render())
            for line in expected_lines(expected):
                assert line in shown, (expected["title"], line)
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, DetailScreen))


def test_ages_of_naive_timestamps_from_rekall_03_are_read_as_utc() -> None:
    from datetime import datetime, timezone

    from rekall.interfaces.tui.entry_rows import age

    now = datetime(2026, 11, 22, 1, 21, 29, tzinfo=timezone.utc)
    assert age("2026-11-21T23:21:29.232196", now) == age("2026-11-21T23:21:29.232196+00:00", now)
    assert age("2026-11-21T23:21:29.232196", now) == "1 h ago"
