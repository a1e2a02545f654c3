"""Install Rekall's MCP server into a client's config file, and take it out again.

Each change is planned first (before and after text, so --dry-run can show the diff), then
applied: the file is backed up, rewritten through a temporary file and os.replace, and
refused if it changed in between. Only Rekall's own member is touched (see core.json_edit).
"""

from __future__ import annotations

import difflib
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from rekall.core import json_edit
from rekall.core.errors import ClientConfigError, RekallError, UsageError
from rekall.service.clients import CLIENTS, SERVER_NAME, Client


@dataclass(frozen=True)
class ConfigChange:
    """What installing or uninstalling does to one file; before is None when it is absent."""

    client: Client
    scope: str
    path: Path
    before: str | None
    after: str
    summary: str

    @property
    def changed(self) -> bool:
        """Whether applying it writes anything."""
        return self.after != self.before if self.before is not None else bool(self.after)

    def diff(self) -> str:
        """A unified diff of the change ('' when there is none)."""
        lines = difflib.unified_diff(
            (self.before or "").splitlines(keepends=True),
            self.after.splitlines(keepends=True),
            fromfile=str(self.path) if self.before is not None else "/dev/null",
            tofile=str(self.path),
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@dataclass(frozen=True)
class ClientState:
    """Whether a client is installed here and what Rekall's entry in one of its files says."""

    client: Client
    scope: str
    path: Path
    found: bool
    state: str


def client(name: str) -> Client:
    """The client called name. Raises UsageError naming the known ones."""
    if name not in CLIENTS:
        raise UsageError(f"unknown client '{name}'; use one of: {', '.join(CLIENTS)}")
    return CLIENTS[name]


def config_path(target: Client, project: Path | None) -> Path:
    """The user-scope file, or the project-scope one under project. Raises UsageError."""
    if project is None:
        return target.user_file()
    if target.project_file is None:
        raise UsageError(f"{target.title} has no project-scope config; leave out --project")
    return project / target.project_file


def rekall_executable(explicit: str | None = None) -> str:
    """The absolute path of the installed `rekall` command. Raises RekallError if not found."""
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise UsageError(f"--command {explicit}: no such file")
        return str(path.absolute())
    names = ("rekall.exe", "rekall") if os.name == "nt" else ("rekall",)
    running = Path(sys.argv[0])
    bin_dir = Path(sys.executable).parent
    candidates = [running] if running.name in names else []
    candidates += [bin_dir / name for name in names] + [bin_dir / "Scripts" / n for n in names]
    found = shutil.which("rekall")
    candidates += [Path(found)] if found else []
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate.absolute())
    raise RekallError(
        "cannot find the installed 'rekall' command; pass its path with --command PATH"
    )


def read_config(path: Path) -> str | None:
    """A config file's text as is (line endings kept), or None when it does not exist."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ClientConfigError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _untouched(path, f"not UTF-8 text (byte {exc.start})") from exc


def _untouched(path: Path, reason: str) -> ClientConfigError:
    return ClientConfigError(
        f"{path}: {reason}. Rekall left it untouched; fix the file (or move it aside) "
        "and run the command again"
    )


def _edit(target: Client, path: Path, text: str, install: str | None) -> str:
    try:
        if install is not None:
            entry = target.entry(install)
            return json_edit.upsert(text, target.container, SERVER_NAME, entry, target.jsonc)
        return json_edit.remove(text, target.container, SERVER_NAME, target.jsonc)
    except json_edit.JsonSyntaxError as exc:
        kind = "JSON with comments" if target.jsonc else "JSON"
        raise _untouched(path, f"not valid {kind} ({exc})") from exc
    except ClientConfigError as exc:
        raise _untouched(path, str(exc)) from exc


def plan_install(name: str, project: Path | None, command: str) -> ConfigChange:
    """What installing into a client's file would do. Raises UsageError, ClientConfigError."""
    target = client(name)
    path = config_path(target, project)
    before = read_config(path)
    after = _edit(target, path, before or "", command)
    if before is not None and after == before:
        summary = f"Rekall is already installed in {target.title} ({path})"
    elif before is not None and _current(target, before) is not None:
        summary = f"Updated Rekall in {target.title} ({path})"
    else:
        summary = f"Installed Rekall in {target.title} ({path})"
    return ConfigChange(target, _scope(project), path, before, after, summary)


def plan_uninstall(name: str, project: Path | None) -> ConfigChange:
    """What uninstalling from a client's file would do. Raises UsageError, ClientConfigError."""
    target = client(name)
    path = config_path(target, project)
    before = read_config(path)
    if before is None:
        return ConfigChange(target, _scope(project), path, None, "", f"No {path}: nothing to do")
    after = _edit(target, path, before, None)
    summary = (
        f"Removed Rekall from {target.title} ({path})"
        if after != before
        else f"Rekall is not installed in {target.title} ({path})"
    )
    return ConfigChange(target, _scope(project), path, before, after, summary)


def apply(change: ConfigChange) -> Path | None:
    """Write a planned change, after backing the file up; return the backup's path.

    Raises ClientConfigError if the file changed since it was planned (nothing is written).
    """
    if not change.changed:
        return None
    path = change.path.resolve() if change.path.is_symlink() else change.path
    if read_config(path) != change.before:
        raise ClientConfigError(f"{change.path} changed while Rekall was editing it; run again")
    backup = None
    if change.before is None:
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        backup = _backup(path)
    _replace(path, change.after)
    return backup


def _backup(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.name}.rekall-backup-{stamp}")
    counter = 1
    while backup.exists():
        counter += 1
        backup = path.with_name(f"{path.name}.rekall-backup-{stamp}-{counter}")
    shutil.copy2(path, backup)
    return backup


def _replace(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.rekall-{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            shutil.copymode(path, temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _scope(project: Path | None) -> str:
    return "user" if project is None else "project"


def _current(target: Client, text: str) -> object:
    """Rekall's entry in a client's config text, or None. Raises ClientConfigError."""
    return json_edit.lookup(text, target.container, SERVER_NAME, target.jsonc)


def client_states(project: Path, command: str | None) -> list[ClientState]:
    """Every client's user file (and project file under project): found, and Rekall's state."""
    states = []
    for target in CLIENTS.values():
        found = target.found_at().exists() or target.user_file().exists()
        paths = [("user", target.user_file())]
        if target.project_file:
            paths.append(("project", project / target.project_file))
        for scope, path in paths:
            states.append(ClientState(target, scope, path, found, _state(target, path, command)))
    return states


def _state(target: Client, path: Path, command: str | None) -> str:
    try:
        text = read_config(path)
        if text is None:
            return "no config file"
        current = _current(target, text)
    except ClientConfigError:
        return "malformed"
    if current is None:
        return "not installed"
    if command is not None and current != target.entry(command):
        return "installed (other command)"
    return "installed"
