"""Files too large or endless to import: refused with bounded memory, the base unchanged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from rekall.service.transfer import MAX_IMPORT_BYTES, MAX_MARKDOWN_BYTES

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="peak RSS of a child via getrusage, in KiB on Linux"
)
SCRIPT = Path(sys.executable).parent / "rekall"
# Runs the command as its only child with an address-space cap (so a regression fails
# fast instead of eating the machine's memory) and reports its peak RSS.
MEASURE = """
import json, resource, subprocess, sys
cap = 2 * 1024**3
def limit(): resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=120, preexec_fn=limit)
peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"code": done.returncode, "stderr": done.stderr, "peak_mb": peak_mb}))
"""


def import_measured(path: Path) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(SCRIPT), "import", str(path)],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
        env=os.environ,
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


@pytest.fixture
def seeded_db(db_file: Path) -> Path:
    done = subprocess.run(
        [str(SCRIPT), "add", "til", "already here"], capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return db_file


def test_an_endless_device_is_refused_at_once(
    seeded_db: Path, db_fingerprint: Callable[[Path], str]
) -> None:
    before = db_fingerprint(seeded_db)
    result = import_measured(Path("/dev/zero"))
    assert result["code"] == 2, result
    assert "contains a NUL byte at offset 0" in str(result["stderr"])
    assert float(result["peak_mb"]) < 150  # type: ignore[arg-type]
    assert db_fingerprint(seeded_db) == before


@pytest.mark.parametrize(
    ("name", "size"),
    [("huge.json", MAX_IMPORT_BYTES + 1), ("huge.md", MAX_MARKDOWN_BYTES + 1)],
)
def test_a_file_past_the_limit_is_refused_before_it_is_read(
    seeded_db: Path, tmp_path: Path, db_fingerprint: Callable[[Path], str], name: str, size: int
) -> None:
    path = tmp_path / name
    with path.open("wb") as handle:  # sparse: costs no disk
        handle.write(b"{")
        handle.truncate(size)
    before = db_fingerprint(seeded_db)
    result = import_measured(path)
    assert result["code"] == 2, result
    assert "the most Rekall imports at once" in str(result["stderr"])
    assert float(result["peak_mb"]) < 150  # type: ignore[arg-type]
    assert db_fingerprint(seeded_db) == before


def test_a_stream_past_the_limit_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    from rekall.core.errors import ValidationError
    from rekall.service.transfer import read_bounded

    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    endless = "import sys\nwith open(sys.argv[1], 'w') as f:\n    while True: f.write(' ' * 65536)"
    writer = subprocess.Popen([sys.executable, "-c", endless, str(fifo)], stderr=subprocess.DEVNULL)
    try:
        with pytest.raises(ValidationError, match="larger than 1 MB"):
            read_bounded(fifo, 1024 * 1024)
    finally:
        writer.kill()
        writer.wait(timeout=30)


@pytest.mark.parametrize("name", ["bad\x00name.json", "x" * 5000 + ".json"])
def test_an_impossible_path_is_refused_cleanly(name: str) -> None:
    from click.testing import CliRunner

    from rekall.interfaces.cli.main import cli

    result = CliRunner().invoke(cli, ["import", name], catch_exceptions=False)
    assert result.exit_code == 2 and "Error:" in result.stderr
    assert len(result.stderr) < 400  # the path is shown shortened, never echoed whole
