"""The `rekall` console script: plain `rekall search` answered before click is loaded."""

from __future__ import annotations

import atexit
import gc
import os
import sys


def main() -> None:
    """Console-script entry point: quick.py for a plain search, else the click command."""
    # Rekall never asks BLAS for more than one thread (a batch runs one worker thread per
    # core instead), and OpenBLAS starting its own thread pool doubles numpy's import time.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if sys.argv[1:2] == ["search"]:
        # A search is short, and what it makes lives until it ends: the cyclic collector
        # only cost it time (~55 collections that freed ~500 objects, and a full one at
        # exit; 13 ms of a cold search's CPU). Other commands, long-lived ones among them,
        # keep it.
        gc.disable()
        # The interpreter's exit still runs one full collection over every object left,
        # numpy's included (~14 ms of a cold search's CPU): frozen objects are skipped.
        # Everything else at exit still happens (atexit handlers, flushes, module teardown),
        # but for a search answered here, which skips the teardown (end_answered_search).
        atexit.register(gc.freeze)
        from rekall.interfaces.cli import quick

        if quick.can_answer(sys.argv) and quick.answer_search(sys.argv[2:]):
            end_answered_search()
            return
    from rekall.interfaces.cli.main import main as click_main

    click_main()


def end_answered_search() -> None:
    """End a search that succeeded without the interpreter's module teardown.

    The search has closed its database and model, and its output is flushed here; what
    the teardown would do then is free, one object at a time, memory the process hands back
    anyway (~5 ms of a cold search's CPU). The exit handlers still run. With another thread
    alive (it might still be writing), the process ends as usual instead.
    """
    import threading

    if threading.active_count() > 1:
        return
    if not _flushed():
        return
    atexit._run_exitfuncs()  # runs each handler once and unregisters it
    # What a handler printed must not be lost either; if it cannot be written, the usual
    # exit reports it.
    if _flushed():
        os._exit(0)


def _flushed() -> bool:
    """Flush stdout and stderr; False when one cannot be written (a closed pipe)."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        return False
    return True
