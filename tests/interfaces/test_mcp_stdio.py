"""`rekall mcp` as real processes: the SDK's stdio client, stdout purity, idle unload, other
writers (the CLI, a second server) and streamable HTTP."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, closing, contextmanager
from pathlib import Path
from typing import IO, Any

import anyio
import psutil
import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from rekall.interfaces.mcp.server import TOOL_HINTS
from tests.storage.test_refusals import TEAM_TRIGGERS

pytestmark = pytest.mark.model

SCRIPT = Path(sys.executable).parent / ("rekall.exe" if os.name == "nt" else "rekall")


@asynccontextmanager
async def rekall_mcp(errlog: IO[str], **env: str) -> AsyncIterator[Client]:
    """A client of a `rekall mcp` child process on this test's data dir (stderr to errlog)."""
    params = StdioServerParameters(command=str(SCRIPT), args=["mcp"], env={**os.environ, **env})
    async with Client(stdio_client(params, errlog=errlog)) as client:
        yield client


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """The structured result of a tool call that must succeed."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The real console script, on the same data dir."""
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, timeout=120, check=False
    )


def server_process() -> psutil.Process:
    """The `rekall mcp` child of this test process."""
    (child,) = [p for p in psutil.Process().children(recursive=True) if p.cmdline()[-1:] == ["mcp"]]
    return child


def rss_mb(process: psutil.Process) -> float:
    return float(process.memory_info().rss / 1e6)


async def test_stdio_client_lists_adds_searches_and_deletes(tmp_path: Path) -> None:
    with (tmp_path / "stderr.txt").open("w") as errlog:
        async with rekall_mcp(errlog) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            added = await call(
                client,
                "add_entry",
                type="bug",
                title="Kafka consumer lag keeps growing",
                content="max.poll.records too high for the handler; lower it to 100.",
            )
            entry_id = added["entry"]["id"]
            found = await call(client, "search_entries", query="message queue reader falls behind")
            deleted = await call(client, "delete_entry", id=entry_id)
            after = await call(client, "search_entries", query="kafka", mode="keyword")
    assert len(names) == len(TOOL_HINTS) and "search_entries" in names
    assert found["results"][0]["id"] == entry_id and found["mode"] == "hybrid"
    assert deleted["action"] == "deleted"
    assert after["results"] == []


# -- stdout purity ---------------------------------------------------------------------------

# Runs `rekall mcp` with a tool that prints, writes to fd 1 and warns while serving.
NOISY_SERVER = """
import os, sys, warnings
from rekall.interfaces.mcp import tools_read
from rekall.interfaces.mcp.outputs import StatsOutput
original = tools_read.ReadTools.get_stats
def noisy(self) -> StatsOutput:
    print("stray print from a tool")
    os.write(1, b"stray bytes on fd 1\\n")
    warnings.warn("a warning raised while serving", UserWarning)
    return original(self)
tools_read.ReadTools.get_stats = noisy
warnings.warn("a warning raised at start-up", UserWarning)
from rekall.interfaces.cli.main import main
sys.argv = ["rekall", "mcp"]
main()
"""


class RawServer:
    """A server process driven by hand-written JSON-RPC lines, as an MCP client sends them."""

    def __init__(self, args: list[str]) -> None:
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.watchdog = threading.Timer(90, self.process.kill)
        self.watchdog.start()
        self.lines: list[str] = []
        self.next_id = 0

    def notify(self, method: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"jsonrpc": "2.0", "method": method}) + "\n")
        self.process.stdin.flush()

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()
        while True:
            line = self.process.stdout.readline()
            assert line, "the server closed stdout"
            self.lines.append(line)
            answer: dict[str, Any] = json.loads(line)
            if answer.get("id") == self.next_id:
                return answer

    def finish(self) -> str:
        """Close stdin, collect the rest of stdout; return stderr."""
        out, err = self.process.communicate(timeout=30)
        self.watchdog.cancel()
        self.lines.extend(out.splitlines(keepends=True))
        return err


def test_stdout_carries_only_protocol_messages() -> None:
    server = RawServer([sys.executable, "-c", NOISY_SERVER])
    init = server.request(
        "initialize",
        {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "purity-test", "version": "1"},
        },
    )
    server.notify("notifications/initialized")
    stats = server.request("tools/call", {"name": "get_stats", "arguments": {}})
    search = server.request(
        "tools/call",
        {"name": "search_entries", "arguments": {"query": "anything", "mode": "semantic"}},
    )
    error = server.request("tools/call", {"name": "get_entry", "arguments": {"id": "nope!"}})
    stderr = server.finish()
    assert init["result"]["serverInfo"]["name"] == "rekall"
    assert stats["result"]["structuredContent"]["entries"] == 0
    assert search["result"]["structuredContent"]["mode"] == "semantic"
    assert error["result"]["isError"] is True
    messages = [json.loads(line) for line in server.lines]  # each line is one JSON message
    assert all(message["jsonrpc"] == "2.0" for message in messages)
    assert {message.get("id") for message in messages} >= {1, 2, 3, 4}
    for noise in (
        "stray print from a tool",
        "stray bytes on fd 1",
        "a warning raised while serving",
        "a warning raised at start-up",
        "Loading embedding model…",
    ):
        assert noise in stderr


