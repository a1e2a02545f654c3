"""Editing an entry in $EDITOR as Markdown with a small front matter."""

from __future__ import annotations

from typing import Any

import click

from rekall.core.editable import edited_changes, entry_to_document
from rekall.core.entries import Entry
from rekall.core.errors import RekallError, ValidationError


def edit_in_editor(entry: Entry) -> dict[str, Any]:
    """Open $EDITOR on the entry; return the changed fields (empty when unchanged).

    Raises ValidationError when the saved file is not UTF-8 or its header is broken,
    RekallError when the editor removed the file.
    """
    document = entry_to_document(entry)
    try:
        edited = click.edit(document, extension=".md", require_save=True)
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"the edited text is not valid UTF-8 (byte {exc.start}); edit aborted"
        ) from exc
    except OSError as exc:
        # The editor (or a wrapper script) deleted or moved the temporary file.
        raise RekallError(
            f"the edited file could not be read back ({exc.strerror or exc}); nothing was "
            "changed. Check that $EDITOR saves the file in place"
        ) from exc
    if edited is None:
        return {}
    return edited_changes(entry, edited, document)
