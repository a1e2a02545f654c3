"""Modal screens: the base every dialog shares, a yes/no confirmation and the keys help."""

from __future__ import annotations

from typing import TypeVar

from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, OptionList, Select, Static, TextArea

ResultT = TypeVar("ResultT")


class Dialog(ModalScreen[ResultT]):
    """A modal dialog with its own footer.

    Tab, enter and escape are priority bindings: they run as the app takes each key from
    the terminal, so keys typed after them in a fast burst go where they lead (a field's own
    key handling runs later, after the keys behind it were sent on). Enter submits like
    ctrl+s, except where it means something else: a new line in a text box, a button, an
    open list. Escape closes an open list, else cancels.
    """

    BINDINGS = [
        Binding("tab", "move_focus(1)", "Next field", show=False, priority=True),
        Binding("shift+tab", "move_focus(-1)", "Previous field", show=False, priority=True),
        Binding("enter", "enter", "Submit", show=False, priority=True),
        Binding("ctrl+s", "submit", "Submit", priority=True),
        Binding("escape", "escape", "Cancel", priority=True),
    ]

    def action_move_focus(self, step: int) -> None:
        if step > 0:
            self.focus_next()
        else:
            self.focus_previous()

    def action_enter(self) -> None:
        if isinstance(self.focused, (TextArea, Button, OptionList)):
            raise SkipAction()  # a new line, the button pressed, the option chosen
        self.action_submit()

    def action_escape(self) -> None:
        if self.focused is not None and isinstance(self.focused.parent, Select):
            raise SkipAction()  # an open Select's list: escape closes it
        self.action_cancel()

    def action_submit(self) -> None:
        """What enter and ctrl+s do; subclasses say."""
        raise SkipAction()

    def action_cancel(self) -> None:
        self.dismiss(None)


HELP: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Everywhere",
        (
            ("ctrl+q", "quit"),
            ("f1", "this help (? too, outside text fields)"),
            ("escape", "back; in a changed form, asks first"),
            ("tab  shift+tab", "next or previous field"),
            ("enter  ctrl+s", "save, apply or pick in a dialog"),
        ),
    ),
    (
        "Search box",
        (
            ("type", "search as you type (hybrid by default)"),
            ("enter  down", "to the results (enter again opens)"),
            ("escape", "to the list; again clears the search"),
            ("ctrl+t", "switch mode: hybrid, keyword, semantic"),
            ("ctrl+f", "filters: type, tag, project, status"),
            ("ctrl+n", "add a new entry"),
        ),
    ),
    (
        "List and results",
        (
            ("enter", "open the entry under the cursor"),
            ("/", "back to the search box"),
            ("a  e  E", "add; edit in a form; edit in $EDITOR"),
            ("l  x  d", "link; deprecate; delete"),
            ("s  m  f", "sort; mode; filters"),
            ("r  v", "reload; review due entries (0-5, s skips)"),
            ("q", "quit"),
        ),
    ),
    (
        "An opened entry",
        (
            ("j k  space  g G", "scroll; page down; top, bottom"),
            ("tab  enter", "to its links; open one"),
            ("e  E  l  x  d", "as in the list"),
            ("S", "show similar entries"),
            ("q  escape", "back to the list"),
        ),
    ),
)


def help_text() -> str:
    """The key bindings as aligned plain-text lines."""
    lines: list[str] = []
    for section, rows in HELP:
        lines.append(f"[b]{section}[/b]")
        lines.extend(f"  {keys:<16} {what}" for keys, what in rows)
        lines.append("")
    return "\n".join(lines).rstrip()


class HelpScreen(ModalScreen[None]):
    """Every key binding, grouped by where it works."""

    BINDINGS = [
        Binding("escape", "dismiss_help", "Close"),
        Binding("q,f1,question_mark", "dismiss_help", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static("Rekall keys", classes="dialog-title")
            with VerticalScroll(id="help-body"):
                yield Static(help_text(), id="help-text")
        yield Footer()

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """Ask a yes/no question; dismisses with True only on an explicit yes."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "No", show=False),
    ]

    def __init__(self, question: str, yes_label: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.yes_label = yes_label

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog"):
            yield Static(self.question, id="confirm-question", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes_label} (y)", variant="error", id="confirm-yes")
                yield Button("No (n)", id="confirm-no")
        yield Footer()

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#confirm-no", Button))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
