"""Shared benchmark plumbing: timed subprocess runs with their peak RSS, bases, medians."""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / ".bench"
REKALL = str(Path(sys.executable).parent / "rekall")
# Queries for warm-search figures: questions and identifiers a developer types.
WARM_QUERIES = [
    "browser blocks cross-origin request",
    "container keeps restarting",
    "ENOSPC",
    "how to keep a job running after logout",
    "deadlock between two transactions",
    "retry with exponential backoff",
    "useEffect dependency array",
    "disk full on server",
    "slow query missing index",
    "TLS certificate expired",
    "git rebase conflict",
    "memory leak in node",
    "docker build cache",
    "CORS preflight",
    "timeout connecting",
]


def bench_env(home: Path, **extra: str) -> dict[str, str]:
    """Environment for a rekall process on the base in home (offline, default config)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REKALL_")}
    env.update(
        REKALL_HOME=str(home),
        REKALL_CONFIG=str(home / "config.toml"),
        REKALL_CACHE_DIR=str(home / "cache"),
        HF_HUB_OFFLINE="1",
        NO_COLOR="1",
        # What the `rekall` console script sets before numpy loads (interfaces/cli/entry.py):
        # the import floor and Python probes run numpy as Rekall does, not with a thread pool
        # that makes numpy's import ~20% slower and spins a second core during a query.
        OPENBLAS_NUM_THREADS="1",
    )
    env.update(extra)
    return env


# The cost no Rekall change can remove from a cold semantic search: the interpreter and the
# two native libraries it needs. Cold figures are reported beside it, measured in the same run.
IMPORT_FLOOR = [sys.executable, "-c", "import numpy, tokenizers"]


def run_timed(args: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Run a command; return (wall ms, CPU ms, peak RSS MB) of that one child process.

    CPU time (user + system) barely moves when other processes load the machine; wall
    time does, so ratios are quoted on both.
    """
    started = time.perf_counter()
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = (time.perf_counter() - started) * 1000
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {process.stderr.read().decode()}")
    rss_kb = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024
    return wall, (usage.ru_utime + usage.ru_stime) * 1000, rss_kb / 1024


