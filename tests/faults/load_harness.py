"""Several writer processes (CLI adds and `rekall mcp` servers) and readers on one database."""

from __future__ import annotations

import sqlite3
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import anyio
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests.faults.crash_harness import REKALL


@dataclass
class LoadTally:
    """Acknowledged write ids, reads done, and every failure a user would have seen."""

    ids: list[str] = field(default_factory=list)
    reads: int = 0
    read_kinds: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wrote(self, entry_id: str) -> None:
        with self.lock:
            self.ids.append(entry_id)

    def failed(self, message: str) -> None:
        with self.lock:
            self.failures.append(message)


def cli_writer(name: str, ops: int, env: dict[str, str], tally: LoadTally) -> None:
    """ops `rekall add` processes, one after the other; each prints the new id."""
    for index in range(ops):
        result = subprocess.run(
            [
                REKALL,
                "add",
                "snippet",
                f"{name} note {index}",
                "-p",
                name,
                "-t",
                "load",
                "-c",
                f"Written by {name}, operation {index}, under load.",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode == 0:
            tally.wrote(result.stdout.strip())
        else:
            tally.failed(f"{name}: exit {result.returncode}: {result.stderr.strip()}")


async def _mcp_session(
    name: str, ops: int, env: dict[str, str], errlog: IO[str], tally: LoadTally
) -> None:
    params = StdioServerParameters(command=REKALL, args=["mcp"], env=env)
    async with Client(stdio_client(params, errlog=errlog)) as client:
        for index in range(ops):
            arguments = {
                "type": "til",
                "title": f"{name} note {index}",
                "project": name,
                "tags": ["load"],
                "content": f"Written by {name}, operation {index}.",
            }
            result = await client.call_tool("add_entry", arguments)
            if result.is_error or result.structured_content is None:
                tally.failed(f"{name}: tool error: {result.content}")
            else:
                tally.wrote(str(result.structured_content["entry"]["id"]))


def mcp_writer(name: str, ops: int, env: dict[str, str], log: Path, tally: LoadTally) -> None:
    """One `rekall mcp` server process adding ops entries through the SDK's stdio client."""
    with log.open("w") as errlog:
        try:
            anyio.run(_mcp_session, name, ops, env, errlog, tally)
        except Exception as exc:  # any failure of the session counts against the run
            tally.failed(f"{name}: {exc!r}")


READS = (
    ["search", "note written under load", "--mode", "semantic", "--json"],
    ["search", "note written under load", "--mode", "hybrid", "--json"],
    ["search", "note under load", "--mode", "keyword", "--json"],
    ["list", "--json"],
)


def reader(env: dict[str, str], stop: threading.Event, tally: LoadTally, first: int = 0) -> None:
    """Semantic, hybrid and keyword searches and lists, one process each, until stop is set.

    first: which of READS to start with, so that several readers cover several kinds at once.
    """
    turn = first
    while not stop.is_set():
        args = [REKALL, *READS[turn % len(READS)]]
        turn += 1
        result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
        if result.returncode == 0:
            with tally.lock:
                tally.reads += 1
                tally.read_kinds.add(" ".join(args[1:]))
        else:
            tally.failed(f"reader: exit {result.returncode}: {result.stderr.strip()}")


def run_load(
    env: dict[str, str], db_file: Path, logs: Path, ops: int, readers: int = 2
) -> tuple[LoadTally, float]:
    """2 CLI writers and 2 MCP servers, ops writes each, with readers; (tally, seconds)."""
    tally = LoadTally()
    stop = threading.Event()
    writers = [
        threading.Thread(target=cli_writer, args=(f"cli-{n}", ops, env, tally)) for n in (1, 2)
    ] + [
        threading.Thread(
            target=mcp_writer, args=(f"mcp-{n}", ops, env, logs / f"mcp-{n}.log", tally)
        )
        for n in (1, 2)
    ]
    reading = [threading.Thread(target=reader, args=(env, stop, tally, n)) for n in range(readers)]
    started = time.perf_counter()
    for thread in writers + reading:
        thread.start()
    for thread in writers:
        thread.join()
    seconds = time.perf_counter() - started
    stop.set()
    for thread in reading:
        thread.join()
    for log in sorted(logs.glob("mcp-*.log")):
        if "locked" in (text := log.read_text()) or "Traceback" in text:
            tally.failed(f"{log.name}: {text[-500:]}")
    return tally, seconds


def missing_ids(db_file: Path, ids: list[str]) -> list[str]:
    """Acknowledged ids that the database does not hold."""
    conn = sqlite3.connect(db_file, timeout=30)
    try:
        held = {row[0] for row in conn.execute("SELECT id FROM entries")}
    finally:
        conn.close()
    return [entry_id for entry_id in ids if entry_id not in held]
