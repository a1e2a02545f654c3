"""The `rekall` console script: plain `rekall search` answered before click is loaded."""

from __future__ import annotations

import gc
import os
import sys

# Young objects a `rekall search` process allocates before Python collects garbage. With
# the default 700, a cold search ran ~60 collections (~20 ms of ~230 ms of CPU, most while
# modules import) that freed ~500 objects in all: what a search makes lives until it ends.
SEARCH_GC_THRESHOLD = 50_000


def main() -> None:
    """Console-script entry point: quick.py for a plain search, else the click command."""
    # Rekall never asks BLAS for more than one thread (a batch runs one worker thread per
    # core instead), and OpenBLAS starting its own thread pool doubles numpy's import time.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if sys.argv[1:2] == ["search"]:
        gc.set_threshold(SEARCH_GC_THRESHOLD)  # a search is short: other commands keep 700
        from rekall.interfaces.cli import quick

        if quick.can_answer(sys.argv) and quick.answer_search(sys.argv[2:]):
            return
    from rekall.interfaces.cli.main import main as click_main

    click_main()
