"""The base hostile-input tests run against: two entries, and no model to wait for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rekall.service import Rekall
from tests.faults.fuzz import open_base


@pytest.fixture
def base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rekall]:
    """A service on fuzz.open_base(); without a model, every example stays fast."""
    (tmp_path / "no-model").mkdir()
    monkeypatch.setenv("REKALL_MODEL_PATH", str(tmp_path / "no-model"))
    service = open_base()
    try:
        yield service
    finally:
        service.close()
