"""Import direction between layers, and no heavy import on the CLI's fast paths."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import rekall

PACKAGE_DIR = Path(rekall.__file__).resolve().parent

# What each part of the package may import, besides itself and the root package (version).
# Low to high: core < storage, search (never each other) < service < interfaces.
ALLOWED: dict[str, set[str]] = {
    "rekall.core": set(),
    "rekall.paths": set(),
    "rekall.config": {"rekall.core", "rekall.paths"},
    "rekall.testdata": {"rekall.core"},
    "rekall.storage": {"rekall.core"},
    "rekall.search": {"rekall.core"},
    "rekall.service": {
        "rekall.core",
        "rekall.storage",
        "rekall.search",
        "rekall.config",
        "rekall.paths",
        "rekall.testdata",
    },
    "rekall.interfaces": {
        "rekall.core",
        "rekall.storage",
        "rekall.search",
        "rekall.service",
        "rekall.config",
        "rekall.paths",
        "rekall.testdata",
    },
    "rekall.__main__": {"rekall.interfaces"},
}

HEAVY = (
    "numpy",
    "textual",
    "mcp",
    "tokenizers",
    "safetensors",
    "huggingface_hub",
    "torch",
    "psycopg",
    "psycopg_pool",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str:
    """The layer a module belongs to: 'rekall.core' for rekall.core.entries."""
    return ".".join(module.split(".")[:2])


def is_submodule(dotted: str) -> bool:
    relative = Path(*dotted.split(".")[1:])
    return (PACKAGE_DIR / relative).is_dir() or (PACKAGE_DIR / relative).with_suffix(".py").exists()


def imports_in(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, module) for every rekall module the source imports, relative imports resolved."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                target = f"{base}.{alias.name}"
                found.append((node.lineno, target if is_submodule(target) else base))
    return [(line, name) for line, name in found if name.split(".")[0] == "rekall"]


def imported_modules(path: Path) -> list[tuple[int, str]]:
    source = path.read_text(encoding="utf-8")
    return imports_in(source, module_name(path), path.name == "__init__.py")


def violations(module: str, targets: list[tuple[int, str]]) -> list[str]:
    own = part_of(module)
    allowed = ALLOWED.get(own, set()) | {own, "rekall"}
    return [
        f"line {line} imports {target}"
        for line, target in targets
        if part_of(target) not in allowed
    ]


SOURCE_FILES = sorted(PACKAGE_DIR.rglob("*.py"))


def test_every_module_belongs_to_a_layer() -> None:
    unknown = {part_of(module_name(path)) for path in SOURCE_FILES} - set(ALLOWED) - {"rekall"}
    assert not unknown, f"assign these to a layer in ALLOWED: {sorted(unknown)}"


def test_sources_were_found() -> None:
    names = {module_name(path) for path in SOURCE_FILES}
    assert {
        "rekall.core.entries",
        "rekall.storage.database",
        "rekall.service",
        "rekall.interfaces.cli.main",
        "rekall.config",
    } <= names


@pytest.mark.parametrize("path", SOURCE_FILES, ids=lambda p: module_name(p))
def test_imports_point_down_the_layers(path: Path) -> None:
    module = module_name(path)
    wrong = violations(module, imported_modules(path))
    allowed = sorted(ALLOWED.get(part_of(module), set()))
    assert not wrong, f"{path.relative_to(PACKAGE_DIR.parent)} may import only {allowed}:\n" + (
        "\n".join(wrong)
    )


@pytest.mark.parametrize(
    ("module", "is_package", "source"),
    [
        ("rekall.core.entries", False, "from rekall.storage import schema"),
        ("rekall.core.entries", False, "import rekall.config"),
        ("rekall.core", True, "from rekall import paths"),
        ("rekall.storage.x", False, "from rekall.search.fts import build_match"),
        ("rekall.storage.x", False, "from ..search import fts"),
        ("rekall.search.x", False, "from rekall.storage.database import Database"),
        ("rekall.search.x", False, "from rekall.config import Config"),
        ("rekall.storage.x", False, "from rekall.service import Rekall"),
        ("rekall.service.x", False, "from rekall.interfaces.cli import render"),
        ("rekall.config", False, "from rekall.service import Rekall"),
        ("rekall.search.x", False, "def f():\n    from rekall.storage import entries_repo"),
        (
            "rekall.search.x",
            False,
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import rekall.service",
        ),
    ],
)
def test_upward_imports_are_caught(module: str, is_package: bool, source: str) -> None:
    assert violations(module, imports_in(source, module, is_package))


@pytest.mark.parametrize(
    ("module", "is_package", "source"),
    [
        ("rekall.storage.x", False, "from rekall.core.entries import Entry"),
        ("rekall.storage.x", False, "from . import schema"),
        ("rekall.storage", True, "from .schema import MIGRATIONS"),
        ("rekall.service.x", False, "from rekall.storage import entries_repo"),
        ("rekall.interfaces.cli.main", False, "from rekall import __version__"),
        ("rekall.search.x", False, "import numpy as np"),
    ],
)
def test_downward_imports_are_allowed(module: str, is_package: bool, source: str) -> None:
    assert violations(module, imports_in(source, module, is_package)) == []


def test_the_checker_resolves_real_files() -> None:
    entries = PACKAGE_DIR / "storage" / "entries_repo.py"
    assert "rekall.core.entries" in {name for _, name in imported_modules(entries)}
    main = PACKAGE_DIR / "interfaces" / "cli" / "main.py"
    assert "rekall" in {name for _, name in imported_modules(main)}  # __version__
    assert is_submodule("rekall.paths") and not is_submodule("rekall.__version__")


HEAVY_PROBE = """
import atexit, json, sys
heavy = set(json.loads(sys.argv[1]))
def report():
    loaded = sorted({name.split(".")[0] for name in sys.modules} & heavy)
    sys.__stderr__.write("\\nHEAVY=" + json.dumps(loaded) + "\\n")
