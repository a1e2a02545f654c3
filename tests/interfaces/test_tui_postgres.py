"""The terminal UI on a shared PostgreSQL base: a colleague's write appears without a keypress."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rekall.config import Config
from rekall.interfaces.tui.app import RekallApp
from rekall.service import Rekall
from tests.interfaces.test_tui import SIZE, titles, until


async def test_another_process_write_shows_in_the_open_list(postgres_url: str) -> None:
    seed = Rekall(Config(database_url=postgres_url))
    seed.add("til", "already there")
    seed.close()
    app = RekallApp(
        lambda notify: Rekall(Config(database_url=postgres_url), long_lived=True, notify=notify),
        mode="keyword",
    )
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: titles(app) == ["already there"])
            await until(pilot, lambda: app.service.db._listener.connected.is_set(), 30)
            written = subprocess.run(
                [str(Path(sys.executable).parent / "rekall"), "add", "bug", "from a colleague"],
                env={**os.environ, "REKALL_DATABASE_URL": postgres_url},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert written.returncode == 0, written.stderr
            await until(pilot, lambda: "from a colleague" in titles(app), 30)
    finally:
        app.close_service()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_watch_is_declined_where_reads_are_always_fresh(backend: str) -> None:
    rekall = Rekall()
    try:
        assert rekall.watch(lambda generation: None) is False
    finally:
        rekall.close()
