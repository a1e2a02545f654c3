"""Tests for the optional ONNX Runtime batch engine: exact vectors, when it is chosen, int8."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rekall.core.errors import ModelError
from rekall.search import embedder as embedder_module
from rekall.search import onnx_engine
from rekall.search.embedder import MiniLMEmbedder, load_embedder

pytest.importorskip("onnxruntime", reason="the onnx extra is installed by scripts/install.sh")

REFERENCE = Path(__file__).parents[1] / "fixtures" / "reference_vectors" / "reference_vectors.json"
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REFERENCE.read_text("utf-8"))
    return data


@pytest.fixture(scope="module")
def embedder(real_model_dir: Path) -> Iterator[MiniLMEmbedder]:
    loaded = load_embedder(real_model_dir)
    yield loaded
    loaded.close()


def test_onnx_engine_matches_sentence_transformers(
    embedder: MiniLMEmbedder, reference: dict[str, Any]
) -> None:
    embedder.batch_engine = "onnx"
    try:
        got = embedder.embed(reference["texts"])
    finally:
        embedder.batch_engine = "auto"
    expected = np.array(reference["vectors"], dtype=np.float32)
    diff = np.abs(got - expected).max(axis=1)
    worst = int(diff.argmax())
    assert diff[worst] <= TOLERANCE, f"text {worst} {reference['texts'][worst]!r}: {diff[worst]}"


def test_auto_uses_onnx_for_bulk_only(
    embedder: MiniLMEmbedder, reference: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = (reference["texts"] * 2)[: embedder_module.ONNX_MIN_TEXTS]
    engines: list[bool] = []
    real = onnx_engine.OnnxBatchEngine.embed_tokens

    def counting(self: onnx_engine.OnnxBatchEngine, ids: Any, mask: Any) -> Any:
        engines.append(True)
        return real(self, ids, mask)

    monkeypatch.setattr(onnx_engine.OnnxBatchEngine, "embed_tokens", counting)
    below = embedder.embed(texts[:-1])
    assert not engines, "a call below ONNX_MIN_TEXTS must stay on numpy"
    bulk = embedder.embed(texts)
    assert engines, "a bulk call must run on ONNX Runtime when it is installed"
    assert np.abs(bulk[:-1] - below).max() <= TOLERANCE
    embedder.batch_engine = "numpy"
    try:
        assert np.abs(embedder.embed(texts) - bulk).max() <= TOLERANCE
    finally:
        embedder.batch_engine = "auto"


def test_forcing_onnx_without_the_extra_names_the_fix(
    real_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(onnx_engine, "available", lambda: False)
    with load_embedder(real_model_dir) as embedder:
        embedder.embed(["auto falls back to numpy"] * embedder_module.ONNX_MIN_TEXTS)
        embedder.batch_engine = "onnx"
        with pytest.raises(ModelError, match=r"rekall\[onnx\]"):
            embedder.embed(["two", "texts"])


def test_a_runtime_that_fails_leaves_bulk_on_numpy_unless_forced(
    real_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("Unsupported model IR version")

    monkeypatch.setattr(onnx_engine, "OnnxBatchEngine", refuse)
    texts = [f"note {i} about retries" for i in range(embedder_module.ONNX_MIN_TEXTS)]
    with load_embedder(real_model_dir) as embedder:
        got = embedder.embed(texts)
        assert embedder.batch_engine == "numpy"
        embedder.batch_engine = "auto"
        assert np.abs(embedder.embed(texts) - got).max() == 0
        embedder.batch_engine = "onnx"
        with pytest.raises(ModelError, match="IR version"):
            embedder.embed(["two", "texts"])


def test_close_drops_the_onnx_session(real_model_dir: Path) -> None:
    embedder = load_embedder(real_model_dir)
    embedder.batch_engine = "onnx"
    embedder.embed(["one", "two"])
    assert embedder._onnx is not None
    embedder.close()
    assert embedder._onnx is None
    with pytest.raises(ModelError):
        embedder.embed(["one", "two"])


def test_int8_engine_is_close_but_not_exact(
    embedder: MiniLMEmbedder, reference: dict[str, Any]
) -> None:
    """Measured only (benchmarks/bench_bulk.py): never chosen by the embedder."""
    weights, tokenizer = embedder._loaded()
    quantized = onnx_engine.OnnxBatchEngine(weights, quantized=True)
    texts = reference["texts"][:16]
    exact = np.array(reference["vectors"][:16], dtype=np.float32)
    ids, mask = embedder_module._pad(tokenizer.ids(texts))
    cosines = (quantized.embed_tokens(ids, mask) * exact).sum(axis=1)
    assert cosines.min() > 0.98
    assert np.abs(cosines - 1).max() > TOLERANCE