atexit.register(report)
from rekall.interfaces.cli.main import cli
cli(sys.argv[2:], prog_name="rekall")
"""


def heavy_modules_loaded(*args: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", HEAVY_PROBE, json.dumps(HEAVY), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
        check=False,
    )
    marker = result.stderr.strip().splitlines()[-1]
    assert marker.startswith("HEAVY="), result.stderr
    loaded: list[str] = json.loads(marker.removeprefix("HEAVY="))
    return loaded


def test_importing_the_cli_loads_nothing_heavy() -> None:
    code = (
        "import json, sys; import rekall.interfaces.cli.main; "
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize(
    "args", [["--help"], ["--version"], ["search", "--help"], ["config", "path"]]
)
def test_help_and_simple_commands_load_nothing_heavy(args: list[str]) -> None:
    assert heavy_modules_loaded(*args) == []


@pytest.mark.parametrize("args", [["search", "timeout", "--mode", "keyword"], ["list"]])
def test_keyword_commands_load_nothing_heavy(args: list[str]) -> None:
    assert heavy_modules_loaded(*args) == []


def connections_left_open(source: str) -> list[int]:
    """Lines of `with sqlite3.connect(...)`: the block commits but never closes the
    connection, which Python 3.13 reports at garbage collection, in whatever runs then."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                call = item.context_expr
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "connect"
                    and isinstance(call.func.value, ast.Name)
                    and call.func.value.id == "sqlite3"
                ):
                    lines.append(node.lineno)
    return lines


def test_a_with_block_on_sqlite3_connect_is_caught() -> None:
    assert connections_left_open("with sqlite3.connect(p) as c:\n    pass\n") == [1]
    assert connections_left_open("with closing(sqlite3.connect(p)) as c:\n    pass\n") == []


def test_every_sqlite3_connection_is_closed_not_only_committed() -> None:
    tests_dir = Path(__file__).resolve().parent
    files = [*SOURCE_FILES, *sorted(tests_dir.rglob("*.py"))]
    found = {
        str(path.name): lines
        for path in files
        if (lines := connections_left_open(path.read_text(encoding="utf-8")))
    }
    assert not found, f"use contextlib.closing(sqlite3.connect(...)): {found}"
