"""Fixtures of the terminal UI tests (their helpers are in tui_pilot)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.interfaces.tui_pilot import Apps, build_apps, seed_base


@pytest.fixture
def seeded() -> dict[str, str]:
    """Six embedded entries and two links (tui_pilot.SEED); returns title -> id."""
    return seed_base()


@pytest.fixture
def tui_apps() -> Iterator[Apps]:
    """Build apps on this test's base (keyword mode unless asked); closes their facades."""
    yield from build_apps()


@pytest.fixture
def make_app(seeded: dict[str, str], tui_apps: Apps) -> Apps:
    """tui_apps on the seeded base."""
    return tui_apps
