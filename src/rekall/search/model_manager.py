"""The embedding model's lifecycle: load on first use, one load at a time, unload when idle."""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rekall.search.embedder import Embedder
    from rekall.search.model_status import ModelStatus

Loader = Callable[[], "Embedder"]
LOADING_MESSAGE = "Loading embedding model…"


def release_free_heap() -> None:
    """Hand freed heap pages back to the OS where the C library allows it (glibc).

    The forward pass's activations leave ~20 MB of freed but still resident heap that glibc
    keeps for reuse; other platforms' allocators return it on their own, so this is a no-op
    there.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes.util  # here: it starts subprocess machinery no search needs

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return  # not glibc (e.g. musl): nothing to do
    trim(0)


class ModelManager:
    """Hands out the embedder, loading it lazily and dropping it after idle_timeout seconds.

    The unload timer only runs in long-lived processes (start_idle_watch); a CLI process
    exits long before any timeout. Loads are serialised by a lock: a second caller waits for
    the first load instead of loading the weights twice. Callers borrow the embedder
    (borrow()), and an idle unload never takes it from under a borrower.
    """

    def __init__(
        self,
        loader: Loader,
        idle_timeout_seconds: float | None = None,
        on_loading: Callable[[str], None] | None = None,
        on_idle: Callable[[], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self._loader = loader
        self._on_idle = on_idle
        self._idle_timeout = idle_timeout_seconds or None
        self._on_loading = on_loading
        self._on_error = on_error
        self._lock = threading.RLock()
        self._embedder: Embedder | None = None
        self._borrowers = 0
        self._loading = False
        self._last_used = time.monotonic()
        self._loads = 0
        self._unloads = 0
        self._idle_errors = 0
        self._watch: threading.Thread | None = None
        self._stop = threading.Event()

    def get(self) -> Embedder:
        """The loaded embedder, loading it first if needed. Raises ModelError from the loader.

        In a long-lived process prefer borrow(): an idle unload may close what get() returned.
        """
        with self._lock:
            self._last_used = time.monotonic()
            if self._embedder is None:
                self._loading = True
                if self._on_loading:
                    self._on_loading(LOADING_MESSAGE)
                try:
                    self._embedder = self._loader()
                    self._loads += 1
                finally:
                    self._loading = False
            self._last_used = time.monotonic()
            return self._embedder

    @contextmanager
    def borrow(self) -> Iterator[Embedder]:
        """The embedder (loaded if needed), kept loaded until the block ends.

        Raises ModelError from the loader.
        """
        with self._lock:
            embedder = self.get()
            self._borrowers += 1
        try:
            yield embedder
        finally:
            with self._lock:
                self._borrowers -= 1
                self._last_used = time.monotonic()

    @property
    def loaded(self) -> bool:
        return self._embedder is not None

    def unload(self, collect: bool = True) -> bool:
        """Drop the embedder now and release its memory; True if one was loaded.

        collect=False skips the garbage collection that gives memory back at once, for a
        process that is about to exit anyway.
        """
        with self._lock:
            unloaded = self._drop_embedder()
        if unloaded and collect:
            gc.collect()
            release_free_heap()
        return unloaded

    def unload_if_idle(self, now: float | None = None) -> bool:
        """Unload when unused for longer than the idle timeout and not borrowed; True if so.

        on_idle runs first, outside the lock (it takes locks of its own); the idleness is
        checked again under the lock that get() and borrow() take, so no caller receives the
        embedder between the check and the unload.
        """
        if not self._idle(now):
            return False
        if self._on_idle is not None:
            self._on_idle()
        with self._lock:
            unloaded = self._idle(now) and self._drop_embedder()
        if unloaded:
            gc.collect()
            release_free_heap()
        return unloaded

    def _idle(self, now: float | None) -> bool:
        if self._idle_timeout is None or self._embedder is None or self._borrowers:
            return False
        return (time.monotonic() if now is None else now) - self._last_used >= self._idle_timeout

    def _drop_embedder(self) -> bool:
        """Close and forget the embedder; the caller holds the lock."""
        embedder = self._embedder
        if embedder is None:
            return False
        # Counted first and forgotten last: whoever sees "not loaded" (status(), a memory
        # figure) sees it counted and its weights already unmapped.
        self._unloads += 1
        close = getattr(embedder, "close", None)
        if close is not None:
            close()
        self._embedder = None
        return True

    def start_idle_watch(self, interval_seconds: float | None = None) -> None:
        """Check for idleness in a daemon thread (for the TUI and the MCP server)."""
        if self._idle_timeout is None or self._watch is not None:
            return
        interval = interval_seconds or max(0.05, min(30.0, self._idle_timeout / 4))
        self._watch = threading.Thread(
            target=self._watch_loop, args=(interval,), name="rekall-model-idle", daemon=True
        )
        self._watch.start()

    def stop(self) -> None:
        """Stop the idle watch and unload."""
        self._stop.set()
        if self._watch is not None:
            self._watch.join(timeout=5)
            self._watch = None
        self.unload(collect=False)

    @property
    def watching(self) -> bool:
        """True while the idle watch thread runs."""
        return self._watch is not None and self._watch.is_alive()

    def status(self) -> ModelStatus:
        """Loaded or not, how long idle, and the timeout."""
        from rekall.search.model_status import ModelStatus  # a search never asks

        idle = time.monotonic() - self._last_used if self._embedder is not None else None
        return ModelStatus(
            self._embedder is not None,
            self._loading,
            self._loads,
            self._unloads,
            idle,
            self._idle_timeout,
            self._idle_errors,
        )

    def _watch_loop(self, interval: float) -> None:
        import logging

        while not self._stop.wait(interval):
            try:
                self.unload_if_idle()
            except Exception as error:  # the watch must outlive any one failure
                # Keep watching: a failed release (a full disk for the snapshot, say) must
                # not leave the model loaded forever without a word.
                self._idle_errors += 1
                message = f"Releasing the idle embedding model failed: {error}"
                logging.getLogger(__name__).warning(message)
                if self._on_error is not None:
                    self._on_error(message)
