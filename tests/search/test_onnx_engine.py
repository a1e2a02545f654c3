"""Tests for the opt-in ONNX Runtime bulk engines: exact fp32, int8 within the cosine bar."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rekall.core.errors import ModelError
from rekall.search import embedder as embedder_module
from rekall.search import onnx_engine, onnx_int8
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


@pytest.fixture()
def onnx_embedder(embedder: MiniLMEmbedder) -> Iterator[MiniLMEmbedder]:
    """The shared embedder with the onnx engine chosen, for calls of any size."""
    embedder.batch_engine, embedder.onnx_min_texts = "onnx", 2
    yield embedder
    embedder.batch_engine, embedder.onnx_min_texts = "numpy", embedder_module.ONNX_MIN_TEXTS


def test_onnx_engine_matches_sentence_transformers(
    onnx_embedder: MiniLMEmbedder, reference: dict[str, Any]
) -> None:
    got = onnx_embedder.embed(reference["texts"])
    expected = np.array(reference["vectors"], dtype=np.float32)
    diff = np.abs(got - expected).max(axis=1)
    worst = int(diff.argmax())
    assert diff[worst] <= TOLERANCE, f"text {worst} {reference['texts'][worst]!r}: {diff[worst]}"


def test_onnx_runs_bulk_calls_only_and_only_when_chosen(
    embedder: MiniLMEmbedder, reference: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = (reference["texts"] * 2)[: embedder_module.ONNX_MIN_TEXTS]
    calls: list[int] = []
    real = onnx_engine.OnnxBatchEngine.embed_tokens

    def counting(self: onnx_engine.OnnxBatchEngine, ids: Any, mask: Any) -> Any:
        calls.append(len(ids))
        return real(self, ids, mask)

    monkeypatch.setattr(onnx_engine.OnnxBatchEngine, "embed_tokens", counting)
    exact = embedder.embed(texts)
    assert not calls, "numpy is the default engine"
    embedder.batch_engine = "onnx"
    try:
        below = embedder.embed(texts[:-1])
        assert not calls, "a call below ONNX_MIN_TEXTS stays on numpy"
        bulk = embedder.embed(texts)
    finally:
        embedder.batch_engine = "numpy"
    assert sum(calls) == len(texts)
    assert np.abs(bulk - exact).max() <= TOLERANCE
    assert np.abs(below - exact[:-1]).max() <= TOLERANCE


def test_onnx_without_the_extra_names_the_fix(
    real_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(onnx_engine, "available", lambda: False)
    with load_embedder(real_model_dir) as embedder:
        embedder.batch_engine, embedder.onnx_min_texts = "onnx", 2
        assert embedder.embed(["a query stays on numpy"]).shape == (1, 384)
        with pytest.raises(ModelError, match=r"pip install 'rekall\[onnx\]'"):
            embedder.embed(["two", "texts"])


def test_a_runtime_that_cannot_start_names_the_way_back(
    real_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("Unsupported model IR version")

    monkeypatch.setattr(onnx_engine, "OnnxBatchEngine", refuse)
    with load_embedder(real_model_dir) as embedder:
        embedder.batch_engine, embedder.onnx_min_texts = "onnx", 2
        with pytest.raises(ModelError, match="IR version.*bulk_engine numpy"):
            embedder.embed(["two", "texts"])


def test_close_drops_the_onnx_session(real_model_dir: Path) -> None:
    embedder = load_embedder(real_model_dir)
    embedder.batch_engine, embedder.onnx_min_texts = "onnx", 2
    embedder.embed(["one", "two"])
    assert embedder._onnx is not None
    embedder.close()
    assert embedder._onnx is None
    with pytest.raises(ModelError):
        embedder.embed(["one", "two"])


@pytest.fixture(scope="module")
def int8_embedder(real_model_dir: Path) -> Iterator[MiniLMEmbedder]:
    """An embedder with bulk_engine = onnx-int8, for calls of any size above one text."""
    if not onnx_int8.exact_int8_products():
        pytest.skip("onnx-int8 is refused on x86 CPUs without VNNI")
    loaded = load_embedder(real_model_dir)
    loaded.batch_engine, loaded.onnx_min_texts = "onnx-int8", 2
    yield loaded
    loaded.close()


def test_int8_engine_stays_within_the_cosine_bar_of_sentence_transformers(
    int8_embedder: MiniLMEmbedder, reference: dict[str, Any]
) -> None:
    got = int8_embedder.embed(reference["texts"])
    expected = np.array(reference["vectors"], dtype=np.float32)
    cosines = (got * expected).sum(axis=1)
    worst = int(cosines.argmin())
    assert cosines[worst] >= 0.999, f"text {worst} {reference['texts'][worst]!r}"
    # Approximate indeed: the int8 products ran, not the exact graph.
    assert np.abs(got - expected).max() > TOLERANCE
    assert int8_embedder._onnx.quantized


def test_int8_engine_on_generated_entries(
    int8_embedder: MiniLMEmbedder, embedder: MiniLMEmbedder
) -> None:
    from rekall.core.entries import compose_embedding_text
    from rekall.testdata.generator import generate_entries

    texts = [compose_embedding_text(e.title, e.tags, e.content) for e in generate_entries(24)]
    cosines = (int8_embedder.embed(texts) * embedder.embed(texts)).sum(axis=1)
    assert cosines.min() >= 0.999


def test_int8_engine_embeds_short_texts_exactly(
    int8_embedder: MiniLMEmbedder, embedder: MiniLMEmbedder
) -> None:
    """Texts of at most EXACT_TOKENS tokens go through numpy, even batched with long ones."""
    texts = ["?", "a short title", "a longer text about databases, caches and queues " * 4]
    got, exact = int8_embedder.embed(texts), embedder.embed(texts)
    assert np.abs(got[:2] - exact[:2]).max() <= TOLERANCE
    assert np.abs(got[2] - exact[2]).max() > TOLERANCE


def test_int8_is_refused_where_its_products_could_overflow(
    real_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(onnx_int8, "exact_int8_products", lambda: False)
    with load_embedder(real_model_dir) as embedder:
        embedder.batch_engine, embedder.onnx_min_texts = "onnx-int8", 2
        with pytest.raises(ModelError, match="VNNI.*bulk_engine onnx"):
            embedder.embed(["two", "texts"])


def _runtime_integer_product(codes: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """codes (uint8) @ weights (int8, a constant, prepacked as the engine's) by ONNX Runtime."""
    import onnx
    from onnx import numpy_helper

    node = onnx.helper.make_node("MatMulInteger", ["a", "w"], ["y"])
    graph = onnx.helper.make_graph(
        [node],
        "product",
        [onnx.helper.make_tensor_value_info("a", onnx.TensorProto.UINT8, list(codes.shape))],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.INT32, None)],
        [numpy_helper.from_array(weights, "w")],
    )
    model = onnx.helper.make_model(
        graph, opset_imports=[onnx.helper.make_opsetid("", 20)], ir_version=9
    )
    session = onnx_engine._session(model.SerializeToString())
    result: np.ndarray = session.run(["y"], {"a": codes})[0]
    return result


