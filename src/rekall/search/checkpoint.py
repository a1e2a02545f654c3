"""A BERT checkpoint's float32 weights, read in place from its memory-mapped safetensors file."""

from __future__ import annotations

import contextlib
import mmap
from pathlib import Path
from typing import Any

import numpy as np

from rekall.core.errors import ModelError
from rekall.search import bert_math
from rekall.search.model_files import TensorInfo, read_safetensors_header
from rekall.search.tokenizing import MAX_TOKENS


def map_weights(
    file: Path, config: dict[str, Any], header: dict[str, TensorInfo] | None = None
) -> tuple[bert_math.BertWeights, mmap.mmap]:
    """The encoder's weights as views of the mapped file (no copy), and the mapping.
    header: the file's tensors, when the caller has just read them (else they are read).

    Raises ModelError naming the file when it is unreadable, or a tensor is missing or of
    the wrong shape for config.json.
    """
    if header is None:
        header = read_safetensors_header(file)
    try:
        with file.open("rb") as stream:
            mapping = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as error:
        raise ModelError(f"cannot map {file}: {error}") from error
    try:
        return _build_weights(file, header, mapping, config), mapping
    except ModelError:
        with contextlib.suppress(BufferError):  # views made before the error hold it
            mapping.close()
        raise


class _TensorReader:
    """Views of float32 tensors in the mapped file, checked against expected shapes."""

    def __init__(self, file: Path, header: dict[str, TensorInfo], mapping: mmap.mmap) -> None:
        self.file, self.header, self.mapping = file, header, mapping

    def get(self, name: str, *shape: int) -> bert_math.Floats:
        info = self.header.get(name)
        if info is None:
            raise ModelError(f"{self.file} has no tensor {name}; it is not a BERT checkpoint.")
        if info.dtype != "F32" or info.shape != shape:
            raise ModelError(
                f"{self.file}: tensor {name} is {info.dtype}{list(info.shape)}, "
                f"expected F32{list(shape)}; the weights do not match config.json."
            )
        count = int(np.prod(shape))
        if info.end - info.start != count * 4:
            raise ModelError(f"{self.file}: tensor {name} has a wrong byte size.")
        data = np.frombuffer(self.mapping, dtype="<f4", count=count, offset=info.start)
        return data.reshape(shape)

    def pair(self, prefix: str, *shape: int) -> tuple[bert_math.Floats, bert_math.Floats]:
        return self.get(f"{prefix}.weight", *shape), self.get(f"{prefix}.bias", shape[0])


def _build_weights(
    file: Path, header: dict[str, TensorInfo], mapping: mmap.mmap, config: dict[str, Any]
) -> bert_math.BertWeights:
    try:
        hidden = int(config["hidden_size"])
        inner = int(config["intermediate_size"])
        heads = int(config["num_attention_heads"])
        layers = int(config["num_hidden_layers"])
        vocab = int(config["vocab_size"])
        positions = int(config["max_position_embeddings"])
        types = int(config.get("type_vocab_size", 2))
        eps = float(config.get("layer_norm_eps", 1e-12))
    except (KeyError, TypeError, ValueError) as error:
        raise ModelError(f"config.json beside {file} lacks a BERT setting: {error}") from error
    if config.get("hidden_act", "gelu") != "gelu" or hidden % heads or positions < MAX_TOKENS:
        raise ModelError(f"config.json beside {file} describes an unsupported BERT variant.")
    read = _TensorReader(file, header, mapping)
    return bert_math.BertWeights(
        word_embeddings=read.get("embeddings.word_embeddings.weight", vocab, hidden),
        position_embeddings=read.get("embeddings.position_embeddings.weight", positions, hidden),
        token_type_embeddings=read.get("embeddings.token_type_embeddings.weight", types, hidden),
        embedding_norm=(
            read.get("embeddings.LayerNorm.weight", hidden),
            read.get("embeddings.LayerNorm.bias", hidden),
        ),
        layers=tuple(_layer(read, f"encoder.layer.{i}", hidden, inner) for i in range(layers)),
        heads=heads,
        eps=eps,
    )


def _layer(read: _TensorReader, name: str, hidden: int, inner: int) -> bert_math.LayerWeights:
    def norm(prefix: str) -> tuple[bert_math.Floats, bert_math.Floats]:
        return read.get(f"{prefix}.weight", hidden), read.get(f"{prefix}.bias", hidden)

    return bert_math.LayerWeights(
        query=read.pair(f"{name}.attention.self.query", hidden, hidden),
        key=read.pair(f"{name}.attention.self.key", hidden, hidden),
        value=read.pair(f"{name}.attention.self.value", hidden, hidden),
        attention_output=read.pair(f"{name}.attention.output.dense", hidden, hidden),
        attention_norm=norm(f"{name}.attention.output.LayerNorm"),
        intermediate=read.pair(f"{name}.intermediate.dense", inner, hidden),
        output=read.pair(f"{name}.output.dense", hidden, inner),
        output_norm=norm(f"{name}.output.LayerNorm"),
    )
