"""`rekall install` / `uninstall` on each client's real config format, never the real home."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from rekall.core import json_edit
from rekall.service import install as installer

Invoke = Callable[..., Result]
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "clients"
REKALL = str(Path(sys.executable).parent / ("rekall.exe" if os.name == "nt" else "rekall"))
JSONC = {"vscode", "zed"}
CONTAINER = {"vscode": "servers", "zed": "context_servers"}

# (client, --project?, fixture, where the client reads it on Linux: home, xdg or project)
CASES = [
    ("claude-code", False, "claude-code.user.json", ("home", ".claude.json")),
    ("claude-code", True, "claude-code.project.json", ("project", ".mcp.json")),
    ("claude-desktop", False, "claude-desktop.json", ("xdg", "Claude/claude_desktop_config.json")),
    ("cursor", False, "cursor.json", ("home", ".cursor/mcp.json")),
    ("cursor", True, "cursor.json", ("project", ".cursor/mcp.json")),
    ("windsurf", False, "windsurf.json", ("home", ".codeium/windsurf/mcp_config.json")),
    ("vscode", False, "vscode.json", ("xdg", "Code/User/mcp.json")),
    ("vscode", True, "vscode.json", ("project", ".vscode/mcp.json")),
    ("zed", False, "zed.json", ("xdg", "zed/settings.json")),
    ("zed", True, "zed.json", ("project", ".zed/settings.json")),
]
IDS = [f"{client}-{'project' if project else 'user'}" for client, project, _, _ in CASES]


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A fake home, XDG config dir and project folder (the working directory)."""
    found = {"home": tmp_path / "user", "project": tmp_path / "work" / "webapp"}
    found["xdg"] = found["home"] / ".config"
    for path in found.values():
        path.mkdir(parents=True, exist_ok=True)
    for name in ("HOME", "USERPROFILE"):
        monkeypatch.setenv(name, str(found["home"]))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(found["xdg"]))
    monkeypatch.setenv("APPDATA", str(found["home"] / "AppData" / "Roaming"))
    monkeypatch.chdir(found["project"])
    assert Path.home() == found["home"]
    return found


def place(places: dict[str, Path], where: tuple[str, str], fixture: str | None) -> Path:
    path = places[where[0]] / where[1]
    if fixture is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes((FIXTURES / fixture).read_bytes())
    return path


def scope_args(client: str, project: bool) -> list[str]:
    return [client, "--project"] if project else [client]


def backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.rekall-backup-*"))


def expected_entry(client: str) -> dict[str, object]:
    entry: dict[str, object] = {"command": REKALL, "args": ["mcp"]}
    if client in ("claude-code", "vscode"):
        entry = {"type": "stdio", **entry}
    if client in ("claude-code", "zed"):
        entry["env"] = {}
    return entry


@pytest.mark.skipif(sys.platform != "linux", reason="the expected paths are Linux's")
@pytest.mark.parametrize(("client", "project", "fixture", "where"), CASES, ids=IDS)
def test_install_reinstall_uninstall_round_trip(
    cli: Invoke,
    places: dict[str, Path],
    client: str,
    project: bool,
    fixture: str,
    where: tuple[str, str],
) -> None:
    path = place(places, where, fixture)
    original = path.read_bytes()
    container = CONTAINER.get(client, "mcpServers")
    jsonc = client in JSONC

    result = cli("install", *scope_args(client, project))
    assert result.exit_code == 0, result.stderr
    assert "Installed Rekall" in result.stderr
    installed = path.read_bytes()
    text, before = installed.decode(), original.decode()
    # Every other server, key and comment is still there, byte for byte.
    others = json_edit.parse(before, jsonc).get(container).value.members
    assert others and all(before[m.key_start : m.value_end] in text for m in others)
    assert json_edit.lookup(text, container, "rekall", jsonc) == expected_entry(client)
    expected = json_edit.plain(json_edit.parse(before, jsonc))
    expected[container]["rekall"] = expected_entry(client)
    assert json_edit.plain(json_edit.parse(text, jsonc)) == expected
    if not jsonc:
        assert json.loads(text) == expected
    [backup] = backups(path)
    assert backup.read_bytes() == original

    again = cli("install", *scope_args(client, project))
    assert again.exit_code == 0 and "already installed" in again.stderr
    assert path.read_bytes() == installed and len(backups(path)) == 1

    removed = cli("uninstall", *scope_args(client, project))
    assert removed.exit_code == 0 and "Removed Rekall" in removed.stderr
    assert path.read_bytes() == original
    assert len(backups(path)) == 2

    nothing = cli("uninstall", *scope_args(client, project))
    assert nothing.exit_code == 0 and "not installed" in nothing.stderr
    assert path.read_bytes() == original and len(backups(path)) == 2


