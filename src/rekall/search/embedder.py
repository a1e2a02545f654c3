"""Text → vector: all-MiniLM-L6-v2 in numpy over memory-mapped safetensors weights."""

from __future__ import annotations

import contextlib
import mmap
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from rekall.core.errors import ModelError
from rekall.search import bert_math, bert_query
from rekall.search.checkpoint import map_weights
from rekall.search.model_files import (
    MODEL_ID,
    ModelLocation,
    read_model_config,
    verify_model_dir,
)
from rekall.search.tokenizing import TextTokenizer, load_tokenizer

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from numpy.typing import NDArray  # annotations only (see bert_math)

BATCH_TEXTS = 64
# Padded tokens per forward pass. Small batches keep the [tokens, 1536] activations
# (3 MB here) in the CPU cache and bound the peak RSS; measured on 300 developer notes
# with 2 workers: 512 tokens 52-57 entries/s and 130 MB peak, 1024 48-50/s and 155 MB,
# 4096 26/s and 320 MB. A text longer than this still gets a batch of its own.
BATCH_TOKENS = 512
# Texts tokenized at once before sorting by length; bounds memory for huge inputs.
TOKENIZE_CHUNK = 1024
# With the onnx engine chosen, calls of this many texts run on ONNX Runtime: importing it and
# building the graph take 1.4 s of CPU, which only bulk work earns back; queries stay on
# numpy (see docs/decisions/013-bulk-embedding.md).
ONNX_MIN_TEXTS = 64
BatchEngine = Literal["numpy", "onnx", "onnx-int8"]
if TYPE_CHECKING:
    Forward = Callable[[bert_math.Ints, bert_math.Floats], bert_math.Floats]


def _blas_name() -> str:
    config: Any = getattr(np, "__config__", None)
    blas = getattr(config, "CONFIG", {}).get("Build Dependencies", {}).get("blas", {})
    return str(blas.get("name", ""))


# OpenBLAS reads OPENBLAS_NUM_THREADS once, as numpy loads it, and the `rekall` entry point
# sets it to 1 before that: BLAS is then single-threaded already, and one text needs no
# threadpoolctl (loading it and scanning the process's libraries was 4-5 ms of a cold search).
BLAS_STARTED_WITH_ONE_THREAD = (
    os.environ.get("OPENBLAS_NUM_THREADS") == "1" and "openblas" in _blas_name()
)