# -- a long-running server -------------------------------------------------------------------


async def test_the_model_unloads_when_idle_and_memory_falls(tmp_path: Path) -> None:
    with (tmp_path / "stderr.txt").open("w") as errlog:
        # 6 s idle: long enough to measure the loaded RSS on a busy machine.
        async with rekall_mcp(errlog, REKALL_MODEL_IDLE_TIMEOUT_MINUTES="0.1") as client:
            process = server_process()
            started = rss_mb(process)
            await call(client, "add_entry", type="til", title="nohup keeps a job alive")
            loaded = rss_mb(process)
            deadline = time.monotonic() + 120  # generous: the idle watch may wait for a core
            while (await call(client, "get_stats"))["model_loaded"]:
                assert time.monotonic() < deadline, "the model never unloaded"
                await anyio.sleep(0.2)
            unloaded = rss_mb(process)
            again = await call(client, "search_entries", query="job dies when I log out")
    assert loaded - unloaded > 30, f"RSS {loaded:.0f} MB -> {unloaded:.0f} MB after unload"
    # The user's ceiling at rest is 100 MB; stay well under it (the SDK alone weighed ~43 MB).
    assert started < 60, f"RSS {started:.0f} MB before first use"
    assert unloaded < 85, f"RSS {unloaded:.0f} MB after unload"
    assert again["results"][0]["title"] == "nohup keeps a job alive"


async def test_writes_by_the_cli_are_seen_by_a_running_server(tmp_path: Path) -> None:
    with (tmp_path / "stderr.txt").open("w") as errlog:
        async with rekall_mcp(errlog) as client:
            before = await call(client, "search_entries", query="ENOSPC inotify", mode="keyword")
            added = cli(
                "add",
                "bug",
                "ENOSPC: file watchers limit reached",
                "-c",
                "Raise fs.inotify.max_user_watches with sysctl.",
            )
            assert added.returncode == 0, added.stderr
            entry_id = added.stdout.strip()
            keyword = await call(client, "search_entries", query="ENOSPC", mode="keyword")
            meaning = await call(
                client,
                "search_entries",
                query="dev server cannot watch more files",
                mode="semantic",
                limit=1,
            )
            mine = await call(client, "add_entry", type="til", title="Server-side note on tmux")
            seen_by_cli = cli("search", "tmux", "--mode", "keyword", "--json")
            assert cli("delete", entry_id, "--yes").returncode == 0
            after = await call(client, "search_entries", query="ENOSPC", mode="semantic")
    assert before["results"] == []
    assert [hit["id"] for hit in keyword["results"]] == [entry_id]
    assert [hit["id"] for hit in meaning["results"]] == [entry_id]
    assert [r["id"] for r in json.loads(seen_by_cli.stdout)["results"]] == [mine["entry"]["id"]]
    assert entry_id not in [hit["id"] for hit in after["results"]]


async def test_a_write_a_rule_of_the_base_refuses_is_named_over_stdio(
    tmp_path: Path, db_file: Path
) -> None:
    assert cli("add", "til", "nohup survives logout", "-c", "SIGHUP").returncode == 0
    with closing(sqlite3.connect(db_file)) as conn, conn:
        conn.execute(TEAM_TRIGGERS["sqlite"])
    with (tmp_path / "stderr.txt").open("w") as errlog:
        async with rekall_mcp(errlog) as client:
            refused = await client.call_tool(
                "add_entry", {"type": "reference", "title": "Deploy runbook"}
            )
            listed = await call(client, "list_recent")
    text = refused.content[0].text  # type: ignore[union-attr]
    assert refused.is_error
    assert f"{db_file} refused the write (runbooks live in the wiki); nothing was written" in text
    assert "A rule added to the base" in text and "change that rule" in text
    assert [hit["title"] for hit in listed["results"]] == ["nohup survives logout"]
    assert "Traceback" not in (tmp_path / "stderr.txt").read_text()


SERVER_ADDS = 20
CLI_ADDS = 8