@pytest.mark.parametrize(("client", "project", "fixture", "where"), CASES[:1] + CASES[-1:])
def test_dry_run_prints_the_diff_and_writes_nothing(
    cli: Invoke,
    places: dict[str, Path],
    client: str,
    project: bool,
    fixture: str,
    where: tuple[str, str],
) -> None:
    path = place(places, where, fixture)
    original = path.read_bytes()
    result = cli("install", *scope_args(client, project), "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"--- {path}\n+++ {path}\n@@ ")
    assert f'+      "command": "{REKALL}",' in result.stdout.splitlines()
    assert "Dry run, nothing written: would install Rekall" in result.stderr
    assert "installed" not in result.stderr.lower()
    assert path.read_bytes() == original and backups(path) == []
    cli("install", *scope_args(client, project))
    result = cli("uninstall", *scope_args(client, project), "--dry-run")
    assert [line for line in result.stdout.splitlines() if line.startswith("-  ")]
    assert "Dry run, nothing written: would remove Rekall" in result.stderr
    assert "rekall" in path.read_text()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"mcpServers": {"a": {"command": "x"}', "not valid JSON (line 1, column"),
        ('{"mcpServers": {"a": 1,}}', "trailing comma"),
        ("// a comment\n{}", "not valid JSON"),
        ("[1, 2]", "the top level is an array, not an object"),
        ('"text"', "the top level is a string"),
        ('{"mcpServers": []}', "'mcpServers' is an array, not an object"),
        ('{"mcpServers": null}', "'mcpServers' is null, not an object"),
    ],
)
def test_a_malformed_config_is_refused_and_left_untouched(
    cli: Invoke, places: dict[str, Path], content: str, reason: str
) -> None:
    path = places["home"] / ".cursor" / "mcp.json"
    path.parent.mkdir()
    path.write_text(content)
    for command in (
        ["install", "cursor"],
        ["uninstall", "cursor"],
        ["install", "cursor", "--dry-run"],
    ):
        result = cli(*command)
        assert result.exit_code == 1, result.stdout
        assert result.stderr.startswith(f"Error: {path}: ") and reason in result.stderr
        assert "left it untouched" in result.stderr and "Traceback" not in result.stderr
        assert path.read_text() == content and backups(path) == []


def test_zed_settings_keep_their_comments_and_reject_real_breakage(
    cli: Invoke, places: dict[str, Path]
) -> None:
    path = place(places, ("xdg", "zed/settings.json"), "zed.json")
    assert cli("install", "zed").exit_code == 0
    text = path.read_text()
    assert text.startswith("// Zed settings\n") and "/* MCP servers the agent can use */" in text
    assert '"env": {}, // nothing yet' in text
    path.write_text('{ "context_servers": { /* unclosed comment }')
    result = cli("install", "zed")
    assert result.exit_code == 1 and "not valid JSON with comments" in result.stderr


def test_a_missing_file_is_created_and_uninstall_leaves_the_rest(
    cli: Invoke, places: dict[str, Path]
) -> None:
    path = places["home"] / ".codeium" / "windsurf" / "mcp_config.json"
    assert cli("install", "windsurf").exit_code == 0
    assert json.loads(path.read_text()) == {"mcpServers": {"rekall": expected_entry("windsurf")}}
    assert backups(path) == []
    assert cli("uninstall", "windsurf").exit_code == 0
    assert json.loads(path.read_text()) == {"mcpServers": {}}


def test_a_different_rekall_entry_is_updated_in_place(cli: Invoke, places: dict[str, Path]) -> None:
    path = places["home"] / ".cursor" / "mcp.json"
    path.parent.mkdir()
    old = '{"command": "/old/rekall", "args": ["mcp"]}'
    path.write_text(f'{{\n  "mcpServers": {{\n    "rekall": {old},\n    "b": {{}}\n  }}\n}}\n')
    result = cli("install", "cursor")
    assert result.exit_code == 0 and "Updated Rekall" in result.stderr
    assert json.loads(path.read_text())["mcpServers"] == {
        "rekall": expected_entry("cursor"),
        "b": {},
    }
    assert path.read_text().endswith('    "b": {}\n  }\n}\n')


def test_a_symlinked_config_is_edited_through_the_link(
    cli: Invoke, places: dict[str, Path]
) -> None:
    real = places["home"] / "dotfiles" / "mcp.json"
    real.parent.mkdir()
    real.write_bytes((FIXTURES / "cursor.json").read_bytes())
    link = places["home"] / ".cursor" / "mcp.json"
    link.parent.mkdir()
    link.symlink_to(real)
    assert cli("install", "cursor").exit_code == 0
    assert link.is_symlink() and "rekall" in json.loads(real.read_text())["mcpServers"]


def test_a_file_changed_between_plan_and_write_is_not_overwritten(places: dict[str, Path]) -> None:
    path = place(places, ("home", ".cursor/mcp.json"), "cursor.json")
    change = installer.plan_install("cursor", None, REKALL)
    path.write_text('{"mcpServers": {"new": {}}}')
    with pytest.raises(installer.ClientConfigError, match="changed while Rekall was editing"):
        installer.apply(change)
    assert path.read_text() == '{"mcpServers": {"new": {}}}' and backups(path) == []


