"""Server time of hybrid search's statements: this code against an older tree.

Each side's statements are captured by running its own code (warm queries, in a process of
its own), then EXPLAIN ANALYZE runs them alternated, each on its base with its session's
settings, so load hits both alike. Steadier than a whole search's wall time on a busy
machine, and it isolates the database's share.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from common import WARM_QUERIES

# What the pool of each side sets on its connections (storage/postgres/database.py).
SETTINGS = {
    "this": [
        "SET hnsw.ef_search = 200",
        "SET hnsw.iterative_scan = relaxed_order",
        "SET random_page_cost = 1.1",
    ],
    "before": ["SET hnsw.ef_search = 100", "SET hnsw.iterative_scan = strict_order"],
}
CAPTURE = """
import json, sys
from rekall.config import Config
from rekall.service import Rekall
from rekall.storage.postgres import search_repo
captured = []
class Recorder:
    def __init__(self, conn):
        self.conn = conn
    def __getattr__(self, name):
        return getattr(self.conn, name)
    def execute(self, sql, params=None):
        kept = [kept_param(p) for p in params or []]
        captured.append((sql, kept))
        return self.conn.execute(sql, params)
def kept_param(p):
    if isinstance(p, (int, float, str)):
        return p
    # A vector sent in binary form is replayed as its text: the same bits.
    return p.text() if hasattr(p, "text") else list(p)
def recording(function):
    def recorded(conn, *args):
        return function(Recorder(conn), *args)
    return recorded
# One statement for both sides before the keyword side went beside the embedding; the
# nearest vectors and the keyword candidates apart since.
for name in ("weighed_candidates", "keyword_candidates", "nearest"):
    if hasattr(search_repo, name):
        setattr(search_repo, name, recording(getattr(search_repo, name)))
rekall = Rekall(Config(database_url=sys.argv[1]), long_lived=True)
statements = []
for query in json.loads(sys.argv[2]):
    captured.clear()
    rekall.search(query, mode="hybrid")
    statements.append(list(captured))
rekall.close()
print(json.dumps(statements))
"""


def captured(url: str, source: Path) -> list[Any]:
    """The statements of each warm query's candidates, as the code in source sends them."""
    env = {**os.environ, "PYTHONPATH": str(source), "HF_HUB_OFFLINE": "1"}
    args = [sys.executable, "-c", CAPTURE, url, json.dumps(WARM_QUERIES)]
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    statements: list[Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return statements


def server_ms(conn: Any, statements: list[tuple[str, list[Any]]]) -> float:
    """The statements' summed execution time on the server, in ms."""
    total = 0.0
    for sql, params in statements:
        plan = conn.execute("EXPLAIN (ANALYZE, TIMING OFF) " + sql, params).fetchall()
        found = re.search(r"Execution Time: ([\d.]+)", plan[-1][0])
        assert found is not None
        total += float(found.group(1))
    return total


def statement_times(
    sides: dict[str, tuple[str, Path]], rounds: int = 2, same_settings: bool = False
) -> dict[str, float]:
    """Median server ms per side ("this", "before", others: (url, source)), alternated, after
    one warm-up round. same_settings: the older code sets what this code sets."""
    import psycopg

    statements = {name: captured(url, source) for name, (url, source) in sides.items()}
    times: dict[str, list[float]] = {name: [] for name in sides}
    conns = {name: psycopg.connect(url, autocommit=True) for name, (url, _) in sides.items()}
    try:
        for name, conn in conns.items():
            # Sides other than "before" run this code (another server).
            older = name == "before" and not same_settings
            for setting in SETTINGS["before" if older else "this"]:
                conn.execute(setting)
        for round_ in range(rounds + 1):
            for index in range(len(WARM_QUERIES)):
                # Each side first every other query: on the same base, the side second read
                # the rows the first had just brought into the server's buffers.
                order = list(conns.items())[:: 1 if (index + round_) % 2 else -1]
                for name, conn in order:
                    elapsed = server_ms(conn, statements[name][index])
                    if round_:
                        times[name].append(elapsed)
    finally:
        for conn in conns.values():
            conn.close()
    return {name: statistics.median(found) for name, found in times.items()}
