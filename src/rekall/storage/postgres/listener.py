"""LISTEN/NOTIFY: hearing of every write to the base, from any machine, on its own thread."""

from __future__ import annotations

import selectors
import threading
import traceback
from collections.abc import Callable
from time import monotonic
from typing import Any

from rekall.storage.postgres import connection as pg

RETRY_SECONDS = 2.0
POLL_SECONDS = 0.5
# A connection left idle can die without a word (a NAT's or firewall's idle timeout, a laptop
# resuming on another network, a proxy that stopped forwarding): after this long without a
# notification the server is asked for an answer, and a connection without one is replaced.
LIVENESS_SECONDS = 30.0
ANSWER_SECONDS = 10.0
Callback = Callable[[int, "str | None"], None]


class Listener:
    """A daemon thread holding one connection that LISTENs and calls back with each generation
    and the writer named in its notification (None when no writer is named).

    A dropped or silent connection is reopened; the callbacks then get the current generation
    with no writer, since notifications sent while nobody listened are lost.
    """

    def __init__(self, url: str, channel: str) -> None:
        self.url = url
        self.channel = channel
        self._callbacks: list[Callback] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rekall-listen", daemon=True)
        self.connected = threading.Event()
        self._reconnecting = False

    def subscribe(self, callback: Callback) -> None:
        """Add a callback(generation, writer)."""
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
                with psycopg.connect(
                    self.url, autocommit=True, connect_timeout=pg.CONNECT_TIMEOUT_S, **pg.KEEPALIVES
                ) as conn:
                    conn.execute(f"LISTEN {self.channel}")
                    if self._reconnecting:
                        self._announce(_generation(conn), None)
                    self._reconnecting = True
                    self.connected.set()
                    self._listen(conn)
            except Exception:  # noqa: BLE001 - whatever broke, the thread must go on listening
                self.connected.clear()
                self._stop.wait(RETRY_SECONDS)

    def _listen(self, conn: Any) -> None:
        heard_at = monotonic()
        while not self._stop.is_set():
            for notice in conn.notifies(timeout=POLL_SECONDS, stop_after=64):
                heard_at = monotonic()
                self._hear(notice.payload)
            if monotonic() - heard_at >= LIVENESS_SECONDS:
                for payload in _ask_alive(conn, ANSWER_SECONDS):
                    self._hear(payload)
                heard_at = monotonic()

    def _hear(self, payload: str) -> None:
        # '<writer>:<generation>'; older clients send the generation alone.
        writer, _, number = payload.rpartition(":")
        if number.isdigit():
            self._announce(int(number), writer or None)

    def _announce(self, generation: int, writer: str | None) -> None:
        for callback in list(self._callbacks):
            try:
                callback(generation, writer)
            except Exception:  # noqa: BLE001 - a subscriber's bug must not deafen the others
                traceback.print_exc()


def _generation(conn: Any) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    return int(row[0])


def _ask_alive(conn: Any, timeout: float) -> list[str]:
    """Send SELECT 1 and wait at most timeout seconds for the answer; the payloads of the
    notifications that came with it. Raises OperationalError when no answer comes.

    On libpq's own calls, because psycopg waits for an answer without a limit, and a silent
    connection whose peer still acknowledges (a proxy) would never give one.
    """
    import psycopg

    pgconn = conn.pgconn
    deadline = monotonic() + timeout
    try:
        pgconn.send_query(b"SELECT 1")
        while pgconn.flush():
            _wait(pgconn.socket, deadline, writing=True, timeout=timeout)
        pgconn.consume_input()
        while pgconn.is_busy():
            _wait(pgconn.socket, deadline, writing=False, timeout=timeout)
            pgconn.consume_input()
    except psycopg.OperationalError:
        conn.close()  # a question without its answer: the connection is of no further use
        raise
    while (result := pgconn.get_result()) is not None:
        if result.status != psycopg.pq.ExecStatus.TUPLES_OK:
            raise psycopg.OperationalError("the listening connection's check failed")
    payloads = []
    while (notice := pgconn.notifies()) is not None:
        payloads.append(notice.extra.decode())
    return payloads


def _wait(socket: int, deadline: float, writing: bool, timeout: float) -> None:
    import psycopg

    remaining = max(0.0, deadline - monotonic())
    # A selector, not select.select: that refuses descriptors from 1024 up, which a busy
    # server process reaches.
    with selectors.DefaultSelector() as selector:
        selector.register(socket, selectors.EVENT_WRITE if writing else selectors.EVENT_READ)
        ready = selector.select(remaining)
    if not ready:
        raise psycopg.OperationalError(f"no answer from the server in {timeout:g} s")
