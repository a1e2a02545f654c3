"""The MCP clients Rekall installs itself into: where each keeps its config, in what shape."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVER_NAME = "rekall"
SERVER_ARGS = ["mcp"]


def _home() -> Path:
    return Path.home()


def _app_config(app: str) -> Path:
    """Where a desktop app keeps its settings: Application Support on macOS, the roaming
    AppData on Windows, the XDG config folder elsewhere."""
    if sys.platform == "darwin":
        return _home() / "Library" / "Application Support" / app
    if sys.platform == "win32":
        roaming = os.environ.get("APPDATA")
        return (Path(roaming) if roaming else _home() / "AppData" / "Roaming") / app
    xdg = os.environ.get("XDG_CONFIG_HOME")
    return (Path(xdg) if xdg else _home() / ".config") / app


def _zed_dir() -> Path:
    # Zed keeps ~/.config/zed on macOS too, and follows XDG_CONFIG_HOME on Linux.
    if sys.platform == "win32":
        return _app_config("Zed")
    if sys.platform == "darwin":
        return _home() / ".config" / "zed"
    return _app_config("zed")


def _plain(command: str) -> dict[str, Any]:
    return {"command": command, "args": list(SERVER_ARGS)}


def _typed(command: str) -> dict[str, Any]:
    return {"type": "stdio", "command": command, "args": list(SERVER_ARGS)}


def _with_env(command: str) -> dict[str, Any]:
    return {"command": command, "args": list(SERVER_ARGS), "env": {}}


@dataclass(frozen=True)
class Client:
    """One MCP client: its config files, the object holding servers, and the entry it expects.

    found_at: a path whose existence says the client is installed for this user.
    project_file: the project-scope file relative to the project folder, if the client has one.
    jsonc: the client's own parser allows comments and trailing commas.
    """

    name: str
    title: str
    container: str
    user_file: Callable[[], Path]
    found_at: Callable[[], Path]
    entry: Callable[[str], dict[str, Any]]
    project_file: str | None = None
    jsonc: bool = False


CLIENTS: dict[str, Client] = {
    client.name: client
    for client in (
        Client(
            "claude-code",
            "Claude Code",
            "mcpServers",
            lambda: _home() / ".claude.json",
            lambda: _home() / ".claude",
            lambda command: {**_typed(command), "env": {}},
            project_file=".mcp.json",
        ),
        Client(
            "claude-desktop",
            "Claude Desktop",
            "mcpServers",
            lambda: _app_config("Claude") / "claude_desktop_config.json",
            lambda: _app_config("Claude"),
            _plain,
        ),
        Client(
            "cursor",
            "Cursor",
            "mcpServers",
            lambda: _home() / ".cursor" / "mcp.json",
            lambda: _home() / ".cursor",
            _plain,
            project_file=".cursor/mcp.json",
        ),
        Client(
            "windsurf",
            "Windsurf",
            "mcpServers",
            lambda: _home() / ".codeium" / "windsurf" / "mcp_config.json",
            lambda: _home() / ".codeium" / "windsurf",
            _plain,
        ),
        Client(
            "vscode",
            "VS Code",
            "servers",
            lambda: _app_config("Code") / "User" / "mcp.json",
            lambda: _app_config("Code"),
            _typed,
            project_file=".vscode/mcp.json",
            jsonc=True,
        ),
        Client(
            "zed",
            "Zed",
            "context_servers",
            lambda: _zed_dir() / "settings.json",
            _zed_dir,
            _with_env,
            project_file=".zed/settings.json",
            jsonc=True,
        ),
    )
}
