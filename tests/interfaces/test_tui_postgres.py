"""The terminal UI on a shared PostgreSQL base: a colleague's write appears without a keypress."""

from __future__ import annotations

import os
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

from rekall.config import Config
from rekall.service import Rekall
from tests.interfaces.tui_pilot import SIZE, AppFactory, record_notices, titles, until


async def test_another_process_write_shows_in_the_open_list(
    postgres_url: str, tui_apps: AppFactory
) -> None:
    seed = Rekall(Config(database_url=postgres_url))
    try:
        seed.add("til", "already there")
    finally:
        seed.close()
    app = tui_apps(service_class=partial(Rekall, Config(database_url=postgres_url)))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: titles(app) == ["already there"])
        await until(pilot, lambda: app.service.db._listener.connected.is_set())
        written = subprocess.run(
            [str(Path(sys.executable).parent / "rekall"), "add", "bug", "from a colleague"],
            env={**os.environ, "REKALL_DATABASE_URL": postgres_url},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert written.returncode == 0, written.stderr
        await until(pilot, lambda: "from a colleague" in titles(app))


async def test_a_colleagues_write_leaves_the_cursor_on_its_entry(
    postgres_url: str, tui_apps: AppFactory
) -> None:
    seed = Rekall(Config(database_url=postgres_url))
    try:
        seed.add("til", "chosen here")
        seed.add("til", "written after it")
    finally:
        seed.close()
    app = tui_apps(service_class=partial(Rekall, Config(database_url=postgres_url)))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: titles(app) == ["written after it", "chosen here"])
        await until(pilot, lambda: app.service.db._listener.connected.is_set())
        await pilot.press("escape", "down")
        colleague = Rekall(Config(database_url=postgres_url))
        try:
            colleague.add("bug", "from a colleague")
        finally:
            colleague.close()
        await until(pilot, lambda: "from a colleague" in titles(app))
        entry = app.main_screen.table.current_entry()
        assert entry is not None and entry.title == "chosen here"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_watch_is_declined_where_reads_are_always_fresh(backend: str) -> None:
    rekall = Rekall()
    try:
        assert rekall.watch(lambda generation: None) is False
    finally:
        rekall.close()


async def test_an_open_entry_shows_a_colleagues_edit_and_closes_on_their_delete(
    postgres_url: str, tui_apps: AppFactory
) -> None:
    from rekall.interfaces.tui.detail import DetailScreen
    from rekall.interfaces.tui.main_screen import MainScreen

    seed = Rekall(Config(database_url=postgres_url))
    try:
        entry = seed.add("til", "nohup keeps a job alive", "SIGHUP kills jobs.")
    finally:
        seed.close()
    app = tui_apps(service_class=partial(Rekall, Config(database_url=postgres_url)))
    async with app.run_test(size=SIZE) as pilot:
        notices = record_notices(app)
        await until(pilot, lambda: titles(app) == ["nohup keeps a job alive"])
        await until(pilot, lambda: app.service.db._listener.connected.is_set())
        await pilot.press("escape", "enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))
        colleague = Rekall(Config(database_url=postgres_url))
        try:
            colleague.update(entry.id, title="nohup or tmux keep a job alive")
            await until(pilot, lambda: app.screen.entry.title == "nohup or tmux keep a job alive")
            colleague.delete(entry.id)
        finally:
            colleague.close()
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await until(pilot, lambda: titles(app) == [])
        assert "“nohup or tmux keep a job alive” was deleted elsewhere." in notices


async def test_an_entry_deleted_under_another_open_one_closes_when_uncovered(
    postgres_url: str, tui_apps: AppFactory
) -> None:
    from rekall.interfaces.tui.detail import DetailScreen

    seed = Rekall(Config(database_url=postgres_url))
    try:
        below, above = seed.add("til", "alpha entry", "A."), seed.add("til", "beta entry", "B.")
    finally:
        seed.close()
    app = tui_apps(service_class=partial(Rekall, Config(database_url=postgres_url)))
    async with app.run_test(size=SIZE) as pilot:
        notices = record_notices(app)
        await until(pilot, lambda: app.service.db._listener.connected.is_set())
        app.open_entry(below.id)
        await until(pilot, lambda: getattr(app.screen, "entry", None) is not None)
        app.open_entry(above.id)
        await until(pilot, lambda: getattr(app.screen, "entry_id", None) == above.id)
        colleague = Rekall(Config(database_url=postgres_url))
        try:
            colleague.delete(below.id)
            await until(pilot, lambda: any("alpha entry" in n for n in notices))
            for title in ("beta 1", "beta 2"):  # the covered screen is not read again
                colleague.update(above.id, title=title)
                await until(pilot, partial(lambda wanted: app.screen.entry.title == wanted, title))
        finally:
            colleague.close()
        assert getattr(app.screen, "entry_id", None) == above.id  # the top one stayed
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, DetailScreen))
        assert sum("alpha entry" in n for n in notices) == 1
