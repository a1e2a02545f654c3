"""`rekall search` answered without click prints, fails and exits exactly as the click command."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rekall.interfaces.cli.quick import parse_search_args
from rekall.service import Rekall

pytestmark = pytest.mark.model

RUN = """
import atexit, sys
flag = sys.argv.pop(1)
loaded = lambda: ("rekall.interfaces.cli.main" in sys.modules, "click" in sys.modules)
atexit.register(lambda: open(flag, "w").write(repr(loaded())))
sys.argv[0] = "rekall"
from rekall.interfaces.cli.{module} import main
main()
"""
# (arguments after `search`, whether the quick path answers them)
CASES: list[tuple[list[str], bool]] = [
    (["cors", "--mode", "keyword"], True),
    (["cors", "-m", "KEYWORD", "--json"], True),
    (["--mode", "keyword", "-n", "1", "cors"], True),
    (["cors", "-m", "keyword", "--type", "bug", "--type", "TIL"], True),
    (["cors", "-m", "keyword", "--tag", "web,Cors", "-p", "webapp"], True),
    (["safari", "-m", "keyword", "--status", "all", "--limit", "1000"], True),
    (["title", "-m", "keyword"], True),  # a title holding ANSI codes
    (["browser blocks cross-origin request"], True),  # hybrid, with the model
    ([""], True),  # refused by the service: the same error either way
    (["cors", "-m", "keyword", "-n", "0"], False),
    (["cors", "-m", "keyword", "-n", "1001"], False),
    (["cors", "-m", "keyword", "-n", "+3"], False),
    (["cors", "--mode", "bogus"], False),
    (["cors", "--mode"], False),
    (["cors", "--limit=3", "-m", "keyword"], False),
    (["cors", "-m", "keyword", "-m", "semantic"], False),
    (["cors", "extra"], False),
    ([], False),
    (["-h"], False),
    (["cors", "--bogus"], False),
    (["--", "-cors"], False),
    (["caf\udce9", "-m", "keyword"], False),  # a non-UTF-8 byte in argv
]


@pytest.fixture
def base(service: Rekall) -> Iterator[None]:
    service.add(
        "bug", "CORS fails on Safari", "Add credentials: 'include'", ("cors", "web"), "webapp"
    )
    service.add("til", "Safari blocks third-party cookies", "Use a first-party domain.", ("cors",))
    old = service.add("pattern", "Old CORS proxy", "Replaced by headers.", ("cors",))
    service.deprecate(old.id)
    service.add("snippet", "\x1b[31mescape\x1b[0m codes in a title", "shown plain when piped")
    yield


def run(module: str, args: list[str], tmp_path: Path) -> tuple[int, str, str, tuple[bool, bool]]:
    """Exit code, stdout, stderr, and whether the click command and click were loaded."""
    flag = tmp_path / f"{module}-click-loaded"
    result = subprocess.run(
        [sys.executable, "-c", RUN.format(module=module), str(flag), "search", *args],
        capture_output=True,
        timeout=300,
    )
    # Only the timing in the closing line differs between two runs.
    stderr = re.sub(rb"in \d+ ms", b"in N ms", result.stderr).decode("utf-8", "replace")
    command, click = flag.read_text().strip("()").split(", ")
    return result.returncode, result.stdout.decode(), stderr, (command == "True", click == "True")


@pytest.mark.parametrize(("args", "quick"), CASES, ids=[" ".join(c[0]) or "-" for c in CASES])
def test_the_quick_path_answers_exactly_as_click(
    base: None, tmp_path: Path, args: list[str], quick: bool
) -> None:
    via_entry = run("entry", args, tmp_path)
    via_click = run("main", args, tmp_path)
    assert via_entry[:3] == via_click[:3]
    command_loaded, click_loaded = via_entry[3]
    assert command_loaded is not quick, "the quick path must answer plain arguments, only those"
    if quick and via_entry[0] == 0:
        assert not click_loaded


def test_ansi_codes_are_removed_from_piped_output(base: None, tmp_path: Path) -> None:
    code, stdout, _, _ = run("entry", ["title", "-m", "keyword"], tmp_path)
    assert code == 0 and "escape codes in a title" in stdout and "\x1b" not in stdout


def test_options_are_read_as_click_reads_them() -> None:
    parsed = parse_search_args(["q", "-m", "Semantic", "--type", "BUG", "--status", "ALL"])
    assert parsed is not None
    assert (parsed.query, parsed.mode, parsed.types, parsed.status) == (
        "q",
        "semantic",
        ["bug"],
        "all",
    )


LOADED = """
import atexit, json, sys
flag = sys.argv.pop(1)
atexit.register(lambda: open(flag, "w").write(json.dumps(sorted(sys.modules))))
sys.argv[0] = "rekall"
from rekall.interfaces.cli.entry import main
main()
"""
# What a cold hybrid search used to import without using it (decision 012): OpenSSL through
# hashlib, platformdirs with tempfile, shutil and random when the folders are named by
# REKALL_HOME, REKALL_CONFIG and REKALL_CACHE_DIR, the tokenizers library, click.
NOT_FOR_A_SEARCH = {"hashlib", "_hashlib", "platformdirs", "tempfile", "shutil", "secrets"}
NOT_FOR_A_SEARCH |= {"tokenizers", "click", "threadpoolctl"}
# The storage contract's protocol classes, only for the type checker (~2 ms to create).
NOT_FOR_A_SEARCH |= {"rekall.storage.contract"}
# The repositories of areas a search does not read (~2 ms with their record classes).
NOT_FOR_A_SEARCH |= {f"rekall.storage.{name}_repo" for name in ("links", "review", "tokens")}
NOT_FOR_A_SEARCH |= {"rekall.storage.transfer_repo", "rekall.storage.merge_repo"}
# Annotations' array types, and importlib.util when the path finder finds the weights.
NOT_FOR_A_SEARCH |= {"numpy.typing", "importlib.util"}
# Embedding entries as they are written.
NOT_FOR_A_SEARCH |= {"rekall.service.indexing", "rekall.service.pieces"}
# Review records, schedule and dates: the facade's review methods import them when called.
NOT_FOR_A_SEARCH |= {"rekall.service.review", "rekall.core.review"}
# Record classes a search never builds, each in the module of the work that builds them.
NOT_FOR_A_SEARCH |= {"rekall.storage.vector_rows", "rekall.storage.weighed"}
NOT_FOR_A_SEARCH |= {"rekall.search.rank_fusion", "rekall.search.model_status"}
# The thread for a search's other side: a one-shot search on SQLite runs its sides in turn.
NOT_FOR_A_SEARCH |= {"rekall.service.side_worker"}
# Creating a dataclass compiles its generated methods (~0.5 ms each on Python 3.11, 26 of
# them took 13 ms of a cold search); the records a search builds are NamedTuples or plain
# classes, so a search does not even import the module.
NOT_FOR_A_SEARCH |= {"dataclasses"}


COLLECTED = """
import atexit, gc, sys
flag = sys.argv.pop(1)
count = lambda: sum(generation["collections"] for generation in gc.get_stats())
before = count()  # the interpreter's start-up collects too
said = lambda: f"{count() - before} {gc.isenabled()} {gc.get_freeze_count()}"
atexit.register(lambda: open(flag, "w").write(said()))  # runs after the handlers main() adds
sys.argv[0] = "rekall"
from rekall.interfaces.cli.entry import main
main()
"""


@pytest.mark.parametrize("command", [["search", "browser blocks cookies"], ["list"]])
def test_only_a_search_process_leaves_garbage_to_its_exit(
    base: None, tmp_path: Path, command: list[str]
) -> None:
    flag = tmp_path / "collections"
    for _ in range(2):  # the first run checks the weights once, the second not
        result = subprocess.run(
            [sys.executable, "-c", COLLECTED, str(flag), *command], capture_output=True, timeout=300
        )
        assert result.returncode == 0, result.stderr
    collections, enabled, frozen = flag.read_text().split()
    if command[0] == "search":  # 54 before, nearly all while modules import
        assert int(collections) <= 1 and enabled == "False"  # 1: importing this module
        # Frozen at exit, so the interpreter's last full collection skips them.
        assert int(frozen) > 10_000
        assert b"CORS fails on Safari" in result.stdout
    else:  # other commands, the long-lived ones among them, keep the collector
        # Python 3.13 ran 10 collections here, 3.11 more: any after start-up will do.
        assert int(collections) > 1 and enabled == "True" and frozen == "0"


def test_a_cold_hybrid_search_imports_only_what_it_runs(base: None, tmp_path: Path) -> None:
    flag = tmp_path / "modules"
    for _ in range(2):  # the first run checks the weights once (hashing them), the second not
        result = subprocess.run(
            [sys.executable, "-c", LOADED, str(flag), "search", "browser blocks cookies"],
            capture_output=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
    assert b"CORS fails on Safari" in result.stdout
    loaded = set(json.loads(flag.read_text()))
    assert "rekall.search.embedder" in loaded  # the model ran
    assert loaded & NOT_FOR_A_SEARCH == set()


ENDED = """
import atexit, os, sys, threading
said = lambda line: os.write(2, line.encode() + b"\\n")
exit_now = os._exit
os._exit = lambda code: (said(f"ended at once, {code}"), exit_now(code))
atexit.register(lambda: said("handlers ran"))
atexit.register(lambda: print("printed at exit"))  # buffered: stdout is a pipe
if sys.argv.pop(1) == "thread":
    # Alive when the search asks how many threads run, however long the search takes; it
    # finishes after that, while the search ends.
    checked, count = threading.Event(), threading.active_count
    def counted():
        running = count()
        checked.set()
        return running
    threading.active_count = counted
    threading.Thread(target=lambda: (checked.wait(120), said("thread finished"))).start()
sys.argv[0] = "rekall"
from rekall.interfaces.cli.entry import main
main()
"""


@pytest.mark.parametrize(
    ("command", "thread", "at_once"),
    [
        (["search", "browser blocks cookies"], "", True),
        (["list"], "", False),  # other commands end as usual
        (["search", "browser blocks cookies"], "thread", False),  # a thread may still write
        (["search", "--bogus"], "", False),  # click answered
    ],
)
def test_a_search_skips_the_interpreter_teardown(
    base: None, tmp_path: Path, command: list[str], thread: str, at_once: bool
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", ENDED, thread or "none", *command],
        capture_output=True,
        timeout=300,
        # stdout block-buffered, as a user's pipe is
        env={name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"},
    )
    said = result.stderr.decode().splitlines()
    assert "handlers ran" in said
    assert b"printed at exit" in result.stdout  # flushed after the handlers too
    assert ("ended at once, 0" in said) == at_once
    assert ("thread finished" in said) == bool(thread)
    if command[1:] != ["--bogus"]:
        assert result.returncode == 0, result.stderr
        assert b"CORS fails on Safari" in result.stdout  # flushed before the end
