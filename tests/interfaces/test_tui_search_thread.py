"""The TUI's hybrid searches start the keyword side's thread; quitting stops it."""

from __future__ import annotations

import pytest

from rekall.service import Rekall
from tests.interfaces.tui_pilot import SIZE, AppFactory, type_query, until

pytestmark = pytest.mark.model


async def test_quitting_stops_the_keyword_side_thread(make_app: AppFactory) -> None:
    app = make_app(mode="hybrid", service_class=Rekall)
    async with app.run_test(size=SIZE) as pilot:
        await type_query(pilot, app, "cross-origin request")
        await until(pilot, lambda: app.service.semantic.models.loaded)
        # The next search, the model loaded, runs its keyword side beside the embedding.
        await type_query(pilot, app, "request blocked by the browser")
        worker = app.service.keyword.worker
        await until(pilot, lambda: worker.running)
        await pilot.press("ctrl+q")
    app.close_service()
    assert not worker.running
