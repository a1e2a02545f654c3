"""Rows of stored vectors and of texts to embed, as the repositories hand them out."""

from __future__ import annotations

from dataclasses import dataclass

from rekall.core.entries import compose_embedding_text


@dataclass(frozen=True)
class StoredVector:
    """A vector row as raw float32 bytes; numpy lives in the search layer."""

    seq: int
    blob: bytes


@dataclass(frozen=True)
class PendingText:
    """An entry whose vector is missing or stale, with the text to embed."""

    seq: int
    title: str
    tags_text: str
    content: str
    context: str = ""  # the embedded part of the entry's context

    def embedding_text(self) -> str:
        return compose_embedding_text(
            self.title, self.tags_text.split(), self.content, self.context
        )
