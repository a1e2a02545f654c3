"""The model loads on first semantic use, never for keyword work, and unloads when idle."""

from __future__ import annotations

import gc
import threading
import time

import psutil
import pytest

from rekall.config import Config
from rekall.search.model_manager import LOADING_MESSAGE, ModelManager
from rekall.service import Rekall

pytestmark = pytest.mark.model


def test_keyword_work_never_loads_the_model(service: Rekall) -> None:
    service.search("anything", mode="keyword")
    service.list_entries()
    assert service.stats()["model_loaded"] is False


def test_idle_unload_releases_memory() -> None:
    told: list[str] = []
    service = Rekall(Config(model_idle_timeout_minutes=0.05), long_lived=True, notify=told.append)
    try:
        service.add("til", "Postgres deadlock detected", "Two transactions lock rows")
        service.search("anything", mode="semantic")  # loads the index; the snapshot follows
        service.add("til", "nohup survives logout", "SIGHUP")  # the snapshot is now behind
        gc.collect()
        loaded_rss = psutil.Process().memory_info().rss
        assert service.stats()["model_loaded"] is True
        assert LOADING_MESSAGE in told
        deadline = time.monotonic() + 20
        while service.stats()["model_loaded"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert service.stats()["model_loaded"] is False
        assert service.stats()["model_unloads"] >= 1
        assert service.stats()["index_vectors"] is None  # the index is released too
        released = (loaded_rss - psutil.Process().memory_info().rss) / 1e6
        assert released > 30, f"only {released:.1f} MB released"
        response = service.search("job dies when the terminal closes", mode="semantic")
        assert response.results[0].entry.title == "nohup survives logout"
        assert service.stats()["index_loaded_from"] == "snapshot"
    finally:
        service.close()


class SlowEmbedder:
    model_id = "slow"
    dimensions = 1

    def __init__(self) -> None:
        time.sleep(0.2)

    def embed(self, texts):  # type: ignore[no-untyped-def]
        raise NotImplementedError


def test_one_load_at_a_time_across_threads() -> None:
    loads: list[int] = []

    def loader() -> SlowEmbedder:
        loads.append(1)
        return SlowEmbedder()

    messages: list[str] = []
    manager = ModelManager(loader, on_loading=messages.append)
    got = []
    threads = [threading.Thread(target=lambda: got.append(manager.get())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(loads) == 1
    assert len({id(embedder) for embedder in got}) == 1
    assert messages and all(m == LOADING_MESSAGE for m in messages)


def test_unload_if_idle_respects_the_timeout() -> None:
    manager = ModelManager(SlowEmbedder, idle_timeout_seconds=60)
    manager.get()
    assert manager.unload_if_idle(now=time.monotonic() + 30) is False
    assert manager.unload_if_idle(now=time.monotonic() + 61) is True
    assert manager.loaded is False
