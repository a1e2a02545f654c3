"""Small modal screens: a yes/no confirmation and the key bindings help."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

HELP: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Everywhere",
        (
            ("ctrl+q", "quit"),
            ("f1  ?", "this help (? outside text fields)"),
            ("escape", "back, or close a dialog"),
            ("tab  shift+tab", "move between fields and panels"),
        ),
    ),
    (
        "Search and list",
        (
            ("/", "go to the search box"),
            ("type", "search as you type (hybrid by default)"),
            ("enter  down", "from the search box to the results"),
            ("escape", "leave the search box; again to clear the search"),
            ("ctrl+t  m", "switch mode: hybrid, keyword, semantic"),
            ("ctrl+f  f", "filters: type, tag, project, status"),
            ("s", "change the sort order of the list"),
            ("r", "reload (see changes made elsewhere)"),
            ("v", "review due entries: 0-5 grade, s skip"),
            ("q", "quit (outside the search box)"),
        ),
    ),
    (
        "An entry (in the list or opened)",
        (
            ("enter", "open it: content, tags, links, related"),
            ("a", "add a new entry"),
            ("e", "edit in a form (ctrl+s saves)"),
            ("E", "edit in $EDITOR"),
            ("l", "link it to another entry"),
            ("x", "deprecate it"),
            ("d", "delete it"),
            ("S", "show similar entries (opened entry)"),
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
        Binding("escape,q,f1,question_mark", "dismiss_help", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static("Rekall keys", classes="dialog-title")
            with VerticalScroll(id="help-body"):
                yield Static(help_text(), id="help-text")
            yield Static("escape closes", classes="dialog-hint")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """Ask a yes/no question; dismisses with True only on an explicit yes."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", show=False),
        Binding("n,escape", "answer(False)", "No", show=False),
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

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
