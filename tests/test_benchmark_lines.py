"""The command line a benchmark prints beside its figures can be pasted back into a shell."""

from __future__ import annotations

import importlib.util
import shlex
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _common_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_common", BENCHMARKS / "common.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_printed_command_quotes_arguments_with_spaces(monkeypatch: pytest.MonkeyPatch) -> None:
    script = str(BENCHMARKS / "sweep_similarity.py")
    monkeypatch.setattr(sys, "argv", [script, "--only", "centred 0.25", "--runs", "3"])
    line = _common_module().command_line()
    assert line == "python benchmarks/sweep_similarity.py --only 'centred 0.25' --runs 3"
    assert shlex.split(line)[3] == "centred 0.25"