def run_measured(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run a command; return (wall ms, peak RSS MB) of that one child process."""
    wall, _, rss = run_timed(args, env)
    return wall, rss


def median_run(args: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    """Median wall ms and median peak RSS MB over runs (after one warm-up for the OS cache)."""
    run_measured(args, env)
    results = [run_measured(args, env) for _ in range(runs)]
    return (statistics.median(r[0] for r in results), statistics.median(r[1] for r in results))


def staging_for(home: Path) -> Path:
    """An empty folder beside home to build it in: a run stopped half-way must not leave a
    base (or tree) that the next run takes for finished. publish() renames it to home."""
    staging = home.with_name(f"{home.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    return staging


def publish(staging: Path, home: Path) -> Path:
    """staging, built whole, as home (whatever an older stopped run left there goes)."""
    shutil.rmtree(home, ignore_errors=True)
    staging.rename(home)
    return home


def generated_base(count: int, seed: int = 42) -> Path:
    """A data dir holding a generated, embedded base of count entries (made once, cached).

    Smaller bases are cut from a bigger cached one with the same seed, so embedding 50K
    entries once serves the 1K and 10K figures too.
    """
    home = BENCH_DIR / f"base-{count}-{seed}"
    if (home / "rekall.db").exists():
        return home
    bigger = sorted(
        p
        for p in BENCH_DIR.glob(f"base-*-{seed}")
        if (p / "rekall.db").exists() and int(p.name.split("-")[1]) > count
    )
    staging = staging_for(home)
    if bigger:
        _cut_base(bigger[0], staging, count)
    else:
        print(f"  generating a {count:,}-entry base in {home} (once)...", file=sys.stderr)
        command = [REKALL, "test", "generate", "--count", str(count), "--seed", str(seed)]
        subprocess.run([*command, "--into-current"], env=bench_env(staging), check=True)
    return publish(staging, home)


def extended_base(count: int, real: int = 10_000, seed: int = 42) -> Path:
    """A base of count entries: the real embedded base of `real` entries, plus generated
    entries whose vectors are copies of real vectors (made once, cached).

    Embedding 50K realistic entries takes about half an hour on 2 cores; exact search and
    its memory do not depend on the values in the vectors, so latency and RSS figures on
    this base hold for a fully embedded one. Quality figures never use it.
    """
    if count <= real:
        return generated_base(count, seed)
    home = BENCH_DIR / f"extended-{count}-{seed}"
    if (home / "rekall.db").exists():
        return home
    source = generated_base(real, seed)
    staging = staging_for(home)
    with sqlite3.connect(source / "rekall.db") as conn:
        conn.execute("VACUUM INTO ?", (str(staging / "rekall.db"),))
    _append_with_copied_vectors(staging / "rekall.db", count - real, seed + 1)
    return publish(staging, home)


def _append_with_copied_vectors(db_file: Path, extra: int, seed: int) -> None:
    from rekall.core.ids import new_id
    from rekall.storage import embeddings_repo, entries_repo
    from rekall.storage.database import open_database
    from rekall.testdata import generate_entries

    db = open_database(db_file)
    with db.read() as conn:
        donors = [
            (row[0], row[1], row[2])
            for row in conn.execute(
                "SELECT model_id, content_hash, vector FROM embeddings ORDER BY entry_seq"
            )
        ]
    with db.write() as (conn, generation):
        for index, entry in enumerate(generate_entries(extra, seed)):
            seq = entries_repo.insert_entry(conn, new_id(), entry, "2026-01-01T00:00:00+00:00")
            model_id, _, vector = donors[index % len(donors)]
            embeddings_repo.upsert_vectors(
                conn, [(seq, model_id, 384, "copied-for-benchmark", vector)], generation
            )
    db.close()


def _cut_base(source: Path, home: Path, count: int) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    target = home / "rekall.db"
    with sqlite3.connect(source / "rekall.db") as conn:
        conn.execute("VACUUM INTO ?", (str(target),))
    with sqlite3.connect(target) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("DELETE FROM entries WHERE seq > ?", (count,))
        conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
        conn.execute("UPDATE meta SET value = abs(random()) WHERE key = 'uid'")
    with sqlite3.connect(target) as conn:
        conn.execute("VACUUM")
    shutil.rmtree(home / "index", ignore_errors=True)
    return home


def base_with_pieces(source: Path) -> Path:
    """A copy of a base whose long entries' body pieces are embedded (made once per piece
    rule by this tree's `rekall index rebuild`): bases generated before pieces have none,
    and a search on them would not pay for the extra rows."""
    from rekall.core.pieces import LONG_CHARS, MAX_PIECES, PIECE_CHARS

    home = BENCH_DIR / f"{source.name}-pieces-{PIECE_CHARS}-{LONG_CHARS}-{MAX_PIECES}"
    if (home / "rekall.db").exists():
        return home
    staging = copy_base(source, f"{home.name}.partial")
    print(f"  embedding the body pieces of {source.name} (once)...", file=sys.stderr)
    subprocess.run([REKALL, "index", "rebuild"], env=bench_env(staging), check=True)
    return publish(staging, home)


def count_pieces(home: Path) -> tuple[int, int]:
    """(entries with body pieces, pieces) in a base."""
    conn = sqlite3.connect(f"file:{home / 'rekall.db'}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT count(DISTINCT entry_seq), count(*) FROM embedding_pieces"
        ).fetchone()
    finally:
        conn.close()
    return int(row[0]), int(row[1])


def copy_base(source: Path, name: str) -> Path:
    """A scratch copy of a base, for benchmarks that write."""
    target = BENCH_DIR / name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    return target


def source_tree(commit: str) -> Path:
    """src/ of a commit, unpacked once under .bench, to run an older Rekall beside this one
    (PYTHONPATH chooses the tree; the console script and the venv are shared)."""
    tree = BENCH_DIR / f"src-{commit}"
    if not tree.exists():
        staging = staging_for(tree)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", commit, "src"], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(staging)], input=archive, check=True)
        publish(staging, tree)
        # Compiled where it stays: the .pyc files record their source's path.
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "src")], check=True)
    return tree / "src"


def command_line() -> str:
    """How this benchmark was started, to print beside its figures."""
    script = Path(sys.argv[0]).resolve().relative_to(ROOT)
    # Quoted as a shell would need it, so the printed line can be pasted back as it is.
    return shlex.join(["python", str(script), *sys.argv[1:]])


def require_onnx(script: str) -> None:
    """Exit saying how to install the onnx extra when it is missing; script: the file's path."""
    from rekall.search import onnx_engine

    if not onnx_engine.available():
        raise SystemExit(f"{Path(script).name} needs the onnx extra: pip install 'rekall[onnx]'")
