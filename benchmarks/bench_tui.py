"""Terminal UI figures: time to first paint, keystroke to results (warm), RSS while idle.

Each figure comes from a fresh process on a scratch copy of a benchmark base (made with the
SQLite backup API, outside .bench/, removed afterwards), so the cached bases are never written.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_env, command_line, extended_base  # noqa: E402

TYPED = ["browser blocks cross-origin request", "postgres deadlock", "keep a job after logout"]
WARM_UP = ["docker build cache", "tls certificate expired", "memory leak in node"]
IDLE_TIMEOUT_MINUTES = "0.05"  # 3 s, so the idle unload can be watched


# -- inside the measured process -------------------------------------------------------------
def rss_mb() -> float:
    import gc

    import psutil

    gc.collect()
    return float(psutil.Process().memory_info().rss / 1e6)


async def until(pilot: Any, check: Any, timeout: float = 60.0) -> None:
    """Poll with a bare sleep: Pilot.pause waits for idle and would delay what is timed."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("the app never got there")
        await asyncio.sleep(0.001)


def listed(app: Any, main_screen: type) -> bool:
    """True once the main screen is mounted and shows entries."""
    screen = app.screen
    return isinstance(screen, main_screen) and screen.is_mounted and bool(screen.table.entries)


async def painted(app: Any) -> float:
    """perf_counter just after the next screen refresh."""
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    app.call_after_refresh(lambda: done.set_result(time.perf_counter()))
    return await done


def child_first_paint(spawned_at: float) -> dict[str, float]:
    """Process start to the first page of the list on screen (headless, 80x24)."""
    started = time.perf_counter()
    from rekall.interfaces.tui.app import RekallApp
    from rekall.interfaces.tui.main_screen import MainScreen

    figures: dict[str, float] = {}

    async def pilot_run(pilot: Any) -> None:
        app = pilot.app
        await until(pilot, lambda: listed(app, MainScreen))
        end = await painted(app)
        figures["in_app_ms"] = (end - started) * 1000
        figures["process_ms"] = (time.time() - spawned_at) * 1000
        app.exit()

    app = RekallApp()
    app.run(headless=True, size=(80, 24), auto_pilot=pilot_run)
    app.close_service()
    return figures


async def search_painted(pilot: Any, char: str, typed: str) -> float:
    """Send one key as the terminal driver does (Pilot.press waits for the CPU to go idle,
    which would include the search itself); return ms from the keystroke to results painted."""
    from textual import events

    app = pilot.app
    screen = app.main_screen
    key = events.Key("space" if char == " " else char, char)
    key.set_sender(app)
    app._driver.send_message(key)
    await until(pilot, lambda: screen.last_shown and screen.last_shown.query == typed)
    request = screen.last_shown
    assert not request.provisional, "the model was not loaded: not a warm figure"
    return (await painted(app) - request.started) * 1000


async def clear_search(pilot: Any) -> None:
    screen = pilot.app.main_screen
    screen.query_one("#search").value = ""
    await until(pilot, lambda: screen.query_text == "")


async def type_and_idle(pilot: Any, figures: dict[str, Any]) -> None:
    """Warm the model up, type TYPED key by key, then wait for the idle unload."""
    from rekall.interfaces.tui.main_screen import MainScreen

    app = pilot.app
    await until(pilot, lambda: listed(app, MainScreen))
    figures["rss_list_open_mb"] = rss_mb()
    for query in WARM_UP:
        app.screen.query_one("#search").value = query
        await until(pilot, lambda: app.service.semantic.models.loaded)
        await pilot.pause(0.3)
    await clear_search(pilot)
    app.screen.query_one("#search").focus()
    latencies = []
    for query in TYPED:
        for end in range(1, len(query) + 1):
            latencies.append(await search_painted(pilot, query[end - 1], query[:end]))
            await asyncio.sleep(0.05)  # a fast typist: 20 keys a second
        await clear_search(pilot)
    figures["keystroke_ms"] = latencies
    figures["rss_model_loaded_mb"] = rss_mb()
    await until(pilot, lambda: not app.service.semantic.models.loaded, timeout=30)
    await pilot.pause(1.0)
    figures["rss_after_idle_unload_mb"] = rss_mb()
    app.exit()


def child_typing() -> dict[str, Any]:
    """Warm hybrid search: each keystroke of TYPED to its results painted; RSS along the way."""
    from rekall.interfaces.tui.app import RekallApp

    figures: dict[str, Any] = {}
    app = RekallApp(mode="hybrid")
    app.run(headless=True, size=(80, 24), auto_pilot=lambda pilot: type_and_idle(pilot, figures))
    app.close_service()
    return figures


