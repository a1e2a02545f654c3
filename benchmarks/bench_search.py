"""Semantic search figures: cold CLI search, warm search, memory, adding to a big base, backends."""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    IMPORT_FLOOR,
    REKALL,
    ROOT,
    WARM_QUERIES,
    base_with_pieces,
    bench_env,
    command_line,
    copy_base,
    count_pieces,
    extended_base,
    median_run,
    run_timed,
    source_tree,
)

QUERIES = [
    "browser blocks cross-origin request",
    "ENOSPC",
    "how do I keep a job running after logout",
    "postgres deadlock between transactions",
]
PROBE = Path(__file__).resolve().parent / "probe_long_lived.py"


def cold_search(home: Path, runs: int, backend: str = "auto") -> tuple[float, float]:
    """Median wall ms and max of median RSS over the queries, each a fresh process."""
    figures = cold_search_with_floor(home, runs, backend)
    return figures["wall"], figures["rss"]


def cold_search_with_floor(home: Path, runs: int, backend: str = "auto") -> dict[str, float]:
    """Medians of cold searches (wall, CPU, max RSS) and of the import floor, interleaved.

    Each round runs the floor once and every query once, so a burst of load from other
    processes hits both sides alike.
    """
    env = bench_env(home, REKALL_VECTOR_INDEX_BACKEND=backend)
    searches = [[REKALL, "search", query] for query in QUERIES]
    for args in [IMPORT_FLOOR, *searches]:  # warm the OS cache
        run_timed(args, env)
    floor, cold = [], []
    for _ in range(runs):
        floor.append(run_timed(IMPORT_FLOOR, env))
        cold.extend(run_timed(args, env) for args in searches)

    def median(rows: list[tuple[float, float, float]], column: int) -> float:
        return statistics.median(row[column] for row in rows)

    return {
        "wall": median(cold, 0),
        "cpu": median(cold, 1),
        "rss": max(row[2] for row in cold),
        "floor_wall": median(floor, 0),
        "floor_cpu": median(floor, 1),
    }


def long_lived(home: Path, backend: str) -> dict[str, float | str]:
    """Figures of a long-lived service process (see probe_long_lived.py), on a copy: it adds."""
    scratch = copy_base(home, f"scratch-probe-{home.name}")
    result = subprocess.run(
        [sys.executable, str(PROBE), backend],
        env=bench_env(scratch),
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float | str] = json.loads(result.stdout)
    return figures