def test_project_scope_is_refused_where_the_client_has_none(
    cli: Invoke, places: dict[str, Path]
) -> None:
    for client in ("windsurf", "claude-desktop"):
        result = cli("install", client, "--project")
        assert result.exit_code == 2 and "has no project-scope config" in result.stderr
    assert cli("install").exit_code == 2
    assert cli("install", "emacs").exit_code == 2
    assert cli("install", "--list", "cursor").exit_code == 2


def test_list_shows_found_clients_and_their_state(cli: Invoke, places: dict[str, Path]) -> None:
    place(places, ("home", ".cursor/mcp.json"), "cursor.json")
    place(places, ("xdg", "zed/settings.json"), "zed.json")
    (places["home"] / ".codeium" / "windsurf").mkdir(parents=True)
    bad = place(places, ("project", ".vscode/mcp.json"), None)
    bad.parent.mkdir()
    bad.write_text("[]")
    assert cli("install", "zed").exit_code == 0
    data = json.loads(cli("install", "--list", "--json").stdout)
    state = {(row["client"], row["scope"]): (row["found"], row["state"]) for row in data}
    assert state[("cursor", "user")] == (True, "not installed")
    assert state[("zed", "user")] == (True, "installed")
    assert state[("windsurf", "user")] == (True, "no config file")
    assert state[("claude-desktop", "user")] == (False, "no config file")
    assert state[("vscode", "project")] == (False, "malformed")
    assert len(data) == 10
    text = cli("install", "--list").stdout.splitlines()
    assert any(line.split()[:4] == ["zed", "user", "found", "installed"] for line in text)


def test_installed_command_is_the_real_executable(places: dict[str, Path]) -> None:
    """A real `rekall install` process writes its own absolute path, and that path runs."""
    env = {**os.environ, "HOME": str(places["home"]), "XDG_CONFIG_HOME": str(places["xdg"])}
    result = subprocess.run(
        [REKALL, "install", "claude-code", "--project"],
        cwd=places["project"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    entry = json.loads((places["project"] / ".mcp.json").read_text())["mcpServers"]["rekall"]
    assert Path(entry["command"]).is_absolute() and entry["args"] == ["mcp"]
    version = subprocess.run(
        [entry["command"], "--version"], capture_output=True, text=True, timeout=120, check=True
    )
    assert version.stdout.startswith("rekall")


def test_the_cli_knows_every_client_without_loading_the_service() -> None:
    from rekall.interfaces.cli.commands_install import CLIENT_NAMES
    from rekall.service.clients import CLIENTS

    assert tuple(CLIENTS) == CLIENT_NAMES
    code = (
        "import sys, rekall.interfaces.cli.main; "
        "print(any(m.startswith('rekall.service') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "False"


# Where each client's user file is, per OS, relative to home (APPDATA = home/AppData/Roaming).
USER_FILES = {
    "linux": {
        "claude-code": ".claude.json",
        "claude-desktop": "xdg/Claude/claude_desktop_config.json",
        "cursor": ".cursor/mcp.json",
        "windsurf": ".codeium/windsurf/mcp_config.json",
        "vscode": "xdg/Code/User/mcp.json",
        "zed": "xdg/zed/settings.json",
    },
    "darwin": {
        "claude-code": ".claude.json",
        "claude-desktop": "Library/Application Support/Claude/claude_desktop_config.json",
        "cursor": ".cursor/mcp.json",
        "windsurf": ".codeium/windsurf/mcp_config.json",
        "vscode": "Library/Application Support/Code/User/mcp.json",
        "zed": ".config/zed/settings.json",
    },
    "win32": {
        "claude-code": ".claude.json",
        "claude-desktop": "AppData/Roaming/Claude/claude_desktop_config.json",
        "cursor": ".cursor/mcp.json",
        "windsurf": ".codeium/windsurf/mcp_config.json",
        "vscode": "AppData/Roaming/Code/User/mcp.json",
        "zed": "AppData/Roaming/Zed/settings.json",
    },
}


@pytest.mark.parametrize("platform", sorted(USER_FILES))
def test_each_client_file_is_where_the_client_reads_it_on_each_os(
    places: dict[str, Path], monkeypatch: pytest.MonkeyPatch, platform: str
) -> None:
    from rekall.service.clients import CLIENTS

    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(places["home"] / "xdg"))
    for name, relative in USER_FILES[platform].items():
        assert CLIENTS[name].user_file() == places["home"] / relative, (platform, name)
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.delenv("APPDATA")
    expected = {"linux": ".config/Code", "darwin": "Library/Application Support/Code"}
    expected["win32"] = "AppData/Roaming/Code"
    assert CLIENTS["vscode"].found_at() == places["home"] / expected[platform]
