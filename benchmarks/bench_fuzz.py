"""The fuzz figure: generated hostile CLI arguments, MCP tool calls and import files; counts
tracebacks and refusals that changed the database (both must be 0). Generated valid import
files (odd but correct; JSON with and without vectors, a Markdown file, a folder of them) must
import, leave the base holding them as written (and the vectors it should take from them) and
pass `rekall check`: any that does not is counted as failed.

Usage: python benchmarks/bench_fuzz.py [--cli N] [--mcp N] [--imports N] [--valid-imports N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import db_fingerprint  # noqa: E402
from tests.faults.fuzz import (  # noqa: E402
    IMPORT_FILE,
    check_cli,
    check_import,
    check_mcp_calls,
    cli_argv,
    mcp_call,
    open_base,
)
from tests.faults.fuzz_formats import FORMS  # noqa: E402
from tests.faults.fuzz_valid import check_valid_import, valid_import  # noqa: E402

MCP_BATCH = 25
# Valid files by import form (JSON with and without vectors, Markdown file and folder).
BY_FORM: Counter[str] = Counter()


def isolated_home() -> Path:
    """A fresh data, config and cache dir; no model, keyword default (fast and offline)."""
    home = Path(tempfile.mkdtemp(prefix="rekall-fuzz-"))
    (home / "no-model").mkdir()
    for name in list(os.environ):
        if name.startswith("REKALL_") or name in ("EDITOR", "VISUAL"):
            del os.environ[name]
    os.environ.update(
        REKALL_HOME=str(home / "data"),
        REKALL_CONFIG=str(home / "config.toml"),
        REKALL_CACHE_DIR=str(home / "cache"),
        REKALL_MODEL_PATH=str(home / "no-model"),
        HF_HUB_OFFLINE="1",
        # Without a model each hybrid search first looks for one (~0.5 s); keyword keeps
        # 10,000 inputs within minutes. tests/faults/test_hostile_input.py covers the modes.
        REKALL_DEFAULT_MODE="keyword",
    )
    return home


def run(area: str, examples: int, outcomes: Counter[str]) -> None:
    """Draw `examples` inputs for one area with hypothesis and tally their outcomes."""
    home = isolated_home()
    base = open_base()
    db_file = home / "data" / "rekall.db"
    config = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )

    def tally(outcome: str) -> None:
        outcomes[f"{area} {outcome if not outcome.startswith('traceback') else 'traceback'}"] += 1
        if outcome.startswith("traceback"):
            print(f"  {area}: {outcome}", file=sys.stderr)

    @config
    @given(argv=cli_argv())
    def cli_case(argv: list[str]) -> None:
        tally(check_cli(argv, base, db_file, db_fingerprint))  # type: ignore[arg-type]

    @settings(config, max_examples=max(1, examples // MCP_BATCH))
    @given(calls=st.lists(mcp_call(), min_size=MCP_BATCH, max_size=MCP_BATCH))
    def mcp_case(calls: list[tuple[str, dict[str, object]]]) -> None:
        # One client session per batch: starting a session costs more than a call.
        found = check_mcp_calls(calls, base, db_file, db_fingerprint)  # type: ignore[arg-type]
        for outcome, n in found.items():
            for _ in range(n):
                tally(outcome)

    @config
    @given(file=IMPORT_FILE)
    def import_case(file: tuple[str, bytes]) -> None:
        folder = home / "files"
        folder.mkdir(exist_ok=True)
        tally(check_import(*file, base, folder, db_file, db_fingerprint))  # type: ignore[arg-type]

    @config
    @given(case=valid_import())
    def valid_import_case(case: tuple[str, str, dict[str, object]]) -> None:
        folder = home / "files"
        folder.mkdir(exist_ok=True)
        outcome = check_valid_import(*case, base, folder, db_file, db_fingerprint)  # type: ignore[arg-type]
        if outcome != "imported" and not outcome.startswith("traceback"):
            print(f"  {area}: {outcome}", file=sys.stderr)
            outcome = "failed"
        tally(outcome)
        BY_FORM[case[1]] += 1
        BY_FORM[f"{case[1]} {outcome}"] += 1

    cases = {"cli": cli_case, "mcp": mcp_case, "import": import_case}
    cases["valid-import"] = valid_import_case
    cases[area]()
    base.close()  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cli", type=int, default=3500)
    parser.add_argument("--mcp", type=int, default=3500)
    parser.add_argument("--imports", type=int, default=3500)
    parser.add_argument("--valid-imports", type=int, default=1000)
    args = parser.parse_args()
    outcomes: Counter[str] = Counter()
    started = time.perf_counter()
    areas = [("cli", args.cli), ("mcp", args.mcp), ("import", args.imports)]
    for area, count in [*areas, ("valid-import", args.valid_imports)]:
        if count:
            run(area, count, outcomes)
    total = sum(outcomes.values())
    tracebacks = sum(n for key, n in outcomes.items() if key.endswith("traceback"))
    failed = outcomes["valid-import failed"]
    print(f"generated inputs: {total:,} in {time.perf_counter() - started:.0f} s")
    for key in sorted(outcomes):
        print(f"  {key:<20} {outcomes[key]:>6,}")
    print(f"tracebacks: {tracebacks}; refusals that changed the database: 0 (each is asserted)")
    print(
        f"valid files imported as written with a healthy check: "
        f"{outcomes['valid-import imported']:,}; failed: {failed}"
    )
    for form in FORMS:
        print(f"  {form:<20} {BY_FORM[f'{form} imported']:>6,} of {BY_FORM[form]:,}")
    print(
        "command: python benchmarks/bench_fuzz.py "
        f"--cli {args.cli} --mcp {args.mcp} --imports {args.imports} "
        f"--valid-imports {args.valid_imports}"
    )
    sys.exit(1 if tracebacks or failed else 0)


if __name__ == "__main__":
    main()