def compared(home: Path, revision: str, runs: int) -> dict[str, dict[str, float]]:
    """Hybrid search by this tree and by revision's src/, each on its own copy of the base,
    in alternating rounds so that load from other processes hits both alike.

    Each round runs the import floor, every cold query through each tree's `rekall search`,
    and one long-lived process per tree timing warm searches (probe_long_lived.py
    --searches). Returns medians per side: cold wall ms, warm new and repeated query ms.
    """
    sides = {"this tree": ROOT / "src", revision: source_tree(revision)}
    # This tree searches its long entries' body pieces too; a revision from before them
    # never made them, so it gets the base without them.
    pieces = base_with_pieces(home)
    knows_pieces = (sides[revision] / "rekall" / "core" / "pieces.py").exists()
    homes = {"this tree": pieces, revision: pieces if knows_pieces else home}
    envs = {
        name: bench_env(copy_base(homes[name], f"compare-{index}-{home.name}"), PYTHONPATH=str(src))
        for index, (name, src) in enumerate(sides.items())
    }
    searches = [[REKALL, "search", query] for query in QUERIES]
    for env in envs.values():  # the OS cache, and each copy's derived files
        for args in searches:
            run_timed(args, env)
    timings: dict[str, dict[str, list[float]]] = {name: {} for name in [*sides, "floor"]}

    def cold(name: str, args: list[str], env: dict[str, str]) -> None:
        wall, cpu, _ = run_timed(args, env)
        timings[name].setdefault("cold", []).append(wall)
        timings[name].setdefault("cold_cpu", []).append(cpu)

    for round_ in range(runs):
        cold("floor", IMPORT_FLOOR, envs["this tree"])
        order = list(envs.items()) if round_ % 2 == 0 else list(envs.items())[::-1]
        for name, env in order:
            for args in searches:
                cold(name, args, env)
            warm = subprocess.run(
                [sys.executable, str(PROBE), "--searches"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            for kind, found in json.loads(warm.stdout).items():
                timings[name].setdefault(kind, []).extend(found)
    figures = {
        name: {kind: statistics.median(found) for kind, found in kinds.items()}
        for name, kinds in timings.items()
    }
    # The same query in the same round on each side: the median of the differences moves
    # less with the load than the difference of the medians.
    for kind in ("cold_cpu", "new_cpu"):
        pairs = zip(timings["this tree"][kind], timings[revision][kind], strict=True)
        figures["this tree"][f"{kind}_paired"] = statistics.median(
            now - then for now, then in pairs
        )
    return figures


def report_compared(count: int, revision: str, runs: int) -> None:
    figures = compared(extended_base(count), revision, runs)
    now, before = figures["this tree"], figures[revision]
    long, pieces = count_pieces(base_with_pieces(extended_base(count)))
    print(f"[{count:>6,}] hybrid search, this tree vs {revision}, {runs} alternating rounds:")
    print(f"[{count:>6,}]   this tree's base: {long:,} long entries with {pieces:,} body pieces")
    for kind, label in [
        ("cold", "cold `rekall search`"),
        ("new", "warm, new query"),
        ("repeated", "warm, repeated query"),
    ]:
        wall, cpu = kind, f"{kind}_cpu"
        print(
            f"[{count:>6,}]   {label}: wall {now[wall]:.1f} vs {before[wall]:.1f} ms "
            f"({now[wall] / before[wall]:.2f}x), CPU {now[cpu]:.1f} vs {before[cpu]:.1f} ms "
            f"({now[cpu] / before[cpu]:.2f}x)"
        )
    print(
        f"[{count:>6,}]   cold CPU, this tree minus {revision}, median of "
        f"{runs * len(QUERIES)} same-round pairs: {now['cold_cpu_paired']:+.1f} ms"
    )
    print(
        f"[{count:>6,}]   warm new-query CPU, this tree minus {revision}, median of "
        f"{runs * (len(WARM_QUERIES) - 1)} same-round pairs: {now['new_cpu_paired']:+.1f} ms"
    )
    floor = figures["floor"]
    print(
        f"[{count:>6,}]   `import numpy, tokenizers` floor {floor['cold']:.0f} ms "
        f"(CPU {floor['cold_cpu']:.0f} ms), wall/CPU over it: this tree "
        f"{now['cold'] / floor['cold']:.2f}x/{now['cold_cpu'] / floor['cold_cpu']:.2f}x, "
        f"{revision} {before['cold'] / floor['cold']:.2f}x/"
        f"{before['cold_cpu'] / floor['cold_cpu']:.2f}x"
    )


def cold_add(home: Path, runs: int) -> tuple[float, float]:
    """Median wall ms and RSS of `rekall add` (embedded, searchable) on a scratch copy."""
    scratch = copy_base(home, f"scratch-add-{home.name}")
    env = bench_env(scratch)
    args = [
        REKALL,
        "add",
        "til",
        "Pool size is cores times two",
        "-c",
        "Size the connection pool to the number of cores times two.",
        "-t",
        "bench",
    ]
    return median_run(args, env, runs)


def report(sizes: list[int], runs: int) -> None:
    for count in sizes:
        home = extended_base(count)
        f = cold_search_with_floor(home, runs)
        print(
            f"[{count:>6,}] cold `rekall search` (hybrid): {f['wall']:.0f} ms "
            f"(CPU {f['cpu']:.0f} ms), max RSS {f['rss']:.0f} MB; "
            f"`import numpy, tokenizers` floor {f['floor_wall']:.0f} ms "
            f"(CPU {f['floor_cpu']:.0f} ms): {f['wall'] / f['floor_wall']:.2f}x wall, "
            f"{f['cpu'] / f['floor_cpu']:.2f}x CPU"
        )
        if count < 10_000:
            continue
        for backend in ("numpy", "sqlite-vec"):
            figures = long_lived(home, backend)
            print(
                f"[{count:>6,}] long-lived, backend {figures['backend']}: "
                f"warm hybrid, new query {figures['warm_search_new_query_ms']:.1f} ms, "
                f"repeated query {figures['warm_search_repeat_ms']:.1f} ms, "
                f"semantic (cached vector) {figures['warm_semantic_cached_ms']:.1f} ms, "
                f"add {figures['warm_add_ms']:.0f} ms"
            )
            print(
                f"[{count:>6,}]   RSS: open {figures['rss_open_mb']:.0f} MB, model+index "
                f"loaded {figures['rss_loaded_mb']:.0f} MB, after idle unload "
                f"{figures['rss_model_unloaded_mb']:.0f} MB, peak {figures['peak_rss_mb']:.0f} MB"
            )
        wall, rss = cold_search(home, runs, "sqlite-vec")
        print(
            f"[{count:>6,}] cold `rekall search` with sqlite-vec: {wall:.0f} ms, "
            f"max RSS {rss:.0f} MB"
        )
        wall, rss = cold_add(home, runs)
        print(
            f"[{count:>6,}] cold `rekall add` (embedded, searchable): {wall:.0f} ms, "
            f"max RSS {rss:.0f} MB"
        )


def note_bases(sizes: list[int]) -> None:
    if any(size > 10_000 for size in sizes):
        print(
            "(bases above 10,000 entries: the 10,000 real embedded entries plus generated "
            "entries carrying copies of real vectors; see benchmarks/common.py)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,50000", help="comma-separated base sizes")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median)")
    parser.add_argument(
        "--against",
        metavar="REVISION",
        help="only compare hybrid search with this git revision's code, same run, same bases",
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    print(f"$ {command_line()}")
    # Cold figures read compiled modules, as an installed Rekall does.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True)
    note_bases(sizes)
    if args.against:
        for count in sizes:
            report_compared(count, args.against, args.runs)
        return
    report(sizes, args.runs)


if __name__ == "__main__":
    main()
