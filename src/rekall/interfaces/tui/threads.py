"""Running facade calls off the UI thread and handing their outcome back to it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, cast

from textual.app import App
from textual.message import Message
from textual.widget import Widget

from rekall.core.errors import RekallError

if TYPE_CHECKING:
    from rekall.interfaces.tui.entry_actions import EntryActionsApp

T = TypeVar("T")
WRITE_GROUP = "write"


class FacadeCalls:
    """Counts the facade calls running in worker threads, so that the facade is closed only
    once the last one has returned: a call still running after close() would use a closed
    database, or open the vector index again and leave its connection to the garbage
    collector. Calls that start after closing do not run at all.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._running = 0
        self._closing = False

    @contextmanager
    def running(self) -> Iterator[bool]:
        """Yields True while the facade may be used; False once it is closing (do nothing)."""
        with self._changed:
            if self._closing:
                allowed = False
            else:
                allowed = True
                self._running += 1
        try:
            yield allowed
        finally:
            if allowed:
                with self._changed:
                    self._running -= 1
                    self._changed.notify_all()

    def finish(self, timeout: float) -> bool:
        """Let no new call start, wait for the running ones; False if some still run."""
        with self._changed:
            self._closing = True
            return self._changed.wait_for(lambda: self._running == 0, timeout)


class EntriesChanged(Message):
    """Entries were written: screens showing them read them again."""

    def __init__(self, deleted: str | None = None) -> None:
        super().__init__()
        self.deleted = deleted


class MainThreadCall(Message):
    """A callback a worker thread wants run on the UI thread (the app runs it)."""

    def __init__(self, callback: Callable[[], None]) -> None:
        super().__init__()
        self.callback = callback


def after_typed_keys(widget: Widget, callback: Callable[[], None]) -> None:
    """Run callback on the UI thread once widget has taken in the keys already sent to it
    and the messages they caused (an Input's Changed) have reached its screen.

    A marker goes through the widget's queue twice: the first pass lands behind the keys,
    the second behind the messages those keys queued while they were handled.
    """

    def again() -> None:
        widget.post_message(MainThreadCall(callback))

    widget.post_message(MainThreadCall(again))


def report_error(app: App[Any], error: RekallError) -> None:
    """Show a facade error as a notification the user can act on."""
    app.notify(str(error), title="Error", severity="error", timeout=8)


def run_in_thread(
    app: App[Any],
    work: Callable[[], T],
    done: Callable[[T], None],
    failed: Callable[[RekallError], None] | None = None,
    group: str = WRITE_GROUP,
) -> None:
    """Run work in a thread; then done(result), or report the RekallError and call failed.

    Embedding a changed entry can load the model, so writes never block the screen. Posting
    a message (not call_from_thread) means a result arriving after exit is dropped quietly.
    """

    calls = cast("EntryActionsApp", app).calls

    def job() -> None:
        with calls.running() as allowed:
            if not allowed:
                return
            try:
                result = work()
            except Exception as exc:
                error = _reported(app, exc)
                if error is None:
                    raise  # no error of the facade's: a bug, which must show
                app.post_message(MainThreadCall(partial(_fail, app, error, failed)))
                return
        app.post_message(MainThreadCall(partial(done, result)))

    app.run_worker(job, thread=True, group=group, name=f"rekall-{group}")


def _reported(app: App[Any], exc: Exception) -> RekallError | None:
    """exc as the error to report: a write a rule of the base refused (a trigger or
    constraint added to it) named as the CLI and the MCP tools name it, a facade error as it
    is; None for anything else."""
    from rekall.core.errors import StorageError
    from rekall.service.refusal_messages import unnamed_refusal

    told = unnamed_refusal(exc, cast("EntryActionsApp", app).service.db.location)
    if told is not None:
        return StorageError(told)
    return exc if isinstance(exc, RekallError) else None


def _fail(app: App[Any], error: RekallError, failed: Callable[[RekallError], None] | None) -> None:
    report_error(app, error)
    if failed is not None:
        failed(error)
