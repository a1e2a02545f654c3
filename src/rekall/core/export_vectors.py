"""The vectors an export carries: one model's, each with the hash of the text it encodes."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rekall.core.errors import ValidationError
from rekall.core.record_checks import shown

ENCODING = "float32-le-base64"
SECTION_KEYS = {"model_id", "dimensions", "encoding", "entries"}
ITEM_KEYS = {"id", "text_hash", "vector"}
MAX_DIMENSIONS = 4096
_TEXT_HASH = re.compile(r"^[0-9a-f]{32}$")
REMEDY = 'export it again, or delete the "vectors" section so the import embeds the entries'


@dataclass(frozen=True)
class ExportVectors:
    """Vectors of one model by entry id: (hash of the embedded text, float32 bytes).

    model_id names the weights by their fingerprint (see search.model_identity), so an import
    reuses a vector only under the same weights and for the same text.
    """

    model_id: str
    dimensions: int
    items: Mapping[str, tuple[str, bytes]]


def vectors_to_dict(vectors: ExportVectors) -> dict[str, Any]:
    """The "vectors" section of an export, entries in id order."""
    return {
        "model_id": vectors.model_id,
        "dimensions": vectors.dimensions,
        "encoding": ENCODING,
        "entries": [
            {
                "id": entry_id,
                "text_hash": text_hash,
                "vector": base64.b64encode(blob).decode("ascii"),
            }
            for entry_id, (text_hash, blob) in sorted(vectors.items.items())
        ],
    }


def vectors_from_dict(raw: Any, entry_ids: set[str], source: str) -> ExportVectors:
    """Validate the "vectors" section of an untrusted file. Raises ValidationError.

    Checks the shape only (types, hashes, base64, byte length); the values are checked
    where numbers are at hand (service.import_writer.check_vector_values).
    """
    where = f'{source}: "vectors"'
    if not isinstance(raw, dict) or set(raw) != SECTION_KEYS:
        raise ValidationError(
            f"{where} must be an object with exactly {', '.join(sorted(SECTION_KEYS))}; {REMEDY}"
        )
    model_id, dimensions = raw["model_id"], raw["dimensions"]
    if not isinstance(model_id, str) or not 0 < len(model_id) <= 200:
        raise ValidationError(f'{where}: "model_id" must be a model name; {REMEDY}')
    if isinstance(dimensions, bool) or not isinstance(dimensions, int):
        raise ValidationError(f'{where}: "dimensions" must be a whole number; {REMEDY}')
    if not 0 < dimensions <= MAX_DIMENSIONS:
        raise ValidationError(f'{where}: "dimensions" {dimensions} is out of range; {REMEDY}')
    if raw["encoding"] != ENCODING:
        found = shown(raw["encoding"])
        raise ValidationError(f'{where}: unknown encoding {found}, expected "{ENCODING}"')
    if not isinstance(raw["entries"], list):
        raise ValidationError(f'{where}: "entries" must be a list; {REMEDY}')
    items: dict[str, tuple[str, bytes]] = {}
    for number, item in enumerate(raw["entries"], 1):
        entry_id, pair = _item(item, dimensions, f"{where}, item {number}")
        if entry_id not in entry_ids:
            raise ValidationError(
                f"{where}, item {number}: entry {shown(entry_id)} is not in the file; {REMEDY}"
            )
        if entry_id in items:
            raise ValidationError(f"{where}: entry {entry_id} has more than one vector; {REMEDY}")
        items[entry_id] = pair
    return ExportVectors(model_id, dimensions, items)


def _item(item: Any, dimensions: int, where: str) -> tuple[str, tuple[str, bytes]]:
    if not isinstance(item, dict) or set(item) != ITEM_KEYS:
        raise ValidationError(f"{where} must have exactly id, text_hash and vector; {REMEDY}")
    entry_id, text_hash, encoded = item["id"], item["text_hash"], item["vector"]
    if not isinstance(entry_id, str):
        raise ValidationError(f'{where}: "id" must be text; {REMEDY}')
    if not isinstance(text_hash, str) or not _TEXT_HASH.match(text_hash):
        raise ValidationError(f'{where}: "text_hash" must be 32 hex digits; {REMEDY}')
    if not isinstance(encoded, str):
        raise ValidationError(f'{where}: "vector" must be base64 text; {REMEDY}')
    try:
        blob = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(f'{where}: "vector" is not valid base64; {REMEDY}') from None
    if len(blob) != dimensions * 4:
        raise ValidationError(
            f"{where}: the vector of entry {shown(entry_id)} has {len(blob) / 4:g} dimensions, "
            f"not {dimensions}; {REMEDY}"
        )
    return entry_id, (text_hash, blob)
