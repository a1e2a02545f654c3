"""What a newcomer runs first: adding from an empty pipe, and the synthetic demo base."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CliInvoker

SCRIPT = Path(sys.executable).parent / "rekall"
POSIX_ONLY = pytest.mark.skipif(os.name == "nt", reason="a shell pipe and /dev/null")


def shell(command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "-c", command],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PATH": f"{SCRIPT.parent}{os.pathsep}{os.environ['PATH']}"},
    )


def count_entries() -> int:
    listed = shell("rekall list --json -n 1000")
    assert listed.returncode == 0, listed.stderr
    return len(json.loads(listed.stdout))


@POSIX_ONLY
def test_an_empty_pipe_saves_nothing_and_says_so(isolated_env: Path) -> None:
    refused = shell('printf "" | rekall add snippet "Patch for the retry loop"')
    assert refused.returncode == 2
    assert "stdin was empty" in refused.stderr and "nothing was saved" in refused.stderr
    assert refused.stdout == ""
    assert count_entries() == 0
    piped = shell('printf "diff --git a b" | rekall add snippet "Patch for the retry loop"')
    assert piped.returncode == 0 and "Saved without content" not in piped.stderr
    assert count_entries() == 1


@POSIX_ONLY
def test_no_content_at_all_is_saved_with_a_notice(isolated_env: Path) -> None:
    done = shell('rekall add til "Title only" </dev/null')
    assert done.returncode == 0
    assert "Saved without content" in done.stderr and "rekall edit" in done.stderr
    explicit = shell("printf '' | rekall add til \"Also title only\" -c ''")
    assert explicit.returncode == 0 and "Saved without content" not in explicit.stderr
    assert count_entries() == 2


def test_generate_fills_a_separate_demo_base_by_default(
    cli: CliInvoker, isolated_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "no-model").mkdir()
    monkeypatch.setenv("REKALL_MODEL_PATH", str(tmp_path / "no-model"))
    cli("add", "bug", "My own entry", "-c", "mine")
    result = cli("test", "generate", "--count", "12", "--seed", "5")
    assert result.exit_code == 0, result.stderr
    demo_home = isolated_env / "demo"
    assert f"into the demo base {demo_home}" in result.stderr
    assert f'REKALL_HOME="{demo_home}" rekall search' in result.stderr
    assert cli("test", "generate", "--print-home").stdout.strip() == str(demo_home)
    mine = json.loads(cli("list", "--json").stdout)
    assert [entry["title"] for entry in mine] == ["My own entry"]
    monkeypatch.setenv("REKALL_HOME", str(demo_home))
    assert len(json.loads(cli("list", "--json", "-n", "100").stdout)) == 12
