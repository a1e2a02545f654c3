"""Eight MCP clients over HTTP with tokens against a PostgreSQL base: searches/s, p95, adds lost."""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import time
from pathlib import Path

from common import REKALL, WARM_QUERIES, bench_env


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def wait_for_port(port: int, server: subprocess.Popen[bytes]) -> None:
    """Until the server accepts connections (it may take a while on a busy machine)."""
    deadline = time.monotonic() + 120
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the HTTP server did not start") from None
            await asyncio.sleep(0.2)


async def http_clients(url: str, home: Path, clients: int, each: int) -> dict[str, float]:
    """clients MCP clients over HTTP with tokens, 80% searches and 20% adds each."""
    import httpx2
    from mcp.client import Client
    from mcp.client.streamable_http import streamable_http_client

    env = bench_env(home, REKALL_DATABASE_URL=url)
    secret = subprocess.run(
        [REKALL, "token", "create", f"bench-{os.getpid()}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    port = 18765
    server = subprocess.Popen(
        [REKALL, "mcp", "--http", "--port", str(port)], env=env, stderr=subprocess.DEVNULL
    )
    searches: list[float] = []
    adds: list[str] = []

    async def one(number: int) -> None:
        headers = {"Authorization": f"Bearer {secret}"}
        async with httpx2.AsyncClient(headers=headers, timeout=120) as http:
            transport = streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http)
            async with Client(transport) as client:
                for step in range(each):
                    if step % 5 == 4:
                        title = f"bench client {number} note {step}"
                        await client.call_tool("add_entry", {"type": "til", "title": title})
                        adds.append(title)
                    else:
                        query = random.choice(WARM_QUERIES)
                        started = time.perf_counter()
                        await client.call_tool("search_entries", {"query": query})
                        searches.append((time.perf_counter() - started) * 1000)

    try:
        await wait_for_port(port, server)
        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(clients)))
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(30)
    listed = subprocess.run(
        [REKALL, "search", "bench client", "--mode", "keyword", "--limit", "1000", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    stored = {r["title"] for r in json.loads(listed.stdout)["results"]}
    return {
        "searches_per_s": len(searches) / elapsed,
        "search_p50": statistics.median(searches),
        "search_p95": percentile(searches, 0.95),
        "adds": len(adds),
        "adds_lost": len(set(adds) - stored),
    }