async def write_through_server(client: Client, name: str, texts: list[str]) -> None:
    """Add SERVER_ADDS entries in concurrent rounds, reading and editing between them."""
    for round_start in range(0, SERVER_ADDS, 4):
        async with anyio.create_task_group() as group:
            for n in range(round_start, round_start + 4):
                group.start_soon(
                    record,
                    client,
                    texts,
                    "add_entry",
                    {"type": "til", "title": f"{name} note {n} about retries"},
                )
            group.start_soon(record, client, texts, "search_entries", {"query": "retries"})
            group.start_soon(record, client, texts, "list_recent", {"limit": 5})
        recent = await call(client, "list_recent", limit=1)
        first = recent["results"][0]["id"]
        await record(client, texts, "get_entry", {"id": first})
        await record(client, texts, "update_entry", {"id": first, "confidence": 4})
        await anyio.sleep(0.4)


async def record(client: Client, texts: list[str], tool: str, arguments: dict[str, Any]) -> None:
    result = await client.call_tool(tool, arguments)
    texts.extend(getattr(block, "text", "") for block in result.content)
    if result.is_error:
        texts.append(f"ERROR from {tool}")


def write_through_cli(outputs: list[str]) -> None:
    for n in range(CLI_ADDS):
        done = cli("add", "til", f"cli note {n} about retries", "-c", "written by the CLI")
        outputs.append(done.stderr)
        if done.returncode != 0:
            outputs.append(f"ERROR exit {done.returncode}")


async def test_two_servers_and_the_cli_write_at_once_without_losing_anything(
    tmp_path: Path,
) -> None:
    assert cli("stats", "--json").returncode == 0  # create the database first
    texts: list[str] = []
    cli_outputs: list[str] = []
    with (tmp_path / "a.txt").open("w") as log_a, (tmp_path / "b.txt").open("w") as log_b:
        async with rekall_mcp(log_a) as a, rekall_mcp(log_b) as b:
            writer = threading.Thread(target=write_through_cli, args=(cli_outputs,))
            writer.start()
            async with anyio.create_task_group() as group:
                group.start_soon(write_through_server, a, "alpha", texts)
                group.start_soon(write_through_server, b, "beta", texts)
            await anyio.to_thread.run_sync(writer.join)
            counts = [(await call(s, "get_stats"))["entries"] for s in (a, b)]
            titles = {
                hit["title"]
                for hit in (await call(a, "list_recent", limit=50, sort="created"))["results"]
            }
            from_b = await call(b, "search_entries", query="alpha note 7 about retries", limit=1)
    stderr = (tmp_path / "a.txt").read_text() + (tmp_path / "b.txt").read_text()
    everything = "\n".join([*texts, *cli_outputs, stderr])
    assert "ERROR" not in everything and "locked" not in everything.lower(), everything
    total = 2 * SERVER_ADDS + CLI_ADDS
    assert counts == [total, total]
    assert len(titles) == total
    assert {f"cli note {n} about retries" for n in range(CLI_ADDS)} <= titles
    assert from_b["results"][0]["title"] == "alpha note 7 about retries"


# -- streamable HTTP -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def http_server(port: int, errlog: IO[str]) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [str(SCRIPT), "mcp", "--http", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=errlog,
    )
    try:
        deadline = time.monotonic() + 120  # a busy machine may take long to start it
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, "the HTTP server exited"
                assert time.monotonic() < deadline, "the HTTP server never listened"
                time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=15)


def post(port: int, origin: str | None) -> int:
    """The status of an initialize POST sent with this Origin header."""
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "origin-test", "version": "1"},
            },
        }
    ).encode()
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if origin:
        headers["Origin"] = origin
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/mcp", data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return refused.code


async def test_http_serves_local_clients_and_refuses_foreign_origins(tmp_path: Path) -> None:
    port = free_port()
    with (tmp_path / "stderr.txt").open("w") as errlog, http_server(port, errlog):
        async with Client(f"http://127.0.0.1:{port}/mcp") as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            added = await call(client, "add_entry", type="config", title="HTTP transport works")
            found = await call(client, "search_entries", query="HTTP transport", mode="keyword")
            # 1 MB would break the client's 1 MiB event limit if the reply echoed it.
            huge = await client.call_tool("search_entries", {"query": "q" * 1_000_000})
        statuses = {
            origin: await anyio.to_thread.run_sync(post, port, origin)
            for origin in (None, "http://localhost:5173", "https://evil.example", "null")
        }
    assert len(names) == len(TOOL_HINTS)
    assert found["results"][0]["id"] == added["entry"]["id"]
    assert huge.is_error and "the limit is 10,000" in huge.content[0].text  # type: ignore[union-attr]
    assert len(huge.content[0].text) < 500  # type: ignore[union-attr]
    assert statuses == {
        None: 200,
        "http://localhost:5173": 200,
        "https://evil.example": 403,
        "null": 403,
    }
    assert f"http://127.0.0.1:{port}/mcp" in (tmp_path / "stderr.txt").read_text()


def test_http_on_a_port_in_use_says_so_and_exits_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = cli("mcp", "--http", "--port", str(port))
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "server on" not in result.stderr and "Traceback" not in result.stderr
