"""The worker thread of the keyword side: where work runs, errors, stopping."""

from __future__ import annotations

import threading

import pytest

from rekall.service.side_worker import THREAD_NAME, SideWorker


def where() -> str:
    return threading.current_thread().name


def test_work_runs_on_its_thread_until_closed() -> None:
    worker = SideWorker()
    assert worker.submit(where).result() == THREAD_NAME
    worker.close()
    assert not worker.running
    assert worker.submit(where).result() == threading.current_thread().name


def test_an_error_is_raised_by_result_and_the_thread_goes_on() -> None:
    worker = SideWorker()
    try:

        def fail() -> None:
            raise ValueError("the keyword side failed")

        pending = worker.submit(fail)
        with pytest.raises(ValueError, match="keyword side failed"):
            pending.result()
        assert worker.submit(lambda: 42).result() == 42
    finally:
        worker.close()


def test_close_finishes_queued_work_first() -> None:
    worker = SideWorker()
    gate = threading.Event()
    first = worker.submit(lambda: gate.wait(60))
    second = worker.submit(lambda: "done")
    closer = threading.Thread(target=worker.close)
    closer.start()
    gate.set()
    closer.join(60)
    assert first.result() is True and second.result() == "done"
    assert not worker.running
