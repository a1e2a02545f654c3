"""Generated hostile input for the CLI, the MCP tools and import files, and the one rule each
must obey: a clean answer or a clean refusal (no traceback), and no change when refused.

The test suite runs a small slice (test_fuzz.py); benchmarks/bench_fuzz.py runs thousands.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import strategies as st

from rekall.core.errors import RekallError
from rekall.interfaces.cli.main import cli as rekall_cli
from rekall.service import Rekall

Fingerprint = Callable[[Path], str]

# Text a hostile user or a broken script passes: undecodable argv bytes (lone surrogates),
# NUL, control characters, newlines, huge pastes, numbers far out of range.
HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["", " ", "\udcff\udcfe", "a\x00b", "\n\r\t", "-", "--", "%s%n", "'", '"', "\\", "*"]
    ),
    st.text(alphabet=st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF), min_size=1),
    st.builds(lambda n: "x" * n, st.sampled_from([10_001, 70_000])),
)
HOSTILE_INT = st.one_of(
    st.integers(-10, 200),
    st.sampled_from([2**63, 2**63 - 1, -(2**63) - 1, 10**19, 99999999999999, 800000]),
).map(str)
HOSTILE_VALUE = st.one_of(HOSTILE_TEXT, HOSTILE_INT)
ID_LIKE = st.one_of(st.just("ENTRY"), st.just("ENTRY_PREFIX"), HOSTILE_TEXT)

# Commands with their positional arguments and options; each value is drawn hostile.
COMMANDS: dict[str, tuple[list[Any], list[str]]] = {
    "search": ([HOSTILE_TEXT], ["--mode", "--limit", "--type", "--tag", "--project", "--status"]),
    "list": ([], ["--offset", "--limit", "--sort", "--tag", "--project", "--type"]),
    "stale": ([], ["--days", "--project", "--limit"]),
    "review": ([], ["--project", "--limit"]),
    "show": ([ID_LIKE], []),
    "similar": ([ID_LIKE], ["--limit", "--project"]),
    "related": ([ID_LIKE], ["--depth"]),
    "add": ([HOSTILE_TEXT, HOSTILE_TEXT], ["-t", "-p", "-c", "--confidence"]),
    "edit": ([ID_LIKE], ["--title", "-t", "-p", "-c", "--confidence", "--type"]),
    "deprecate": ([ID_LIKE], ["--superseded-by"]),
    "link": ([ID_LIKE, ID_LIKE], ["--type", "--reason"]),
    "unlink": ([ID_LIKE, ID_LIKE], []),
    "delete": ([ID_LIKE], []),
    "import": ([HOSTILE_TEXT], ["--strategy"]),
    "config": ([st.just("set"), HOSTILE_TEXT, HOSTILE_VALUE], []),
}


@st.composite
def cli_argv(draw: st.DrawFn) -> list[str]:
    """One command line: a command, hostile positionals, some options with hostile values."""
    name = draw(st.sampled_from(sorted(COMMANDS)))
    positionals, options = COMMANDS[name]
    argv = [name, *(draw(strategy) for strategy in positionals)]
    for option in draw(st.lists(st.sampled_from(options), max_size=3)) if options else []:
        argv += [option, draw(HOSTILE_VALUE)]
    if name == "review":
        argv.append("--list")
    return argv


def check_cli(argv: list[str], base: Rekall, db_file: Path, fingerprint: Fingerprint) -> str:
    """Run argv in process; return "ok", "refused" or "traceback: …". Raises AssertionError
    when a refused command changed the database."""
    entry = some_entry_id(base)
    argv = [entry if a == "ENTRY" else entry[:12] if a == "ENTRY_PREFIX" else a for a in argv]
    before = fingerprint(db_file)
    result = CliRunner().invoke(rekall_cli, argv, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return f"traceback: {type(result.exception).__name__}: {result.exception}"[:300]
    if "Traceback" in result.stderr:
        return "traceback: printed"
    if result.exit_code != 0:
        assert fingerprint(db_file) == before, f"refused but changed: {argv!r}"[:300]
        return "refused"
    return "ok"


def open_base() -> Rekall:
    """The base every hostile input is tried on: two entries. The caller points
    REKALL_MODEL_PATH at an empty folder first, so no example waits for the model."""
    service = Rekall()
    service.add("bug", "CORS fails on Safari", "Add credentials: 'include'", ("cors",), "web")
    service.add("til", "SQLite WAL mode", "readers never block the writer", ("sqlite",))
    return service


def some_entry_id(base: Rekall) -> str:
    """An existing entry's id (one is added when generated deletes removed them all)."""
    from rekall.core.entries import EntryFilter

    found = base.list_entries(EntryFilter(status=None), "created", 1)
    return found[0].id if found else base.add("til", "A fresh entry to aim at").id


