"""Fast slice of the fuzz figure (benchmarks/bench_fuzz.py): no traceback, no change on refusal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rekall.service import Rekall
from tests.faults.fuzz import (
    IMPORT_FILE,
    Fingerprint,
    check_cli,
    check_import,
    check_mcp_calls,
    cli_argv,
    mcp_call,
)
from tests.faults.fuzz_valid import check_valid_import, valid_import

SLICE = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SLICE
@given(argv=cli_argv())
def test_generated_command_lines_answer_or_refuse_cleanly(
    base: Rekall, db_file: Path, db_fingerprint: Fingerprint, argv: list[str]
) -> None:
    outcome = check_cli(argv, base, db_file, db_fingerprint)
    assert not outcome.startswith("traceback"), (argv, outcome)


@SLICE
@given(calls=st.lists(mcp_call(), min_size=1, max_size=5))
def test_generated_tool_calls_answer_or_refuse_cleanly(
    base: Rekall, db_file: Path, db_fingerprint: Fingerprint, calls: list[tuple[str, Any]]
) -> None:
    outcomes = check_mcp_calls(calls, base, db_file, db_fingerprint)
    assert not [o for o in outcomes if o.startswith("traceback")], outcomes


@SLICE
@given(file=IMPORT_FILE)
def test_generated_import_files_import_or_refuse_cleanly(
    base: Rekall, tmp_path: Path, db_file: Path, db_fingerprint: Fingerprint, file: Any
) -> None:
    suffix, data = file
    outcome = check_import(suffix, data, base, tmp_path, db_file, db_fingerprint)
    assert not outcome.startswith("traceback"), (data[:200], outcome)


@SLICE
@given(case=valid_import())
def test_generated_valid_import_files_import_as_written(
    base: Rekall, tmp_path: Path, db_file: Path, db_fingerprint: Fingerprint, case: Any
) -> None:
    strategy, form, document = case
    outcome = check_valid_import(strategy, form, document, base, tmp_path, db_file, db_fingerprint)
    assert outcome == "imported", (strategy, form, outcome)
