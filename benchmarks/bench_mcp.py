"""MCP server figures: warm search tool round trip over stdio, and RSS idle / loaded / unloaded."""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REKALL, bench_env, command_line, generated_base  # noqa: E402
from common import WARM_QUERIES as QUERIES  # noqa: E402

IDLE_TIMEOUT_MINUTES = "0.05"


class StdioServer:
    """`rekall mcp` driven by JSON-RPC lines over its pipes, as MCP clients do."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [REKALL, "mcp"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.last_id = 0

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin and self.process.stdout
        self.last_id += 1
        line = json.dumps(
            {"jsonrpc": "2.0", "id": self.last_id, "method": method, "params": params}
        )
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        while True:
            answer: dict[str, Any] = json.loads(self.process.stdout.readline())
            if answer.get("id") == self.last_id:
                return answer

    def call(self, tool: str, **arguments: Any) -> dict[str, Any]:
        answer = self.request("tools/call", {"name": tool, "arguments": arguments})
        result: dict[str, Any] = answer["result"]
        if result.get("isError"):
            raise RuntimeError(result["content"][0]["text"])
        structured: dict[str, Any] = result["structuredContent"]
        return structured

    def timed_call(self, tool: str, **arguments: Any) -> float:
        started = time.perf_counter()
        self.call(tool, **arguments)
        return (time.perf_counter() - started) * 1000

    def rss_mb(self) -> float:
        return float(psutil.Process(self.process.pid).memory_info().rss / 1e6)

    def start(self) -> float:
        """Handshake as a client does; return ms from spawn to the tool list."""
        started = time.perf_counter()
        self.request(
            "initialize",
            {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "1"},
            },
        )
        assert self.process.stdin
        self.process.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        self.request("tools/list", {})
        return (time.perf_counter() - started) * 1000

    def stop(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        self.process.wait(timeout=30)


def wait_for_unload(server: StdioServer, timeout_s: float = 60) -> float:
    """Seconds until the server reports the model unloaded."""
    started = time.monotonic()
    while server.call("get_stats")["model_loaded"]:
        if time.monotonic() - started > timeout_s:
            raise RuntimeError("the model did not unload")
        time.sleep(0.25)
    return time.monotonic() - started


def measure(home: Path, passes: int) -> dict[str, float]:
    """Every figure from one fresh server process on the base in home."""
    env = bench_env(home, REKALL_MODEL_IDLE_TIMEOUT_MINUTES=IDLE_TIMEOUT_MINUTES)
    server = StdioServer(env)
    figures = {"startup_ms": server.start()}
    time.sleep(1)
    figures["rss_idle_mb"] = server.rss_mb()
    figures["first_search_ms"] = server.timed_call("search_entries", query=QUERIES[0])
    new = [
        server.timed_call("search_entries", query=f"{q} {n}")
        for n in range(passes)
        for q in QUERIES
    ]
    figures["warm_search_ms"] = statistics.median(new)
    figures["warm_search_p90_ms"] = statistics.quantiles(new, n=10)[-1]
    repeat = [server.timed_call("search_entries", query=QUERIES[1]) for _ in range(30)]
    figures["repeat_search_ms"] = statistics.median(repeat)
    keyword = [server.timed_call("search_entries", query=q, mode="keyword") for q in QUERIES]
    figures["keyword_search_ms"] = statistics.median(keyword)
    figures["get_entry_ms"] = statistics.median(
        server.timed_call("get_entry", id=hit["id"])
        for hit in server.call("search_entries", query="docker", limit=10)["results"]
    )
    figures["rss_loaded_mb"] = server.rss_mb()
    figures["unload_after_s"] = wait_for_unload(server)
    time.sleep(0.5)
    figures["rss_unloaded_mb"] = server.rss_mb()
    server.stop()
    return figures


def facade_search_ms(home: Path, passes: int) -> float:
    """The same warm searches through the facade in this process: the cost without MCP."""
    from rekall.config import Config
    from rekall.service import Rekall

    service = Rekall(Config(), db_file=home / "rekall.db", long_lived=True)
    service.search(QUERIES[0])
    timings = []
    for n in range(passes):
        for query in QUERIES:
            started = time.perf_counter()
            service.search(f"{query} {n}")
            timings.append((time.perf_counter() - started) * 1000)
    service.close()
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000, help="entries in the base")
    parser.add_argument("--passes", type=int, default=4, help="passes over the queries")
    args = parser.parse_args()
    print(f"$ {command_line()}")
    base = generated_base(args.count)
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch) / "home"
        shutil.copytree(base, home)  # the server writes (access counts, index snapshot)
        f = measure(home, args.passes)
        f["facade_search_ms"] = facade_search_ms(home, args.passes)
    n = f"{args.count:,}"
    print(f"server start to tool list (spawn, imports, handshake): {f['startup_ms']:.0f} ms")
    print(f"first search on {n} (loads model and index): {f['first_search_ms']:.0f} ms")
    print(
        f"warm hybrid search tool call on {n}, stdio round trip: median "
        f"{f['warm_search_ms']:.1f} ms, p90 {f['warm_search_p90_ms']:.1f} ms "
        f"({args.passes * len(QUERIES)} new queries; aim <= 20 ms)"
    )
    print(
        f"the same searches through the facade in-process, no MCP: "
        f"{f['facade_search_ms']:.1f} ms median"
    )
    print(f"same query again (query vector cached): {f['repeat_search_ms']:.1f} ms")
    print(f"keyword search tool call: {f['keyword_search_ms']:.1f} ms")
    print(f"get_entry tool call: {f['get_entry_ms']:.1f} ms")
    print(
        f"server RSS: idle before first use {f['rss_idle_mb']:.0f} MB (aim <= 50), "
        f"model loaded {f['rss_loaded_mb']:.0f} MB (the user's peak: < 200), "
        f"after idle unload {f['rss_unloaded_mb']:.0f} MB (aim <= 60; "
        f"unloaded {f['unload_after_s']:.1f} s after last use, timeout "
        f"{float(IDLE_TIMEOUT_MINUTES) * 60:.0f} s)"
    )


if __name__ == "__main__":
    main()
