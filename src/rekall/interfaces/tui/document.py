"""Editing an entry's Markdown document in $VISUAL or $EDITOR from the terminal UI."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from rekall.core.errors import ValidationError


def editor_command() -> list[str]:
    """$VISUAL, else $EDITOR, else the platform's plain editor, split like a shell would."""
    configured = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if configured:
        return shlex.split(configured, posix=sys.platform != "win32")
    return ["notepad"] if sys.platform == "win32" else ["vi"]


def edit_text(document: str) -> str:
    """Open the editor on document in a temporary .md file; return the saved text.

    Raises ValidationError when the editor cannot start, fails, or saves non-UTF-8 text.
    """
    handle, name = tempfile.mkstemp(prefix="rekall-", suffix=".md")
    path = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(document)
        command = [*editor_command(), str(path)]
        try:
            status = subprocess.call(command)
        except OSError as exc:
            raise ValidationError(f"cannot start the editor '{command[0]}': {exc}") from exc
        if status != 0:
            raise ValidationError(f"the editor exited with status {status}; edit aborted")
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError(
                f"the edited text is not valid UTF-8 (byte {exc.start}); edit aborted"
            ) from exc
        except OSError as exc:  # the editor deleted or moved the file
            raise ValidationError(
                f"the edited file could not be read back ({exc.strerror or exc}); edit aborted"
            ) from exc
    finally:
        path.unlink(missing_ok=True)
