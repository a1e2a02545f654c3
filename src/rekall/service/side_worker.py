"""One long-lived thread for a hybrid search's other side: a server's keyword statements, or the
embedded index's pass over the vectors, while the search goes on."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
THREAD_NAME = "rekall-keyword-side"
# How long close() waits for the work under way: a statement blocked on a server's lock must
# not hold up Ctrl+C or quitting (the thread is a daemon and ends with the process).
CLOSE_WAIT_S = 10.0


class Pending(Generic[T]):
    """Work handed to the worker; result() waits for it and raises what it raised."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._work: Callable[[], T] | None = work
        self._done = threading.Event()
        self._taken = threading.Lock()  # held by whichever thread runs the work
        self._value: T | None = None
        self._error: BaseException | None = None

    def claim(self) -> bool:
        """Take the work back for the caller's thread when the worker has not started it
        (no core was free for it): True when the caller is to run it; the worker skips it,
        and result() and wait() are then not to be called (nothing will set them)."""
        return self._taken.acquire(blocking=False)

    def run(self) -> None:
        if not self._taken.acquire(blocking=False):
            return  # claimed by the caller
        # What the work holds (an index, a vector) is not kept alive once it has run.
        work, self._work = self._work, None
        try:
            self._value = work() if work is not None else None
        except BaseException as exc:  # handed to the caller, who raises it
            self._error = exc
        finally:
            self._done.set()

    def wait(self, timeout: float) -> bool:
        """Wait up to timeout seconds for the work; True when it has finished."""
        return self._done.wait(timeout)

    def result(self) -> T:
        """The work's value. Raises the work's own exception."""
        self._done.wait()
        if self._error is not None:
            error, self._error = self._error, None  # no cycle through the traceback
            raise error
        return self._value  # type: ignore[return-value]


class SideWorker:
    """A thread started at the first submit and stopped by close(); after close(), work
    runs in the caller's thread. Work must not wait for anything the caller holds."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Pending[object] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, work: Callable[[], T]) -> Pending[T]:
        """Start work on the worker thread; result() on the return value waits for it."""
        pending = Pending(work)
        with self._lock:
            if not self._closed:
                if self._thread is None:
                    # A daemon: a process that never calls close() still exits.
                    self._thread = threading.Thread(target=self._serve, name=THREAD_NAME)
                    self._thread.daemon = True
                    self._thread.start()
                self._queue.put(pending)  # type: ignore[arg-type]
                return pending
        pending.run()
        return pending

    @property
    def running(self) -> bool:
        """True while the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def close(self) -> None:
        """Finish the queued work and stop the thread (idempotent); gives up waiting after
        CLOSE_WAIT_S."""
        with self._lock:
            self._closed, thread = True, self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            if thread is not threading.current_thread():
                thread.join(CLOSE_WAIT_S)

    def _serve(self) -> None:
        while (pending := self._queue.get()) is not None:
            pending.run()
            del pending  # not kept alive while the thread waits for the next
