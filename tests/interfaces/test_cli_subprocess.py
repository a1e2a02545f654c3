"""The installed `rekall` console script as a real process: streams, exit codes, colour."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / ("rekall.exe" if os.name == "nt" else "rekall")
POSIX_ONLY = pytest.mark.skipif(os.name == "nt", reason="needs a pseudo-terminal or byte argv")


def run(
    *args: str | bytes, input: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run the console script with this test's isolated environment (plus env)."""
    return subprocess.run(
        [str(SCRIPT), *args],
        input=input,
        capture_output=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_console_script_is_installed() -> None:
    assert SCRIPT.exists(), f"{SCRIPT.name} not found next to the interpreter"


def test_add_list_and_keyword_search(isolated_env: Path) -> None:
    added = run(
        "add",
        "bug",
        "ENOSPC when building the image",
        "-t",
        "docker",
        "-p",
        "infra",
        input=b"No space left on device: prune old layers.\n",
    )
    assert added.returncode == 0, added.stderr
    entry_id = added.stdout.decode().strip()
    assert len(entry_id) == 26
    assert (isolated_env / "rekall.db").exists()

    listed = run("list", "--json")
    assert listed.returncode == 0
    (item,) = json.loads(listed.stdout)
    assert (item["id"], item["tags"], item["project"]) == (entry_id, ["docker"], "infra")
    assert item["content"] == "No space left on device: prune old layers.\n"

    found = run("search", "ENOSPC", "--mode", "keyword", "--json")
    assert found.returncode == 0
    data = json.loads(found.stdout)  # stdout is pure JSON: messages went to stderr
    assert [result["id"] for result in data["results"]] == [entry_id]

    text = run("search", "prune layers", "--mode", "keyword")
    assert text.returncode == 0
    assert entry_id in text.stdout.decode()
    assert b"keyword: 1 result" in text.stderr
    assert b"keyword:" not in text.stdout


def test_errors_go_to_stderr_with_exit_codes() -> None:
    missing = run("show", "ZZZZZZ")
    assert missing.returncode == 1  # not found is an error, not a usage error
    assert missing.stdout == b""
    assert missing.stderr.decode().startswith("Error: no entry id starts with 'ZZZZZZ'")

    bad_stdin = run("add", "bug", "t", input=b"caf\xe9")
    assert bad_stdin.returncode == 2
    assert b"stdin is not valid UTF-8" in bad_stdin.stderr

    click_usage = run("add", "bug")
    assert click_usage.returncode == 2
    assert click_usage.stdout == b""
    assert b"Missing argument 'TITLE'" in click_usage.stderr


def test_storage_errors_exit_1(isolated_env: Path) -> None:
    isolated_env.mkdir(parents=True)
    garbage = b"\x00garbage" * 1000
    (isolated_env / "rekall.db").write_bytes(garbage)
    result = run("list")
    assert result.returncode == 1
    assert result.stdout == b""
    assert result.stderr.decode().startswith("Error: ")
    assert b"corrupt" in result.stderr
    assert b"Traceback" not in result.stderr
    assert (isolated_env / "rekall.db").read_bytes() == garbage


@POSIX_ONLY
def test_undecodable_argument_bytes_are_refused() -> None:
    result = run("add", "bug", b"caf\xe9 title")
    assert result.returncode == 2
    assert b"not valid UTF-8" in result.stderr
    assert run("list", "--json").stdout.strip() == b"[]"


def test_help_and_version() -> None:
    from rekall import __version__

    assert run("--version").stdout.decode() == f"rekall, version {__version__}\n"
    helped = run("--help")
    assert helped.returncode == 0
    assert b"Usage: rekall" in helped.stdout
    assert helped.stderr == b""


def run_on_terminal(
    *args: str, env: dict[str, str] | None = None, answer: bytes | None = None
) -> tuple[int, bytes, bytes]:
    """Run with stdout (and stdin) on a pseudo-terminal; return code, terminal output, stderr."""
    import pty
    import select

    controller, terminal = pty.openpty()
    try:
        with subprocess.Popen(
            [str(SCRIPT), *args],
            stdin=terminal,
            stdout=terminal,
            stderr=subprocess.PIPE,
            env={**os.environ, **(env or {})},
        ) as process:
            os.close(terminal)
            if answer is not None:
                os.write(controller, answer)
            output = b""
            while True:
                ready, _, _ = select.select([controller], [], [], 60)
                if not ready:
                    process.kill()
                    pytest.fail(f"rekall {' '.join(args)} hung on the terminal")
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # the terminal closed: the process is done
                    break
                if not chunk:
                    break
                output += chunk
            stderr = process.stderr.read() if process.stderr else b""
            code = process.wait(timeout=120)
    finally:
        os.close(controller)
    return code, output, stderr


@POSIX_ONLY
def test_colour_on_a_terminal_and_none_with_no_color() -> None:
    assert run("add", "bug", "Coloured entry", "-t", "x").returncode == 0
    code, coloured, _ = run_on_terminal("list")
    assert code == 0
    assert b"Coloured entry" in coloured
    assert b"\x1b[" in coloured  # colour is on for a terminal, so the next check means something

    code, plain, _ = run_on_terminal("list", env={"NO_COLOR": "1"})
    assert code == 0
    assert b"Coloured entry" in plain
    assert b"\x1b[" not in plain


def test_no_escape_codes_when_piped() -> None:
    assert run("add", "bug", "Piped entry", "-t", "x").returncode == 0
    result = run("search", "piped", "--mode", "keyword")
    assert b"Piped entry" in result.stdout
    assert b"\x1b[" not in result.stdout + result.stderr


@POSIX_ONLY
@pytest.mark.parametrize(("answer", "code", "remaining"), [(b"y\n", 0, 0), (b"n\n", 1, 1)])
def test_delete_asks_on_a_terminal(answer: bytes, code: int, remaining: int) -> None:
    added = run("add", "bug", "Maybe doomed")
    entry_id = added.stdout.decode().strip()
    returned, _, stderr = run_on_terminal("delete", entry_id, answer=answer)
    assert returned == code, stderr
    assert f"Delete {entry_id} 'Maybe doomed'?".encode() in stderr
    assert len(json.loads(run("list", "--json").stdout)) == remaining
