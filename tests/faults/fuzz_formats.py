"""Every form a valid import takes: JSON with or without a vectors section, one Markdown
file, a folder of Markdown files; and what an import must do with the vectors a file carries.

Shared by tests/faults/fuzz_valid.py (which draws the documents) and benchmarks/bench_fuzz.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from rekall.core.entries import content_hash
from rekall.core.export_vectors import ENCODING
from rekall.core.markdown_format import entry_to_markdown, markdown_file_name
from rekall.core.record_checks import link_from_dict, record_from_dict
from rekall.search.model_files import MODEL_ID
from rekall.service import Rekall

DIMENSIONS = 384
FOREIGN_MODEL = MODEL_ID + "@0123456789abcdef"
# json: no vectors section (version 1 or 2); json+vectors: the current model's vectors, those
# of entries at odd positions computed from other text; json+foreign-vectors: another
# model's; markdown-file: one entry's file; markdown-dir: a folder of them.
FORMS = ("json", "json+vectors", "json+foreign-vectors", "markdown-file", "markdown-dir")


def as_form(form: str, document: dict[str, Any]) -> dict[str, Any]:
    """The document as that form can carry it: one Markdown file holds one entry and no
    link to entries outside it; a vectors section needs version 2."""
    if form == "markdown-file":
        entry = {k: v for k, v in document["entries"][0].items() if k != "superseded_by"}
        return {**document, "entries": [entry], "links": []}
    if form.startswith("json+"):
        return {**document, "version": 2}
    return document


def write_import(
    form: str, document: dict[str, Any], folder: Path, escape: bool
) -> tuple[Path, dict[str, tuple[str, bytes]]]:
    """Write the document in that form under folder; the path to import, and the vectors the
    file carries by entry id (text hash, float32 bytes)."""
    if form.startswith("markdown"):
        return _write_markdown(form, document, folder), {}
    vectors = file_vectors(document) if form.startswith("json+") else {}
    data = dict(document)
    if vectors:
        data["vectors"] = {
            "model_id": FOREIGN_MODEL if form == "json+foreign-vectors" else MODEL_ID,
            "dimensions": DIMENSIONS,
            "encoding": ENCODING,
            "entries": [
                {"id": i, "text_hash": h, "vector": base64.b64encode(b).decode("ascii")}
                for i, (h, b) in vectors.items()
            ],
        }
    path = folder / "valid.json"
    path.write_text(json.dumps(data, ensure_ascii=escape), encoding="utf-8")
    return path, vectors


def file_vectors(document: dict[str, Any]) -> dict[str, tuple[str, bytes]]:
    """A unit vector per entry with the hash of its text; at odd positions the hash of other
    text, as a file edited after its export has."""
    vectors: dict[str, tuple[str, bytes]] = {}
    for position, entry in enumerate(document["entries"]):
        text = record_from_dict(entry, "fuzz").embedding_text()
        digest = content_hash(text if position % 2 == 0 else text + " (edited)")
        seed = int.from_bytes(hashlib.sha256(entry["id"].encode()).digest()[:4], "little")
        vector = np.random.default_rng(seed).standard_normal(DIMENSIONS).astype("<f4")
        vector /= np.linalg.norm(vector)
        vectors[entry["id"]] = (digest, vector.astype("<f4").tobytes())
    return vectors


def _write_markdown(form: str, document: dict[str, Any], folder: Path) -> Path:
    target = folder / "valid-md"
    target.mkdir(exist_ok=True)
    for old in target.iterdir():
        old.unlink()
    for entry in document["entries"]:
        record = record_from_dict(entry, "fuzz")
        links = [
            link_from_dict(link, "fuzz")
            for link in document["links"]
            if link["source"] == record.id
        ]
        (target / markdown_file_name(record)).write_text(
            entry_to_markdown(record, links), encoding="utf-8"
        )
    if form == "markdown-file":
        return next(target.iterdir())
    return target


def stored_vectors(base: Rekall, model_id: str = MODEL_ID) -> dict[str, tuple[str, bytes]]:
    """entry id → (text hash, bytes) of every vector the base holds under model_id."""
    with base.db.read() as conn:
        return base.db.repos.transfer.vectors_by_id(conn, model_id)


def wrong_vectors(
    form: str,
    document: dict[str, Any],
    carried: dict[str, tuple[str, bytes]],
    before: dict[str, tuple[str, bytes]],
    held: tuple[str, set[str]],
    base: Rekall,
) -> str:
    """ "" when the base took exactly the file's vectors it should: the current model's, for
    entries written as in the file whose text has the carried hash, and nothing else.
    before: the base's vectors ahead of the import; held: the strategy, and the file's ids
    the base held before (merged ones are left to `check`, which refuses a stale vector)."""
    strategy, held_ids = held
    after = stored_vectors(base)
    if form == "json+foreign-vectors" and stored_vectors(base, FOREIGN_MODEL):
        return "wrong: vectors stored under another model's id"
    for position, entry in enumerate(document["entries"]):
        entry_id = entry["id"]
        allowed = [before.get(entry_id)]
        if entry_id in held_ids and strategy == "merge":
            continue
        if entry_id in held_ids and strategy == "skip":
            pass
        elif form == "json+vectors" and position % 2 == 0:
            allowed = [carried[entry_id]]
            if before.get(entry_id, ("",))[0] == carried[entry_id][0]:
                allowed.append(before[entry_id])  # the same text: its vector stays
        elif entry_id in after and entry_id not in before:
            return f"wrong: {entry_id} got a vector the base cannot vouch for"
        else:
            allowed.append(None)  # an older text's vector is deleted
        if after.get(entry_id) not in allowed:
            return f"wrong: the vector of {entry_id} is not the one expected"
    return ""
