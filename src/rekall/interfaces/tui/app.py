"""The Rekall terminal app: opens the facade, relays its notices, and hosts the screens."""

from __future__ import annotations

from collections.abc import Callable

from textual.binding import Binding
from textual.message import Message
from textual.notifications import SeverityLevel

from rekall.interfaces.tui.entry_actions import EntryActionsApp
from rekall.interfaces.tui.main_screen import MainScreen
from rekall.interfaces.tui.styles import STYLESHEET
from rekall.interfaces.tui.threads import EntriesChanged, FacadeCalls, MainThreadCall
from rekall.service import Rekall

Notify = Callable[[str], None]
# Builds the facade given where its notices go (tests wrap it to slow searches down).
ServiceFactory = Callable[[Notify], Rekall]
# How long closing waits for facade calls still running in threads (a search, a save).
CLOSE_WAIT_SECONDS = 60.0


def open_service(notify: Notify) -> Rekall:
    """The facade for a long-lived process: the model unloads after idling."""
    return Rekall(long_lived=True, notify=notify)


class ServiceNotice(Message):
    """A notice from the facade, such as "Loading embedding model…"."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class RekallApp(EntryActionsApp):
    """Browse, search and edit a Rekall knowledge base in the terminal.

    The facade opens in the constructor, so a database that cannot be opened is reported
    before the screen is taken over. The caller closes it (close_service) after run().
    """

    CSS = STYLESHEET
    TITLE = "Rekall"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [Binding("f1", "help", "Help", show=False)]

    def __init__(
        self, make_service: ServiceFactory = open_service, mode: str | None = None
    ) -> None:
        super().__init__()
        self._early_notices: list[str] = []
        self.calls = FacadeCalls()
        self.service = make_service(self.relay_notice)
        self.start_mode = mode or self.service.config.default_mode

    def get_default_screen(self) -> MainScreen:
        """The list and search screen is the app's base screen: nothing paints before it."""
        return MainScreen(self.start_mode)

    def on_mount(self) -> None:
        for text in self._early_notices:
            self.notify(text, timeout=8)
        # On a shared server, show what colleagues write as they write it.
        self.service.watch(self._written_elsewhere)

    def _written_elsewhere(self, generation: int) -> None:
        """From the listening thread: every open screen reads its entries again, on the UI
        thread (the list, and an entry's detail a colleague may have changed or deleted)."""
        self.post_message(MainThreadCall(self._read_again))

    def _read_again(self) -> None:
        for screen in self.screen_stack:
            screen.post_message(EntriesChanged())

    @property
    def main_screen(self) -> MainScreen:
        """The list and search screen, at the bottom of the stack once mounted."""
        return next(s for s in self.screen_stack if isinstance(s, MainScreen))

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Show one notification at a time: stacked ones covered half the list at 80x24.

        Notifying is a message to the app, so the older ones are cleared the same way, just
        before it."""
        self.call_later(self.clear_notifications)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def relay_notice(self, text: str) -> None:
        """Called by the facade from any thread; posting a message is thread-safe.

        Notices from opening the facade come before the app runs: they wait for the screen.
        """
        if not self.is_running:
            self._early_notices.append(text)
            return
        self.post_message(ServiceNotice(text))

    def on_service_notice(self, message: ServiceNotice) -> None:
        self.notify(message.text, timeout=3)

    def on_main_thread_call(self, message: MainThreadCall) -> None:
        message.callback()

    def open_entry(self, entry_id: str) -> None:
        """Show one entry in full (the Markdown renderer loads with the first one)."""
        from rekall.interfaces.tui.detail import DetailScreen

        self.push_screen(DetailScreen(entry_id))

    def open_review(self) -> None:
        """Grade the entries due for review, one by one."""
        from rekall.interfaces.tui.review_screen import ReviewScreen

        self.push_screen(ReviewScreen())

    def action_help(self) -> None:
        from rekall.interfaces.tui.dialogs import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def close_service(self) -> None:
        """Release the model, the index and the database once no worker thread uses them
        (a save still running when the user quits is finished, not cut off)."""
        self.calls.finish(CLOSE_WAIT_SECONDS)
        self.service.close()


def run_tui(mode: str | None = None) -> None:
    """Run the app in this terminal until the user quits."""
    app = RekallApp(mode=mode)
    try:
        app.run()
    finally:
        app.close_service()
