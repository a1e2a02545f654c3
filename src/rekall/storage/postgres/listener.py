"""LISTEN/NOTIFY: hearing of every write to the base, from any machine, on its own thread."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

RETRY_SECONDS = 2.0
POLL_SECONDS = 0.5


class Listener:
    """A daemon thread holding one connection that LISTENs and calls back with each generation.

    A dropped connection is reopened; the callbacks then get the current generation, since
    notifications sent while nobody listened are lost.
    """

    def __init__(self, url: str, channel: str) -> None:
        self.url = url
        self.channel = channel
        self._callbacks: list[Callable[[int], None]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rekall-listen", daemon=True)
        self.connected = threading.Event()
        self._reconnecting = False

    def subscribe(self, callback: Callable[[int], None]) -> None:
        """Add a callback(generation)."""
        self._callbacks.append(callback)

    def start(self) -> None:
        """Start listening in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop and wait (briefly) for the thread."""
        self._stop.set()
        self._thread.join(timeout=POLL_SECONDS * 4)

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {self.channel}")
                    if self._reconnecting:
                        self._announce(_generation(conn))
                    self._reconnecting = True
                    self.connected.set()
                    self._listen(conn)
            except psycopg.Error:
                self.connected.clear()
                self._stop.wait(RETRY_SECONDS)

    def _listen(self, conn: Any) -> None:
        while not self._stop.is_set():
            for notice in conn.notifies(timeout=POLL_SECONDS, stop_after=64):
                with contextlib.suppress(ValueError):
                    self._announce(int(notice.payload))

    def _announce(self, generation: int) -> None:
        for callback in list(self._callbacks):
            callback(generation)


def _generation(conn: Any) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    return int(row[0])
