"""The long-lived probe behind bench_search's warm figures opens the service it is asked for."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_the_probe_opens_a_service_on_the_chosen_vector_backend() -> None:
    # It broke silently when Config stopped being a dataclass: every warm figure failed.
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location("probe", BENCHMARKS / "probe_long_lived.py")
        assert spec is not None and spec.loader is not None
        probe = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(probe)
    finally:
        sys.path.remove(str(BENCHMARKS))
    service = probe.open_service("sqlite-vec")
    try:
        assert service.config.vector_index_backend == "sqlite-vec"
        assert service.config.cache_max_size > 0  # the other settings kept
    finally:
        service.close()
