"""Text boxes that act on their editing keys (ctrl+u, backspace, arrows) in typing order."""

from __future__ import annotations

from typing import Any, cast

from textual import events
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input


class KeysInOrder:
    """For a text box (listed before its widget class): it runs its own key bindings as it
    takes each key from its queue, and counts the keys sent to it not yet taken in.

    Textual runs a widget's (non-priority) bindings only when the key, unhandled, has
    bubbled up to the app. In a fast burst the characters typed after an editing key are
    inserted first: "/ ctrl+u safari" left the search box empty (ctrl+u cleared "safari"),
    and a quick backspace deleted a character typed after it. Acted on here, each key
    edits the text as it stood when the key was typed, and it edits this box even if the
    focus has moved on meanwhile.
    """

    # Keys the app has sent on to this box that it has not handled yet.
    typed_ahead = 0

    def post_message(self, message: Message) -> bool:
        if isinstance(message, events.Key):
            self.typed_ahead += 1
        posted: bool = super().post_message(message)  # type: ignore[misc]
        return posted

    async def _on_key(self, event: events.Key) -> None:
        self.typed_ahead = max(0, self.typed_ahead - 1)
        box = cast(Widget, self)
        for binding in box._bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority and await box.app.run_action(binding.action, box):
                event.stop()
                event.prevent_default()  # the key is done with: nothing else acts on it
                return


def typing_ahead(widget: Any) -> bool:
    """True while widget is a text box with keys typed into it still to take in."""
    return isinstance(widget, KeysInOrder) and widget.typed_ahead > 0


class TextBox(KeysInOrder, Input):
    """A one-line text box whose editing keys keep their place among the typed characters."""
