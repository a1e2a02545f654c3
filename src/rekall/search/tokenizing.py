"""Text → token ids: `tokenizers` for batches and any text, pure Python for one ASCII text."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from rekall.core.errors import ModelError
from rekall.search.wordpiece import AsciiWordPiece, load_ascii_wordpiece

if TYPE_CHECKING:
    from tokenizers import Tokenizer

MAX_TOKENS = 256  # the model's max_seq_length in sentence-transformers


class TextTokenizer:
    """Token ids ([CLS] … [SEP], at most MAX_TOKENS) for texts.

    `tokenizers` is the reference and does every batch; it is loaded only when first needed
    when the file allows the ASCII path (see wordpiece.py), so a cold query never pays for it.
    """

    def __init__(self, file: Path, ascii_path: AsciiWordPiece | None) -> None:
        self.file = file
        self._ascii = ascii_path
        self._reference: Tokenizer | None = None
        self._lock = threading.Lock()
        if ascii_path is None:
            self.reference()  # no fast path: a bad file is reported now, as the model loads

    def ids(self, texts: list[str]) -> list[list[int]]:
        """Token ids of each text. Raises ModelError when the tokenizer file does not load."""
        if len(texts) == 1 and self._ascii is not None:
            found = self._ascii.encode(texts[0], MAX_TOKENS)
            if found is not None:
                return [found]
        tokenizer = self.reference()
        if len(texts) == 1:
            return [tokenizer.encode(texts[0]).ids]
        return [encoding.ids for encoding in tokenizer.encode_batch(texts)]

    def reference(self) -> Tokenizer:
        """The `tokenizers` pipeline of the file, loaded once."""
        with self._lock:
            if self._reference is None:
                self._reference = load_reference_tokenizer(self.file)
            return self._reference


def load_tokenizer(file: Path, cache_dir: Path | None) -> TextTokenizer:
    """The tokenizer of file; cache_dir keeps the ASCII path's word list between processes.

    Raises ModelError when the file does not load.
    """
    return TextTokenizer(file, load_ascii_wordpiece(file, cache_dir))


def load_reference_tokenizer(file: Path) -> Tokenizer:
    """`tokenizers` on file, truncating to MAX_TOKENS, unpadded. Raises ModelError."""
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(file))
    except Exception as error:  # tokenizers raises a bare Exception on a bad file
        raise ModelError(f"{file} does not load as a tokenizer ({error}).") from error
    # The shipped file truncates and pads to 128; the model was trained to 256 and
    # padding is done per batch, to the longest text only.
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.no_padding()
    return tokenizer
