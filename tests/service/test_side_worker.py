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


def test_work_the_caller_claims_back_is_skipped_by_the_worker() -> None:
    worker = SideWorker()
    gate, ran = threading.Event(), []
    try:
        worker.submit(lambda: gate.wait(60))  # the worker is busy
        pending = worker.submit(lambda: ran.append(where()))
        assert pending.claim()  # not started: the caller takes it
        gate.set()
        assert worker.submit(lambda: "after").result() == "after"
        assert ran == []  # the worker skipped it
        started = worker.submit(lambda: ran.append(where()))
        started.result()
        assert not started.claim()  # already run by the worker
        assert ran == [THREAD_NAME]
    finally:
        gate.set()
        worker.close()
