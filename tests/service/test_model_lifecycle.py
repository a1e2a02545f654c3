"""The model loads on first semantic use, never for keyword work, and unloads when idle."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest

from rekall.config import Config
from rekall.core.errors import ModelError
from rekall.search.model_manager import LOADING_MESSAGE, ModelManager
from rekall.service import Rekall


@pytest.mark.model
def test_keyword_work_never_loads_the_model(service: Rekall) -> None:
    service.search("anything", mode="keyword")
    service.list_entries()
    assert service.stats()["model_loaded"] is False


@pytest.mark.model
def test_idle_unload_releases_memory() -> None:
    told: list[str] = []
    service = Rekall(Config(model_idle_timeout_minutes=0.05), long_lived=True, notify=told.append)
    try:
        # Borrowed during the set-up, however slow a busy machine makes it: no unload yet.
        with service.semantic.models.borrow():
            service.add("til", "Postgres deadlock detected", "Two transactions lock rows")
            service.search("anything", mode="semantic")  # loads the index; a snapshot follows
            service.add("til", "nohup survives logout", "SIGHUP")  # the snapshot is now behind
            gc.collect()
            loaded_rss = psutil.Process().memory_info().rss
            assert service.stats()["model_loaded"] is True
        assert LOADING_MESSAGE in told
        # Generous: on a loaded machine the watch thread may wait long for a core.
        deadline = time.monotonic() + 120
        while service.stats()["model_loaded"] and time.monotonic() < deadline:
            time.sleep(0.1)
        stats = service.stats()
        assert stats["model_loaded"] is False
        assert stats["model_unloads"] >= 1
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


class BlockingEmbedder:
    """Embeds only when released; refuses after close(), as the real embedder does."""

    model_id = "blocking"
    dimensions = 2

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.closed = False

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.started.set()
        assert self.release.wait(60)
        if self.closed:
            raise ModelError("the embedding model was unloaded")
        return np.ones((len(texts), 2), dtype=np.float32)

    def close(self) -> None:
        self.closed = True


def test_an_idle_unload_waits_for_a_query_in_progress(service: Rekall) -> None:
    embedder = BlockingEmbedder()
    engine = service.semantic
    engine.models = ModelManager(lambda: embedder, idle_timeout_seconds=1)
    outcome: list[object] = []

    def query() -> None:
        try:
            outcome.append(engine.embed_query("a query in progress"))
        except ModelError as error:
            outcome.append(error)

    thread = threading.Thread(target=query)
    thread.start()
    try:
        assert embedder.started.wait(60)
        # Long idle by the clock, but borrowed: the unload must not pull the model away.
        assert engine.models.unload_if_idle(now=time.monotonic() + 3600) is False
    finally:
        embedder.release.set()
        thread.join(60)
    assert isinstance(outcome[0], np.ndarray), outcome
    assert engine.models.loaded and not embedder.closed
    assert engine.models.unload_if_idle(now=time.monotonic() + 3600) is True
    assert embedder.closed


def test_a_failing_idle_release_is_reported_and_the_watch_goes_on() -> None:
    failures = iter([OSError("disk full while saving the snapshot")])
    errors: list[str] = []

    def on_idle() -> None:
        error = next(failures, None)
        if error is not None:
            raise error

    manager = ModelManager(
        SlowEmbedder, idle_timeout_seconds=0.05, on_idle=on_idle, on_error=errors.append
    )
    manager.get()
    manager.start_idle_watch(interval_seconds=0.02)
    try:
        deadline = time.monotonic() + 120
        while manager.loaded and time.monotonic() < deadline:
            time.sleep(0.02)
        assert manager.loaded is False, "the watch stopped after the first failure"
        assert manager.watching
        assert errors == [
            "Releasing the idle embedding model failed: disk full while saving the snapshot"
        ]
        assert manager.status().idle_errors == 1
    finally:
        manager.stop()


def count_folder_checks(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Each full check of a model folder (verify_model_dir) appends to the returned list."""
    from rekall.search import model_files

    checks: list[object] = []
    check = model_files._check_json_object_ends

    def counted(file: object) -> None:
        checks.append(file)
        check(file)  # type: ignore[arg-type]

    monkeypatch.setattr(model_files, "_check_json_object_ends", counted)
    return checks


def counted_in_a_new_process(service: Rekall, count: Callable[[], list[object]]) -> list[object]:
    """What count() counts while a CLI process that has not looked for the model yet loads
    it for a search, after an add (which loads the model, as a CLI add does)."""
    service.add("til", "nohup survives logout", "SIGHUP")
    service.semantic.models.unload()
    counted = count()
    service.semantic.location = None  # as a new process starts
    response = service.search("job dies when the terminal closes", mode="hybrid")
    assert response.results[0].entry.title == "nohup survives logout"
    return counted


@pytest.mark.model
def test_a_cli_process_checks_the_model_folder_once(
    service: Rekall, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = counted_in_a_new_process(service, lambda: count_folder_checks(monkeypatch))
    assert len(checks) == 1


def count_header_reads(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Each parse of a safetensors header appends its file to the returned list."""
    from rekall.search import model_files

    reads: list[object] = []
    describe = model_files._tensor_info

    def counted(file: Path, name: str, *rest: Any) -> model_files.TensorInfo:
        if name == "embeddings.word_embeddings.weight":  # once per header
            reads.append(file)
        return describe(file, name, *rest)

    monkeypatch.setattr(model_files, "_tensor_info", counted)
    return reads


@pytest.mark.model
def test_a_cli_load_reads_the_weights_header_once(
    service: Rekall, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = counted_in_a_new_process(service, lambda: count_header_reads(monkeypatch))
    assert len(reads) == 1  # the folder check's read serves the mapping too


@pytest.mark.model
def test_a_long_lived_process_looks_for_the_model_again_at_each_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = Rekall(long_lived=True)
    try:
        service.add("til", "nohup survives logout", "SIGHUP")
        service.semantic.models.unload()
        checks = count_folder_checks(monkeypatch)
        service.search("job dies when the terminal closes", mode="semantic")
        assert len(checks) == 1  # found again, though the first load had found it
        service.semantic.models.unload()
        service.search("terminal closes", mode="semantic")
        assert len(checks) == 2
    finally:
        service.close()
