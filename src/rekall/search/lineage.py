"""The newest write generation the derived files have seen, to catch a database copied back."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

FILE_NAME = "seen.json"


def seen_generation(directory: Path, lineage: str) -> int | None:
    """The highest generation a derived file in `directory` was built at for this lineage.

    None when nothing was recorded for it (or the record is unreadable: it only adds safety).
    """
    try:
        body = json.loads((directory / FILE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(body, dict) or body.get("lineage") != lineage:
        return None
    generation = body.get("generation")
    return generation if isinstance(generation, int) and not isinstance(generation, bool) else None


def record_seen(directory: Path, lineage: str, generation: int) -> None:
    """Remember that a derived file was built at `generation` of `lineage` (kept if higher).

    Best effort: a failed write only loses the copy-back check for files built meanwhile.
    """
    known = seen_generation(directory, lineage)
    if known is not None and known >= generation:
        return
    payload = json.dumps({"lineage": lineage, "generation": generation})
    temporary = directory / f".{FILE_NAME}.{os.urandom(4).hex()}.tmp"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        temporary.write_text(payload, encoding="utf-8")
        os.replace(temporary, directory / FILE_NAME)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
