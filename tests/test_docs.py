"""The README and docs stay true to the code: commands, help examples, CI, read-only tools."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from rekall.interfaces.cli.main import cli, register_commands

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def command_paths(group: click.Group, prefix: str = "rekall") -> list[str]:
    """Every command as it is typed, e.g. 'rekall index rebuild'."""
    register_commands()  # `rekall` loads them as they are asked for
    found = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            found.extend(command_paths(command, path))
        else:
            found.append(path)
    return found


@pytest.mark.parametrize("path", command_paths(cli))
def test_every_command_appears_in_the_readme(path: str) -> None:
    assert path in README, f"'{path}' is not shown in README.md"


def test_ci_runs_the_readme_test_command() -> None:
    match = re.search(r"^(bash scripts/test\.sh)\s", README, flags=re.MULTILINE)
    assert match, "the README must show the test command"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(rf"^\s*{re.escape(match.group(1))}\s*$", ci, flags=re.MULTILINE)


def test_ci_runs_the_oldest_and_newest_python_the_package_declares() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    pythons = re.search(r'^PYTHONS="\$\{PYTHONS:-([0-9. ]+)\}"$', ci, flags=re.MULTILINE)
    assert pythons, "CI must list the Pythons it tests on"
    declared = re.search(r'requires-python = ">=(3\.\d+)"', (ROOT / "pyproject.toml").read_text())
    assert declared
    assert pythons.group(1).split() == [declared.group(1), "3.11", "3.13"]


def test_readme_shows_both_setup_commands() -> None:
    assert "bash scripts/demo.sh" in README and "bash scripts/test.sh" in README
    for script in ("demo.sh", "test.sh", "install.sh", "lint.sh"):
        assert (ROOT / "scripts" / script).exists()


def test_each_decision_file_is_headed_by_its_own_number() -> None:
    decisions = sorted((ROOT / "docs" / "decisions").glob("*.md"))
    assert decisions
    for path in decisions:
        number = path.name.split("-", 1)[0]
        heading = path.read_text(encoding="utf-8").splitlines()[0]
        assert heading.startswith(f"# {number}: "), f"{path.name} is headed {heading!r}"


def help_commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group as argv, the root included, e.g. ('token', 'create')."""
    register_commands()
    found = [path]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found.extend(help_commands(command, (*path, name)))
        else:
            found.append((*path, name))
    return found


@pytest.mark.parametrize("argv", help_commands(cli), ids=" ".join)
def test_each_help_example_is_on_a_line_of_its_own(argv: tuple[str, ...]) -> None:
    command: click.Command = cli
    for name in argv:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    examples = [line.strip() for line in (command.epilog or "").splitlines()]
    examples = [line for line in examples if line.startswith("rekall ")]
    shown = CliRunner().invoke(cli, [*argv, "--help"], prog_name="rekall", terminal_width=200)
    lines = {line.strip() for line in shown.output.splitlines()}
    for example in examples:  # click joins the lines of a paragraph unless marked \b
        assert example in lines, f"'rekall {' '.join(argv)} --help' runs {example!r} together"


def test_the_team_server_doc_lists_every_tool_a_read_only_token_may_call() -> None:
    from rekall.interfaces.mcp.server import READ_TOOLS

    text = " ".join((ROOT / "docs" / "team-server.md").read_text(encoding="utf-8").split())
    listed = re.search(r"A read-only token may call only the read tools: ([^;]+);", text)
    assert listed, "docs/team-server.md must list what a read-only token may call"
    assert set(re.findall(r"`(\w+)`", listed.group(1))) == READ_TOOLS
