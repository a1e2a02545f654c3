"""Files a killed restore or backup leaves beside the database, and removing them safely."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from pathlib import Path

from rekall.storage import maintenance

LEGACY_LEFTOVER_AGE_S = 3600


def remove_leftovers(directory: Path) -> list[Path]:
    """Delete what a killed restore or backup left beside the database; return it.

    Each leftover carries its writer's pid (.restore-PID-*/, *.db.PID.partial), so the files
    of a restore or backup still running in another process are left alone. Leftovers
    without a pid (written by Rekall 0.4) go once they are an hour old.
    """
    removed = []
    try:
        candidates = [
            path
            for path in directory.iterdir()
            if path.name.startswith(maintenance.RESTORE_DIR_PREFIX)
            or path.name.endswith(maintenance.PARTIAL_SUFFIX)
        ]
    except OSError:
        return []
    for path in candidates:
        if _still_written(path):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()
        removed.append(path)
    return removed


def _still_written(path: Path) -> bool:
    import psutil

    name = path.name
    if name.startswith(maintenance.RESTORE_DIR_PREFIX):
        field = name[len(maintenance.RESTORE_DIR_PREFIX) :].split("-", 1)[0]
    else:
        field = name[: -len(maintenance.PARTIAL_SUFFIX)].rsplit(".", 1)[-1]
    if field.isdigit():
        return int(field) == os.getpid() or psutil.pid_exists(int(field))
    try:
        return time.time() - path.stat().st_mtime < LEGACY_LEFTOVER_AGE_S
    except OSError:
        return True
