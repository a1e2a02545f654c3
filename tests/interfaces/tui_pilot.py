"""What the terminal UI tests share: a seeded base, apps that close their facade, and waits
on the app's state (never on how long something should take)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from textual.css.query import NoMatches
from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea

from rekall.interfaces.tui.app import RekallApp
from rekall.interfaces.tui.detail import DetailScreen
from rekall.service import Rekall

SIZE = (80, 24)
# Generous: a loaded 2-core machine can take seconds for what takes milliseconds alone.
DEADLINE = 30.0
SEED = (
    ("bug", "CORS fails on Safari", "cors,safari", "webapp", "Safari drops cross-site cookies."),
    ("til", "nohup keeps a job alive after logout", "shell,linux", None, "SIGHUP kills jobs."),
    ("pitfall", "useEffect runs twice in StrictMode", "react", "webapp", "React 18 remounts."),
    (
        "config",
        "Postgres max_connections too low",
        "postgres",
        "api",
        "# Fix\n\nRaise `max_connections` or put **pgbouncer** in front.",
    ),
    ("snippet", "Retry with exponential backoff", "python,retry", "api", "sleep(2 ** attempt)"),
    (
        "bug",
        "ENOSPC: file watchers limit reached",
        "linux,node",
        "webapp",
        "Raise max_user_watches.",
    ),
)
NEWEST_FIRST = [row[1] for row in reversed(SEED)]


class StepClock:
    """Timestamps one hour apart, so the list order is known."""

    def __init__(self) -> None:
        self.hours = 0

    def __call__(self) -> str:
        self.hours += 1
        return f"2025-01-{1 + self.hours // 24:02d}T{self.hours % 24:02d}:00:00.000000+00:00"


def seed_base() -> dict[str, str]:
    """Write the six SEED entries and two links; returns title -> id."""
    service = Rekall(clock=StepClock())
    try:
        ids = {
            title: service.add(kind, title, content, (tags,), project).id
            for kind, title, tags, project, content in SEED
        }
        service.link(ids["CORS fails on Safari"], ids["useEffect runs twice in StrictMode"])
        service.link(
            ids["Retry with exponential backoff"],
            ids["Postgres max_connections too low"],
            "derived_from",
        )
    finally:
        service.close()
    return ids


class GatedRekall(Rekall):
    """The real facade, except that chosen searches wait for the test to open a gate
    (a slow search) or fail (a storage error), decided by hold() and fail()."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = threading.Event()
        self.held_started = threading.Event()
        self.held_done = threading.Event()
        self.hold: Callable[[str, str | None], bool] = lambda query, mode: False
        self.fail: Callable[[str], bool] = lambda query: False

    def open_gates(self) -> None:
        """Let every held search finish (before the facade closes)."""
        self.gate.set()

    def search(self, query: str, mode: str | None = None, *args: Any, **kwargs: Any) -> Any:
        from rekall.core.errors import StorageError

        if self.fail(query):
            raise StorageError("database disk image is malformed")
        if not self.hold(query, mode):
            return super().search(query, mode, *args, **kwargs)
        self.held_started.set()
        assert self.gate.wait(DEADLINE), "the test never opened the gate"
        try:
            return super().search(query, mode, *args, **kwargs)
        finally:
            self.held_done.set()


# Builds an app: mode, and the facade class (called with long_lived and notify).
AppFactory = Callable[..., RekallApp]


class Apps:
    """Builds apps on this test's base and closes each one's facade at the end."""

    def __init__(self) -> None:
        self.made: list[RekallApp] = []

    def __call__(
        self, mode: str = "keyword", service_class: Callable[..., Rekall] = GatedRekall
    ) -> RekallApp:
        app = RekallApp(lambda notify: service_class(long_lived=True, notify=notify), mode=mode)
        self.made.append(app)
        return app

    def close_all(self) -> None:
        for app in self.made:
            if isinstance(app.service, GatedRekall):
                app.service.open_gates()  # a held search must end before its facade closes
            app.close_service()


def build_apps() -> Iterator[Apps]:
    """The body of the tui_apps fixture (tests/interfaces/conftest.py)."""
    apps = Apps()
    try:
        yield apps
    finally:
        apps.close_all()


def holding(app: RekallApp, query: str) -> GatedRekall:
    """app's facade, made to hold every search of query until the test opens its gate."""
    service = app.service
    assert isinstance(service, GatedRekall)
    service.hold = lambda text, mode: text == query
    return service


async def until(pilot: Pilot[Any], check: Callable[[], bool], timeout: float = DEADLINE) -> None:
    """Let the app run until check() holds; fail after timeout seconds.

    A widget check() looks for that is not mounted yet counts as "not yet"."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
            missing = None
        except NoMatches as exc:
            missing = exc
        assert time.monotonic() < deadline, f"timed out waiting for the app {missing or ''}"
        await pilot.pause(0.02)


def titles(app: RekallApp) -> list[str]:
    return [entry.title for entry in app.main_screen.table.entries]


def status(app: RekallApp) -> str:
    return str(app.main_screen.query_one("#status", Static).render())


def settled(app: RekallApp) -> bool:
    """The main screen shows the outcome of the query as typed (or the listing)."""
    return not app.main_screen.searching


def showing(app: RekallApp, entry_id: str) -> bool:
    """The detail screen is up, with entry_id loaded."""
    screen = app.screen
    return (
        isinstance(screen, DetailScreen)
        and screen.entry is not None
        and screen.entry.id == entry_id
    )


def opened(app: RekallApp) -> str | None:
    """The title of the entry the app shows in full, if any."""
    screen = app.screen
    if isinstance(screen, DetailScreen) and screen.entry is not None:
        return screen.entry.title
    return None


def record_notices(app: RekallApp) -> list[str]:
    """Every notification text the app shows from now on."""
    seen: list[str] = []
    original = app.notify

    def notify(message: str, *args: Any, **kwargs: Any) -> None:
        seen.append(str(message))
        original(message, *args, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    return seen


async def type_query(pilot: Pilot[Any], app: RekallApp, text: str) -> None:
    """Replace the search box's text in one change (one search)."""
    app.main_screen.query_one("#search", Input).value = text
    await pilot.pause()


def steady_cursors(app: RekallApp) -> None:
    """Stop every text cursor blinking, shown: a screenshot then does not depend on whether
    it was taken in the first or the second half-second of a blink."""
    for screen in app.screen_stack:
        for box in [*screen.query(Input), *screen.query(TextArea)]:
            box.cursor_blink = False
