"""The embedding model's lifecycle: load on first use, one load at a time, unload when idle."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rekall.search.embedder import Embedder

Loader = Callable[[], "Embedder"]
LOADING_MESSAGE = "Loading embedding model…"


@dataclass(frozen=True)
class ModelStatus:
    """What `rekall stats` shows about the model."""

    loaded: bool
    loading: bool
    loads: int
    unloads: int
    idle_seconds: float | None
    idle_timeout_seconds: float | None


def release_free_heap() -> None:
    """Hand freed heap pages back to the OS where the C library allows it (glibc).

    The forward pass's activations leave ~20 MB of freed but still resident heap that glibc
    keeps for reuse; other platforms' allocators return it on their own, so this is a no-op
    there.
    """
    if not sys.platform.startswith("linux"):
        return
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
    the first load instead of loading the weights twice.
    """

    def __init__(
        self,
        loader: Loader,
        idle_timeout_seconds: float | None = None,
        on_loading: Callable[[str], None] | None = None,
        on_idle: Callable[[], None] | None = None,
    ) -> None:
        self._loader = loader
        self._on_idle = on_idle
        self._idle_timeout = idle_timeout_seconds or None
        self._on_loading = on_loading
        self._lock = threading.Lock()
        self._embedder: Embedder | None = None
        self._loading = False
        self._last_used = time.monotonic()
        self._loads = 0
        self._unloads = 0
        self._watch: threading.Thread | None = None
        self._stop = threading.Event()

    def get(self) -> Embedder:
        """The loaded embedder, loading it first if needed. Raises ModelError from the loader."""
        self._last_used = time.monotonic()
        embedder = self._embedder
        if embedder is not None:
            return embedder
        with self._lock:
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

    @property
    def loaded(self) -> bool:
        return self._embedder is not None

    def unload(self, collect: bool = True) -> bool:
        """Drop the embedder now and release its memory; True if one was loaded.

        collect=False skips the garbage collection that gives memory back at once, for a
        process that is about to exit anyway.
        """
        with self._lock:
            embedder, self._embedder = self._embedder, None
            if embedder is None:
                return False
            close = getattr(embedder, "close", None)
            if close is not None:
                close()
            del embedder
            self._unloads += 1
        if collect:
            gc.collect()
            release_free_heap()
        return True

    def unload_if_idle(self, now: float | None = None) -> bool:
        """Unload when unused for longer than the idle timeout; True if it unloaded."""
        if self._idle_timeout is None or self._embedder is None:
            return False
        idle = (time.monotonic() if now is None else now) - self._last_used
        if idle < self._idle_timeout:
            return False
        if self._on_idle is not None:
            self._on_idle()
        return self.unload()

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

    def status(self) -> ModelStatus:
        """Loaded or not, how long idle, and the timeout."""
        idle = time.monotonic() - self._last_used if self._embedder is not None else None
        return ModelStatus(
            self._embedder is not None,
            self._loading,
            self._loads,
            self._unloads,
            idle,
            self._idle_timeout,
        )

    def _watch_loop(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.unload_if_idle()
