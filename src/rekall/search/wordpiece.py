"""BERT WordPiece for ASCII text in pure Python, from a vocabulary cached by tokenizer hash."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import zlib
from array import array
from pathlib import Path
from typing import Any

# A cold query spent 30-60 ms loading tokenizer.json into `tokenizers` (466 KB of JSON for a
# 30,522-word vocabulary), more than the forward pass. For ASCII text, BERT's normalisation
# is a few string operations, and only the vocabulary's ASCII words can match: they are kept
# as one string per word length, each word in a fixed-width slot, so a lookup is a find()
# and loading creates no object per word (a dict of 30K words cost 10 ms in a new process).
# The cache is named and checked by the tokenizer file's CRC-32 and length: any change to the
# file gets a cache of its own. (A SHA-256 cost a cold search 3-4 ms, loading OpenSSL.)
CACHE_FORMAT = 3
PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")  # string.punctuation
# ASCII control characters BertNormalizer removes (tab, newline and return become spaces).
REMOVED = "".join(chr(c) for c in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F))
SPACES = str.maketrans("\t\n\r", "   ", REMOVED)


class AsciiWordPiece:
    """Token ids for ASCII text, equal to what the tokenizer file's `tokenizers` pipeline
    gives (BertNormalizer, BertPreTokenizer, WordPiece, [CLS] … [SEP]); see encode().

    words[n] holds every ASCII vocabulary word of n characters, each followed by a newline,
    and ids[n] their ids in the same order.
    """

    def __init__(
        self, settings: dict[str, Any], words: dict[int, str], ids: dict[int, array[int]]
    ) -> None:
        self.words, self.ids = words, ids
        self.lowercase = bool(settings["lowercase"])
        self.prefix = str(settings["prefix"])
        self.max_word_chars = int(settings["max_word_chars"])
        self.specials = tuple(str(token) for token in settings["added_tokens"])
        self.unk, self.cls, self.sep = (int(settings[k]) for k in ("unk", "cls", "sep"))
        self.longest = max(words, default=0)

    def lookup(self, piece: str) -> int | None:
        """The id of an ASCII vocabulary word, None when it is not one."""
        slots = self.words.get(len(piece))
        if slots is None or "\n" in piece:
            return None
        # Every run of len(piece) characters without a newline is a whole slot.
        found = slots.find(piece)
        return None if found < 0 else self.ids[len(piece)][found // (len(piece) + 1)]

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
            if len(ids) >= max_tokens:  # the rest would be cut: a long entry stops here
                break
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
            prefix = self.prefix if start else ""
            end = min(len(word), start + self.longest - len(prefix))
            while end > start:
                found = self.lookup(prefix + word[start:end])
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
    digest = f"{zlib.crc32(raw):08x}-{len(raw)}"
    cached = cache_dir / f"wordpiece-{digest}.bin" if cache_dir is not None else None
    if cached is not None:
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            return _read_cache(cached, digest)
    parsed = _parse(raw)
    if parsed is None:
        return None
    settings, vocab = parsed
    words, ids = _slots(vocab)
    if cached is not None:
        _write_cache(cached, digest, settings, words, ids)
    return AsciiWordPiece(settings, words, ids)


def _slots(vocab: dict[str, int]) -> tuple[dict[int, str], dict[int, array[int]]]:
    """The ASCII words by length, newline-terminated in fixed-width slots, and their ids."""
    by_length: dict[int, list[tuple[str, int]]] = {}
    for word, token_id in vocab.items():
        if word.isascii():
            by_length.setdefault(len(word), []).append((word, token_id))
    words = {n: "".join(w + "\n" for w, _ in pairs) for n, pairs in sorted(by_length.items())}
    ids = {n: array("i", (i for _, i in pairs)) for n, pairs in sorted(by_length.items())}
    return words, ids


def _read_cache(file: Path, digest: str) -> AsciiWordPiece:
    """Raises OSError, ValueError, KeyError or TypeError for a missing or unusable cache."""
    data = file.read_bytes()
    header_end = data.index(b"\n")
    settings = json.loads(data[:header_end])
    if (settings["format"], settings["source"]) != (CACHE_FORMAT, digest) or settings[
        "byteorder"
    ] != sys.byteorder:
        raise ValueError("a cache for other bytes or another format")
    words: dict[int, str] = {}
    ids: dict[int, array[int]] = {}
    offset = header_end + 1
    for length, count in settings["slots"]:
        end = offset + count * (length + 1)
        words[length] = data[offset:end].decode("ascii")
        offset = end
    for length, count in settings["slots"]:
        ids[length] = array("i")
        ids[length].frombytes(data[offset : offset + count * ids[length].itemsize])
        offset += count * ids[length].itemsize
        if len(ids[length]) != count:
            raise ValueError("a truncated cache")
    if offset != len(data):
        raise ValueError("a cache with trailing bytes")
    return AsciiWordPiece(settings, words, ids)


def _write_cache(
    file: Path, digest: str, settings: dict[str, Any], words: dict[int, str], ids: dict[int, Any]
) -> None:
    """Write atomically; a cache that cannot be written only costs the next start time."""
    header = {
        **settings,
        "format": CACHE_FORMAT,
        "source": digest,
        "byteorder": sys.byteorder,
        "slots": [[length, len(ids[length])] for length in words],
    }
    body = [json.dumps(header).encode() + b"\n"]
    body += [text.encode("ascii") for text in words.values()]
    body += [ids[length].tobytes() for length in words]
    import tempfile  # only when the cache is made, once per tokenizer file

    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=file.parent, prefix=".wordpiece-", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(b"".join(body))
        os.replace(temp, file)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)
    _remove_sha_named_caches(file.parent)


def _remove_sha_named_caches(folder: Path) -> None:
    """Delete the caches earlier versions named by a SHA-256 prefix (wordpiece-<32 hex>.bin
    or .txt): nothing reads them any more, and they would stay in the folder for good."""
    with contextlib.suppress(OSError), os.scandir(folder) as found:
        for entry in found:
            stem, dot, suffix = entry.name.removeprefix("wordpiece-").partition(".")
            if (
                entry.name.startswith("wordpiece-")
                and suffix in ("bin", "txt")
                and len(stem) == 32
                and all(c in "0123456789abcdef" for c in stem)
            ):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _parse(raw: bytes) -> tuple[dict[str, Any], dict[str, int]] | None:
    """Settings and vocabulary of a tokenizer.json this module reproduces, else None."""
    try:
        data = json.loads(raw)
        normalizer, model = data["normalizer"], data["model"]
        vocab: dict[str, int] = model["vocab"]
        settings = {
            "lowercase": normalizer["lowercase"],
            "prefix": model["continuing_subword_prefix"],
            "max_word_chars": model["max_input_chars_per_word"],
            "unk": vocab[model["unk_token"]],
            "cls": vocab["[CLS]"],
            "sep": vocab["[SEP]"],
            "added_tokens": [token["content"] for token in data.get("added_tokens") or []],
        }
        supported = (
            normalizer.get("type") == "BertNormalizer"
            and normalizer.get("clean_text") is True
            and data["pre_tokenizer"] == {"type": "BertPreTokenizer"}
            and model.get("type") == "WordPiece"
            and str(settings["prefix"]).isascii()
            and _is_cls_text_sep(data["post_processor"], vocab)
            and not any("\n" in word for word in vocab)
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return (settings, vocab) if supported else None


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