# -- MCP tool arguments ------------------------------------------------------------------------
TOOLS: dict[str, list[str]] = {
    "search_entries": ["query", "mode", "types", "tags", "project", "status", "limit"],
    "get_entry": ["id", "offset", "max_chars"],
    "find_similar": ["id", "limit"],
    "get_related": ["id", "depth"],
    "list_recent": ["sort", "limit", "types", "project"],
    "add_entry": ["type", "title", "content", "tags", "project", "confidence"],
    "update_entry": ["id", "title", "content", "tags", "project", "status"],
    "deprecate_entry": ["id", "superseded_by"],
    "delete_entry": ["id"],
    "link_entries": ["source_id", "target_id", "type", "reason"],
    "unlink_entries": ["source_id", "target_id", "type"],
}
JSON_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers().filter(lambda n: abs(n) < 2**70) | st.sampled_from([2**63, -(2**63) - 1]),
    st.floats(allow_nan=False),
    HOSTILE_TEXT,
    st.lists(HOSTILE_TEXT, max_size=3),
    st.just("ENTRY"),
)


@st.composite
def mcp_call(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A tool name and hostile arguments (some required ones missing, some unknown)."""
    tool = draw(st.sampled_from(sorted(TOOLS)))
    names = draw(st.lists(st.sampled_from([*TOOLS[tool], "bogus"]), max_size=4, unique=True))
    return tool, {name: draw(JSON_VALUE) for name in names}


def check_mcp_calls(
    calls: list[tuple[str, dict[str, Any]]], base: Rekall, db_file: Path, fingerprint: Fingerprint
) -> Counter[str]:
    """Run tool calls through the SDK's in-memory client; count outcomes as check_cli does."""
    from mcp.client import Client

    from rekall.interfaces.mcp.server import build_server

    outcomes: Counter[str] = Counter()

    async def run() -> None:
        async with Client(build_server(base), mode="legacy") as client:
            for tool, arguments in calls:
                entry = some_entry_id(base)  # an earlier call may have deleted the others
                arguments = {k: entry if v == "ENTRY" else v for k, v in arguments.items()}
                before = fingerprint(db_file)
                result = await client.call_tool(tool, arguments)
                text = getattr(result.content[0], "text", "") if result.content else ""
                if text == f"Error executing tool {tool}":  # what an unexpected exception gives
                    outcomes[f"traceback: {tool} {json.dumps(arguments)[:200]}"] += 1
                elif result.is_error:
                    assert fingerprint(db_file) == before, f"refused but changed: {tool}"
                    outcomes["refused"] += 1
                else:
                    outcomes["ok"] += 1

    asyncio.run(run())
    return outcomes


# -- import files ------------------------------------------------------------------------------


def nested(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Lists and objects of inner values, for st.recursive."""
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)


def json_tree(text: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """Any JSON value: scalars (text drawn from text) nested in lists and objects."""
    return st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | text, nested, max_leaves=20
    )


def export_bytes(document: dict[str, Any]) -> bytes:
    """An export file's bytes; lone surrogates pass through, as a broken writer's would."""
    return json.dumps(document).encode("utf-8", "surrogatepass")


JSON_TREE = json_tree(HOSTILE_TEXT)
IMPORT_FILE = st.tuples(
    st.sampled_from([".json", ".md"]),
    st.one_of(
        st.binary(max_size=400),
        JSON_TREE.map(lambda v: json.dumps(v).encode("utf-8", "surrogatepass")),
        st.integers(1, 200_000).map(lambda n: b"[" * n + b"]" * n),
        st.just(b'{"format": "rekall-export", "version": 1, "entries": [{"id": "\xff\xfe"}]}'),
        st.builds(
            lambda entry: export_bytes(
                {"format": "rekall-export", "version": 1, "entries": [entry]}
            ),
            st.dictionaries(
                st.sampled_from(["id", "type", "title", "content", "tags", "created_at"]),
                JSON_TREE,
            ),
        ),
        st.builds(
            lambda vectors: export_bytes(
                {"format": "rekall-export", "version": 2, "entries": [], "vectors": vectors}
            ),
            JSON_TREE
            | st.fixed_dictionaries(
                {"model_id": JSON_TREE, "dimensions": JSON_TREE, "encoding": JSON_TREE},
                optional={"entries": st.lists(JSON_TREE, max_size=3)},
            ),
        ),
        st.builds(
            lambda head, body: f"---\n{head}\n---\n{body}".encode("utf-8", "surrogatepass"),
            HOSTILE_TEXT,
            HOSTILE_TEXT,
        ),
    ),
)


def check_import(
    suffix: str, data: bytes, base: Rekall, folder: Path, db_file: Path, fingerprint: Fingerprint
) -> str:
    """Import one hostile file; "ok", "refused" or "traceback: …" as check_cli."""
    path = folder / f"hostile{suffix}"
    path.write_bytes(data)
    before = fingerprint(db_file)
    try:
        base.import_data(path, "merge")
    except RekallError:
        assert fingerprint(db_file) == before, "refused import changed the base"
        return "refused"
    except Exception as exc:  # the figure counts these; a test fails on them
        return f"traceback: {type(exc).__name__}: {exc}"[:300]
    return "ok"
