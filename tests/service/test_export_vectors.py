"""Vectors in the JSON export: reused on import only for the same weights and the same text."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rekall.search.model_files import MODEL_ID
from rekall.service import Rekall
from tests.conftest import CliInvoker

pytestmark = pytest.mark.model
OTHER_WEIGHTS = f"{MODEL_ID}@0123456789abcdef"


@pytest.fixture
def exported(service: Rekall, filled: dict[str, str]) -> dict[str, Any]:
    """The filled base's export, parsed: six entries, each with its vector."""
    data: dict[str, Any] = json.loads(service.export_json())
    return data


def save(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def floats(encoded: str) -> list[float]:
    blob = base64.b64decode(encoded)
    return list(struct.unpack(f"<{len(blob) // 4}f", blob))


def encode(values: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode("ascii")


def test_the_export_carries_each_vector_with_its_model_and_text_hash(
    exported: dict[str, Any], service: Rekall, cli: CliInvoker
) -> None:
    assert exported["version"] == 2
    section = exported["vectors"]
    assert (section["model_id"], section["dimensions"]) == (MODEL_ID, 384)
    assert section["encoding"] == "float32-le-base64"
    ids = [entry["id"] for entry in exported["entries"]]
    assert [item["id"] for item in section["entries"]] == ids
    for item in section["entries"]:
        assert len(item["text_hash"]) == 32 and len(floats(item["vector"])) == 384
    assert "vectors" not in json.loads(service.export_json(vectors=False))
    assert json.loads(cli("export").stdout) == exported
    assert "vectors" not in json.loads(cli("export", "--no-vectors").stdout)


def test_matching_vectors_are_reused_and_the_model_is_never_loaded(
    exported: dict[str, Any], service: Rekall, other: Rekall, tmp_path: Path
) -> None:
    report = other.import_data(save(tmp_path / "export.json", exported))
    assert (report.added, report.vectors_reused, report.embedded) == (6, 6, 0)
    assert other.semantic.models.status().loads == 0  # nothing was embedded
    # The same vectors, byte for byte: the second base exports the same file.
    assert other.export_json() == service.export_json()
    hits = other.search("browser blocks cross-origin request", mode="semantic", limit=1)
    assert hits.results[0].entry.title == "CORS fails on Safari"


def test_an_entry_whose_text_differs_from_its_vector_is_embedded_again(
    exported: dict[str, Any], other: Rekall, tmp_path: Path
) -> None:
    edited = exported["entries"][0]
    edited["content"] = "Kubernetes pods restart in a loop when the liveness probe times out."
    report = other.import_data(save(tmp_path / "export.json", exported))
    assert (report.added, report.vectors_reused, report.embedded) == (6, 5, 1)
    again = json.loads(other.export_json())["vectors"]["entries"]
    stored = {item["id"]: item for item in again}
    old = {item["id"]: item for item in exported["vectors"]["entries"]}
    assert stored[edited["id"]]["vector"] != old[edited["id"]]["vector"]
    assert stored[edited["id"]]["text_hash"] != old[edited["id"]]["text_hash"]
    hits = other.search("pod restarts liveness probe", mode="semantic", limit=1)
    assert hits.results[0].entry.id == edited["id"]


def test_vectors_of_other_weights_are_not_reused(
    exported: dict[str, Any], other: Rekall, tmp_path: Path
) -> None:
    exported["vectors"]["model_id"] = OTHER_WEIGHTS
    report = other.import_data(save(tmp_path / "export.json", exported))
    assert (report.added, report.vectors_reused, report.embedded) == (6, 0, 6)
    assert any(OTHER_WEIGHTS in notice and "embedded again" in notice for notice in report.notices)
    assert json.loads(other.export_json())["vectors"]["model_id"] == MODEL_ID


def test_a_dry_run_counts_the_vectors_it_would_reuse(
    exported: dict[str, Any], other: Rekall, tmp_path: Path
) -> None:
    report = other.import_data(save(tmp_path / "export.json", exported), dry_run=True)
    assert (report.added, report.vectors_reused, report.embedded) == (6, 6, 0)
    assert json.loads(other.export_json())["entries"] == []


def test_a_version_1_export_without_vectors_still_imports(
    exported: dict[str, Any], other: Rekall, tmp_path: Path
) -> None:
    del exported["vectors"]
    exported["version"] = 1
    report = other.import_data(save(tmp_path / "old.json", exported))
    assert (report.added, report.vectors_reused, report.embedded) == (6, 0, 6)
    assert other.stats()["entries_without_vector"] == 0


def _set_vector(data: dict[str, Any], values: list[float]) -> None:
    data["vectors"]["entries"][0]["vector"] = encode(values)


def _scaled(data: dict[str, Any], factor: float) -> list[float]:
    return [value * factor for value in floats(data["vectors"]["entries"][0]["vector"])]


def _truncate_all(data: dict[str, Any], dimensions: int) -> None:
    """Every vector cut to dimensions and renormalised, and the header saying so."""
    data["vectors"]["dimensions"] = dimensions
    for item in data["vectors"]["entries"]:
        values = floats(item["vector"])[:dimensions]
        norm = sum(value * value for value in values) ** 0.5
        item["vector"] = encode([value / norm for value in values])


Tamper = Callable[[dict[str, Any]], None]
TAMPERED: list[tuple[str, Tamper, str]] = [
    ("short-vector", lambda d: _set_vector(d, _scaled(d, 1.0)[:383]), "383 dimensions, not 384"),
    ("nan", lambda d: _set_vector(d, [float("nan"), *_scaled(d, 1.0)[1:]]), "NaN or infinity"),
    ("infinity", lambda d: _set_vector(d, [float("inf"), *_scaled(d, 1.0)[1:]]), "NaN or inf"),
    ("not-unit", lambda d: _set_vector(d, _scaled(d, 3.0)), "not of unit length"),
    ("zero", lambda d: _set_vector(d, [0.0] * 384), "not of unit length"),
    ("bad-base64", lambda d: d["vectors"]["entries"][0].update(vector="@@@"), "not valid base64"),
    ("claims-other-dimensions", lambda d: _truncate_all(d, 383), "383 dimensions; that model has"),
    (
        "unknown-entry",
        lambda d: d["vectors"]["entries"][0].update(id="01HZZ0AAAAAAAAAAAAAAAAAAA9"),
        "is not in the file",
    ),
    (
        "twice",
        lambda d: d["vectors"]["entries"].append(d["vectors"]["entries"][0]),
        "more than one vector",
    ),
    ("bad-hash", lambda d: d["vectors"]["entries"][0].update(text_hash="xyz"), "32 hex digits"),
    ("extra-key", lambda d: d["vectors"].update(note="hi"), "must be an object with exactly"),
    ("dimensions-text", lambda d: d["vectors"].update(dimensions="384"), "a whole number"),
]


@pytest.mark.parametrize(
    ("tamper", "message"), [(t, m) for _, t, m in TAMPERED], ids=[n for n, _, _ in TAMPERED]
)
def test_a_tampered_vector_is_refused_and_the_base_is_unchanged(
    exported: dict[str, Any],
    tamper: Tamper,
    message: str,
    cli: CliInvoker,
    db_file: Path,
    tmp_path: Path,
    db_fingerprint: Callable[[Path], str],
) -> None:
    tamper(exported)
    # Change the entries too, so an import that went ahead would show.
    for entry in exported["entries"]:
        entry["title"] = "Changed " + entry["title"]
    path = save(tmp_path / "tampered.json", exported)
    before = db_fingerprint(db_file)
    for extra in ((), ("--dry-run",)):
        result = cli("import", str(path), "--strategy", "replace", *extra)
        assert result.exit_code == 2, result.output  # bad input, as for any malformed file
        assert result.stderr.startswith("Error: ") and message in result.stderr
        assert "Traceback" not in result.stderr and str(path) in result.stderr
    assert db_fingerprint(db_file) == before