def test_int8_products_are_exact_exactly_where_the_engine_is_offered() -> None:
    """Large codes, as the engine's (uint8 over each token's range, int8 weights up to 127):
    ONNX Runtime's product is exact where onnx-int8 is offered (VNNI, ARM) and saturates
    where it is refused (x86 without VNNI sums pairs of products in 16 bits). Fails if a
    runtime or CPU starts saturating on the offered side, or stops on the refused one."""
    offered = onnx_int8.exact_int8_products()
    if not offered and not Path("/proc/cpuinfo").exists():
        pytest.skip("without /proc/cpuinfo x86 is refused by caution, whatever its kernels do")
    rng = np.random.default_rng(7)
    codes = rng.integers(128, 256, (32, 384), dtype=np.uint8)
    weights = rng.integers(64, 128, (384, 96), dtype=np.int8)
    weights[:, ::2] *= -1  # both signs, as real weights
    got = _runtime_integer_product(codes, weights).astype(np.int64)
    exact = codes.astype(np.int64) @ weights.astype(np.int64)
    assert np.array_equal(got, exact) == offered


def test_outliers_are_the_largest_channels_of_each_product() -> None:
    maxima = [np.array([0.1, 9.0, 0.2, 3.0, 0.3], dtype=np.float32), np.arange(5.0)[::-1]]
    chosen = onnx_int8.choose_outliers(maxima, count=2)
    assert [list(c) for c in chosen] == [[1, 3], [0, 1]]


@pytest.mark.model
@pytest.mark.parametrize("setting", ["numpy", "onnx", "onnx-int8"])
def test_the_bulk_engine_setting_reaches_the_loaded_model(setting: str) -> None:
    from rekall.config import Config
    from rekall.service import Rekall

    service = Rekall(Config(bulk_engine=setting))
    try:
        with service.semantic.models.borrow() as loaded:
            assert isinstance(loaded, MiniLMEmbedder)
            assert loaded.batch_engine == setting
    finally:
        service.close()