# -- the driver ------------------------------------------------------------------------------
def scratch_copy(home: Path) -> Path:
    """A consistent private copy of a base (database and derived index) in a temp dir."""
    target = Path(tempfile.mkdtemp(prefix="rekall-bench-tui-"))
    with (
        sqlite3.connect(home / "rekall.db") as source,
        sqlite3.connect(target / "rekall.db") as copy,
    ):
        source.backup(copy)
    if (home / "index").is_dir():
        shutil.copytree(home / "index", target / "index")
    return target


def run_child(kind: str, home: Path, **extra: str) -> dict[str, Any]:
    env = bench_env(home, **extra)
    args = [sys.executable, __file__, "--child", kind, str(time.time())]
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError(f"{kind} failed:\n{result.stderr}")
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def tmux_first_paint(home: Path, runs: int) -> float | None:
    """Median ms from starting `rekall` in an 80x24 tmux window to the list on screen."""
    if shutil.which("tmux") is None:
        return None
    env = bench_env(home, TERM="xterm-256color")
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items() if k.startswith("REKALL"))
    rekall = shlex.quote(str(Path(sys.executable).parent / "rekall"))
    command = f"env {exports} HF_HUB_OFFLINE=1 {rekall}"
    times = []
    for _ in range(runs + 1):
        # A private tmux server per run, ended by its own socket name.
        tmux = ["tmux", "-L", f"rekall-bench-{uuid.uuid4().hex[:8]}"]
        socket = ""
        try:
            started = time.perf_counter()
            window = ["new-session", "-d", "-x", "80", "-y", "24", command]
            subprocess.run([*tmux, *window], check=True)
            while (
                "entries ·"
                not in subprocess.run(
                    [*tmux, "capture-pane", "-p"], capture_output=True, text=True, check=False
                ).stdout
            ):
                time.sleep(0.005)
            times.append((time.perf_counter() - started) * 1000)
            socket = subprocess.run(
                [*tmux, "display-message", "-p", "#{socket_path}"], capture_output=True, text=True
            ).stdout.strip()
        finally:
            subprocess.run([*tmux, "kill-server"], check=False, capture_output=True)
            if socket:
                Path(socket).unlink(missing_ok=True)
    return statistics.median(times[1:])


def report(count: int, runs: int, paint_only: bool = False) -> None:
    home = scratch_copy(extended_base(count))
    try:
        paints = [run_child("first-paint", home) for _ in range(runs + 1)][1:]
        process = statistics.median(p["process_ms"] for p in paints)
        in_app = statistics.median(p["in_app_ms"] for p in paints)
        print(
            f"[{count:>6,}] first paint, headless 80x24: {process:.0f} ms from process start "
            f"({in_app:.0f} ms from importing the app), median of {runs}"
        )
        real = tmux_first_paint(home, runs)
        if real is not None:
            print(f"[{count:>6,}] first paint in a real terminal (tmux): {real:.0f} ms")
        if paint_only:
            return
        typing = run_child("typing", home, REKALL_MODEL_IDLE_TIMEOUT_MINUTES=IDLE_TIMEOUT_MINUTES)
        keys = sorted(typing["keystroke_ms"])
        p90 = keys[int(len(keys) * 0.9)]
        print(
            f"[{count:>6,}] keystroke to results painted, warm hybrid: median "
            f"{statistics.median(keys):.0f} ms, p90 {p90:.0f} ms ({len(keys)} keystrokes)"
        )
        print(
            f"[{count:>6,}] RSS idle: list open {typing['rss_list_open_mb']:.0f} MB, "
            f"model loaded {typing['rss_model_loaded_mb']:.0f} MB, after idle unload "
            f"{typing['rss_after_idle_unload_mb']:.0f} MB"
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--paint-only", action="store_true", help="only the first-paint figures")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "SPAWNED_AT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, spawned_at = args.child
        figures: Any = (
            child_first_paint(float(spawned_at)) if kind == "first-paint" else child_typing()
        )
        print(json.dumps(figures))
        return
    import psutil

    print(command_line())
    load = psutil.getloadavg()[0]
    print(f"  ({os.cpu_count()} cores, load {load:.1f}; fresh processes on scratch copies)")
    for count in args.sizes:
        report(count, args.runs, args.paint_only)


if __name__ == "__main__":
    main()
