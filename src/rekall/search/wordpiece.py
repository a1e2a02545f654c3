"""BERT WordPiece for ASCII text in pure Python, from a vocabulary cached by tokenizer hash."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import string
import tempfile
from pathlib import Path
from typing import Any

# A cold query spent 30-60 ms loading tokenizer.json into `tokenizers` (466 KB of JSON for a
# 30,522-word vocabulary), more than the forward pass. For ASCII text, BERT's normalisation
# is a few string operations, so a query is tokenized here from a plain word list that loads
# in ~3 ms; any other text goes to `tokenizers`, which remains the reference.
CACHE_FORMAT = 1
PUNCTUATION = frozenset(string.punctuation)
# ASCII control characters BertNormalizer removes (tab, newline and return become spaces).
REMOVED = "".join(chr(c) for c in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F))
SPACES = str.maketrans("\t\n\r", "   ", REMOVED)


class AsciiWordPiece:
    """Token ids for ASCII text, equal to what the tokenizer file's `tokenizers` pipeline
    gives (BertNormalizer, BertPreTokenizer, WordPiece, [CLS] … [SEP]); see encode()."""

    def __init__(self, settings: dict[str, Any], words: list[str]) -> None:
        self.vocab = dict(zip(words, range(len(words)), strict=True))
        self.lowercase = bool(settings["lowercase"])
        self.prefix = str(settings["prefix"])
        self.max_word_chars = int(settings["max_word_chars"])
        self.specials = tuple(str(token) for token in settings["added_tokens"])
        self.unk = self.vocab[settings["unk"]]
        self.cls = self.vocab[settings["cls"]]
        self.sep = self.vocab[settings["sep"]]

    def encode(self, text: str, max_tokens: int) -> list[int] | None:
        """Ids with [CLS] and [SEP], truncated to max_tokens; None when the text is not
        ASCII or holds a special token's text ([MASK]…), which `tokenizers` must handle."""
        if not text.isascii() or self._holds_special(text):
            return None
        text = text.translate(SPACES)
        if self.lowercase:
            text = text.lower()
            if self._holds_special(text):
                return None
        ids = [self.cls]
        for word in _split_words(text):
            ids.extend(self._word_ids(word))
        del ids[max_tokens - 1 :]
        ids.append(self.sep)
        return ids

    def _holds_special(self, text: str) -> bool:
        return any(special in text for special in self.specials)

    def _word_ids(self, word: str) -> list[int]:
        """Greedy longest-match-first pieces; one [UNK] for a word that has no split."""
        if len(word) > self.max_word_chars:
            return [self.unk]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else self.prefix + word[start:end]
                found = self.vocab.get(piece)
                if found is not None:
                    break
                end -= 1
            else:
                return [self.unk]
            pieces.append(found)
            start = end
        return pieces


def _split_words(text: str) -> list[str]:
    """Whitespace splits words; each punctuation character is a word of its own."""
    words: list[str] = []
    for chunk in text.split(" "):
        if not chunk:
            continue
        if chunk.isalnum():
            words.append(chunk)
            continue
        start = 0
        for index, char in enumerate(chunk):
            if char in PUNCTUATION:
                if start < index:
                    words.append(chunk[start:index])
                words.append(char)
                start = index + 1
        if start < len(chunk):
            words.append(chunk[start:])
    return words


def load_ascii_wordpiece(tokenizer_file: Path, cache_dir: Path | None) -> AsciiWordPiece | None:
    """The ASCII tokenizer for tokenizer_file, from its cached word list when one was made
    for these exact bytes; None when the file is not a BERT WordPiece tokenizer this module
    reproduces (or does not parse), so the caller uses `tokenizers` for everything."""
    try:
        raw = tokenizer_file.read_bytes()
    except OSError:
        return None
    digest = hashlib.sha256(raw).hexdigest()
    cached = cache_dir / f"wordpiece-{digest[:32]}.txt" if cache_dir is not None else None
    if cached is not None:
        with contextlib.suppress(OSError, ValueError, KeyError):
            return _read_cache(cached, digest)
    parsed = _parse(raw)
    if parsed is None:
        return None
    settings, words = parsed
    if cached is not None:
        _write_cache(cached, digest, settings, words)
    return AsciiWordPiece(settings, words)


def _read_cache(file: Path, digest: str) -> AsciiWordPiece:
    header, _, body = file.read_text("utf-8").partition("\n")
    settings = json.loads(header)
    if settings.get("format") != CACHE_FORMAT or settings.get("sha256") != digest:
        raise ValueError("stale cache")
    words = body.split("\n")
    if len(words) != settings["size"]:
        raise ValueError("truncated cache")
    return AsciiWordPiece(settings, words)


def _write_cache(file: Path, digest: str, settings: dict[str, Any], words: list[str]) -> None:
    """Write atomically; a cache that cannot be written only costs the next start time."""
    header = json.dumps({**settings, "format": CACHE_FORMAT, "sha256": digest, "size": len(words)})
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=file.parent, prefix=".wordpiece-", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(header + "\n" + "\n".join(words))
        os.replace(temp, file)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def _parse(raw: bytes) -> tuple[dict[str, Any], list[str]] | None:
    """Settings and id-ordered words of a tokenizer.json this module reproduces, else None."""
    try:
        data = json.loads(raw)
        normalizer, model = data["normalizer"], data["model"]
        vocab: dict[str, int] = model["vocab"]
        settings = {
            "lowercase": normalizer["lowercase"],
            "prefix": model["continuing_subword_prefix"],
            "max_word_chars": model["max_input_chars_per_word"],
            "unk": model["unk_token"],
            "cls": "[CLS]",
            "sep": "[SEP]",
            "added_tokens": [token["content"] for token in data.get("added_tokens") or []],
        }
        supported = (
            normalizer.get("type") == "BertNormalizer"
            and normalizer.get("clean_text") is True
            and data["pre_tokenizer"] == {"type": "BertPreTokenizer"}
            and model.get("type") == "WordPiece"
            and _is_cls_text_sep(data["post_processor"], vocab)
            and sorted(vocab.values()) == list(range(len(vocab)))
            and not any("\n" in word for word in vocab)
            and all(settings[k] in vocab for k in ("unk", "cls", "sep"))
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if not supported:
        return None
    return settings, sorted(vocab, key=vocab.__getitem__)


def _is_cls_text_sep(post: Any, vocab: dict[str, int]) -> bool:
    """Whether a single text becomes [CLS] text [SEP], all of type 0, with the vocab's ids."""
    single = [
        {"SpecialToken": {"id": "[CLS]", "type_id": 0}},
        {"Sequence": {"id": "A", "type_id": 0}},
        {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
    ]
    if not isinstance(post, dict) or post.get("type") != "TemplateProcessing":
        return False
    specials = post.get("special_tokens") or {}
    return post.get("single") == single and all(
        specials.get(token, {}).get("ids") == [vocab.get(token)] for token in ("[CLS]", "[SEP]")
    )