class Embedder(Protocol):
    """What search needs from an embedding engine."""

    @property
    def model_id(self) -> str: ...

    @property
    def dimensions(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Return float32 [len(texts), dimensions], each row L2-normalised."""
        ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (BERT, mean pooling, normalised) over mapped weights; see load_embedder."""

    def __init__(
        self,
        model_id: str,
        weights: bert_math.BertWeights,
        mapping: mmap.mmap,
        tokenizer: TextTokenizer,
    ) -> None:
        self._model_id = model_id
        self._dimensions = int(weights.word_embeddings.shape[1])
        self._weights: bert_math.BertWeights | None = weights
        self._mapping: mmap.mmap | None = mapping
        self._tokenizer: TextTokenizer | None = tokenizer
        self._threads: Any = None  # a threadpoolctl controller, made when first needed
        self._onnx: Any = None  # an OnnxBatchEngine, made for the first big batch
        # "onnx" or "onnx-int8" (the performance.bulk_engine setting): calls of onnx_min_texts
        # or more run on ONNX Runtime. Opt-in: it peaks 150-190 MB above numpy.
        self.batch_engine: BatchEngine = "numpy"
        self.onnx_min_texts = ONNX_MIN_TEXTS

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimensions(self) -> int:
        return self._dimensions

    @property
    def closed(self) -> bool:
        return self._weights is None

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Embed texts in input order: one thread for one text, all cores for more.

        Raises ModelError after close(), TypeError when given a single string.
        """
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not a single string")
        weights, tokenizer = self._loaded()
        out = np.empty((len(texts), self._dimensions), dtype=np.float32)
        if not texts:
            return out
        # BLAS always gets one thread; a batch uses the cores through worker threads that
        # each run whole forward passes. numpy's elementwise work (a third of the time) is
        # single-threaded, and BLAS threads spin when another process holds a core: with
        # a busy neighbour, 2 BLAS threads gave 10-18 entries/s, 2 workers 24-41.
        forward = self._forward(weights, len(texts))
        with self._one_blas_thread(len(texts)):
            if len(texts) == 1:
                _embed_chunk(forward, tokenizer, texts, 0, out, None)
                return out
            from concurrent.futures import ThreadPoolExecutor

            workers = _cpu_count()
            with ThreadPoolExecutor(workers, thread_name_prefix="rekall-embed") as pool:
                for start in range(0, len(texts), TOKENIZE_CHUNK):
                    chunk = texts[start : start + TOKENIZE_CHUNK]
                    _embed_chunk(forward, tokenizer, chunk, start, out, pool)
        return out

    def _forward(self, weights: bert_math.BertWeights, texts: int) -> Forward:
        """The forward pass for a call of this many texts: numpy, or ONNX Runtime for bulk."""
        if self.batch_engine == "numpy" or texts < self.onnx_min_texts:
            return lambda ids, mask: _numpy_forward(weights, ids, mask)
        if self._onnx is None:
            tokenizer = self._loaded()[1]
            self._onnx = _start_onnx(
                weights, tokenizer if self.batch_engine == "onnx-int8" else None
            )
        engine: Forward = self._onnx.embed_tokens
        return engine

    def _one_blas_thread(self, texts: int) -> contextlib.AbstractContextManager[Any]:
        if texts == 1 and BLAS_STARTED_WITH_ONE_THREAD:
            return contextlib.nullcontext()
        if self._threads is None:
            from threadpoolctl import ThreadpoolController

            self._threads = ThreadpoolController()
        limit: contextlib.AbstractContextManager[Any] = self._threads.limit(
            limits=1, user_api="blas"
        )
        return limit

    def close(self) -> None:
        """Drop the weights and unmap the file, so the OS takes the memory back."""
        self._weights = None
        self._tokenizer = None
        self._onnx = None
        mapping, self._mapping = self._mapping, None
        if mapping is not None:
            # BufferError: a caller still holds a view of a weight; the mapping goes with it.
            with contextlib.suppress(BufferError):
                mapping.close()

    def __enter__(self) -> MiniLMEmbedder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _loaded(self) -> tuple[bert_math.BertWeights, TextTokenizer]:
        if self._weights is None or self._tokenizer is None:
            raise ModelError("the embedding model was closed; load it again to embed")
        return self._weights, self._tokenizer


def _numpy_forward(
    weights: bert_math.BertWeights, ids: bert_math.Ints, mask: bert_math.Floats
) -> bert_math.Floats:
    """The numpy forward pass; a batch of one short text (a query) takes the single-sequence
    path, ~15% faster for a few tokens (one row: _pad added no padding)."""
    if ids.shape[0] == 1 and ids.shape[1] <= bert_query.MAX_TOKENS:
        return bert_query.embed_sequence(weights, ids[0])[None, :]
    return bert_math.embed_tokens(weights, ids, mask)


def _start_onnx(weights: bert_math.BertWeights, int8: TextTokenizer | None) -> Any:
    """An OnnxBatchEngine, int8 when given the tokenizer for its calibration texts;
    ModelError naming the fix when the extra is missing or fails."""
    from rekall.search import onnx_engine, onnx_int8

    onnx_engine.check_runnable(int8=int8 is not None)
    try:
        if int8 is None:
            return onnx_engine.OnnxBatchEngine(weights)
        calibration = _pad(int8.ids(list(onnx_int8.CALIBRATION_TEXTS)))
        return onnx_engine.OnnxBatchEngine(weights, calibration)
    except Exception as error:  # the runtime's errors share no narrower base class
        raise ModelError(
            f"ONNX Runtime could not run the model ({error}); "
            "rekall config set bulk_engine numpy goes back to numpy"
        ) from error


def _cpu_count() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _embed_chunk(
    forward: Forward,
    tokenizer: TextTokenizer,
    texts: Sequence[str],
    offset: int,
    out: NDArray[np.float32],
    pool: ThreadPoolExecutor | None,
) -> None:
    """Embed texts into out[offset:], batch by batch, on the pool's threads if given."""
    encodings = tokenizer.ids(list(texts))

    def run(batch: tuple[NDArray[np.intp], bert_math.Ints, bert_math.Floats]) -> None:
        rows, ids, mask = batch
        out[offset + rows] = forward(ids, mask)

    if pool is None:
        for batch in _batches(encodings):
            run(batch)
    else:
        # Consuming the iterator re-raises the first error of any batch.
        for _ in pool.map(run, _batches(encodings)):
            pass


def _batches(
    encodings: list[list[int]],
) -> Iterator[tuple[NDArray[np.intp], bert_math.Ints, bert_math.Floats]]:
    """Yield (row indexes, padded ids, mask), grouping texts of similar length."""
    order = sorted(range(len(encodings)), key=lambda i: len(encodings[i]))
    start = 0
    while start < len(order):
        end = start + 1
        while end < len(order) and end - start < BATCH_TEXTS:
            # Sorted ascending, so the next text sets the padded length.
            if (end - start + 1) * len(encodings[order[end]]) > BATCH_TOKENS:
                break
            end += 1
        rows = np.array(order[start:end], dtype=np.intp)
        yield rows, *_pad([encodings[i] for i in order[start:end]])
        start = end


def _pad(encodings: list[list[int]]) -> tuple[bert_math.Ints, bert_math.Floats]:
    seq = max(len(encoding) for encoding in encodings)
    ids = np.zeros((len(encodings), seq), dtype=np.int64)
    mask = np.zeros((len(encodings), seq), dtype=np.float32)
    for row, encoding in enumerate(encodings):
        ids[row, : len(encoding)] = encoding
        mask[row, : len(encoding)] = 1.0
    return ids, mask


def load_embedder(
    model_dir: Path | ModelLocation,
    model_id: str = MODEL_ID,
    cache_dir: Path | None = None,
) -> MiniLMEmbedder:
    """Map the weights of `model_dir` (no copy) and load its tokenizer (cache_dir keeps
    what makes the next load faster; see tokenizing.py). A ModelLocation is a folder
    locate_model has just checked: it is not checked again, nor its weights' header read
    twice.

    Raises ModelError naming the file when one is missing, corrupt or of the wrong shape.
    """
    if isinstance(model_dir, ModelLocation):
        folder, header = model_dir.path, model_dir.header
    else:
        folder, header = model_dir, verify_model_dir(model_dir)
    config = read_model_config(folder)
    tokenizer = load_tokenizer(folder / "tokenizer.json", cache_dir)
    weights, mapping = map_weights(folder / "model.safetensors", config, header)
    return MiniLMEmbedder(model_id, weights, mapping, tokenizer)
