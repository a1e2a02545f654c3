"""An optional batch engine: the same BERT graph on ONNX Runtime, built from the mapped weights."""

from __future__ import annotations

import importlib
import importlib.util
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rekall.core.errors import ModelError
from rekall.search import bert_math

# Padding positions get this added to their attention scores, as in bert_math.
_MASKED = np.float32(-1e30)


# With int8, texts of at most this many tokens run exact on numpy instead: they cost little,
# and the int8 error weighs most on them (a one-character text was the worst of all, at
# cosine 0.9990 on onnxruntime 1.23).
EXACT_TOKENS = 16


def available() -> bool:
    """Whether the `onnx` extra (onnx and onnxruntime) is installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("onnx", "onnxruntime"))


def check_runnable(int8: bool) -> None:
    """Raise ModelError naming the fix when the onnx engine (int8: onnx-int8) cannot run
    here: ONNX Runtime is not installed, or int8 products would overflow on this CPU."""
    from rekall.search import onnx_int8

    if not available():
        raise ModelError(
            "performance.bulk_engine is onnx or onnx-int8 but ONNX Runtime is not installed: "
            "pip install 'rekall[onnx]', or rekall config set bulk_engine numpy"
        )
    if int8 and not onnx_int8.exact_int8_products():
        raise ModelError(
            "performance.bulk_engine onnx-int8 needs a CPU with VNNI (or ARM): without it "
            "int8 products can overflow; rekall config set bulk_engine onnx"
        )


@dataclass
class _Graph:
    """Nodes and initializers of the graph being built, with fresh names for each."""

    helper: Any
    numpy_helper: Any
    nodes: list[Any] = field(default_factory=list)
    initializers: list[Any] = field(default_factory=list)
    count: int = 0

    def _name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}_{self.count}"

    def const(self, value: Any) -> str:
        name = self._name("c")
        self.initializers.append(self.numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, kind: str, inputs: list[str], **attributes: Any) -> str:
        name = self._name(kind)
        self.nodes.append(self.helper.make_node(kind, inputs, [name], **attributes))
        return name

    def axes(self, *values: int) -> str:
        return self.const(np.array(values, dtype=np.int64))


def _linear(graph: _Graph, x: str, params: tuple[bert_math.Floats, bert_math.Floats]) -> str:
    weight, bias = params
    product = graph.op("MatMul", [x, graph.const(np.ascontiguousarray(weight.T))])
    return graph.op("Add", [product, graph.const(bias)])


def _norm(
    graph: _Graph, x: str, norm: tuple[bert_math.Floats, bert_math.Floats], eps: float
) -> str:
    inputs = [x, graph.const(norm[0]), graph.const(norm[1])]
    return graph.op("LayerNormalization", inputs, axis=-1, epsilon=eps)


def _attention(
    graph: _Graph, x: str, layer: bert_math.LayerWeights, bias: str, heads: int, linear: Any
) -> str:
    hidden = int(layer.query[0].shape[0])
    size = hidden // heads
    split_shape = graph.const(np.array([0, 0, heads, size], dtype=np.int64))

    def split(params: tuple[bert_math.Floats, bert_math.Floats]) -> str:
        reshaped = graph.op("Reshape", [linear(graph, x, params), split_shape])
        return graph.op("Transpose", [reshaped], perm=[0, 2, 1, 3])

    query = graph.op("Mul", [split(layer.query), graph.const(np.float32(1 / math.sqrt(size)))])
    key = graph.op("Transpose", [split(layer.key)], perm=[0, 1, 3, 2])
    scores = graph.op("Add", [graph.op("MatMul", [query, key]), bias])
    weights = graph.op("Softmax", [scores], axis=-1)
    context = graph.op("MatMul", [weights, split(layer.value)])
    merged = graph.op("Transpose", [context], perm=[0, 2, 1, 3])
    merged = graph.op("Reshape", [merged, graph.const(np.array([0, 0, hidden], dtype=np.int64))])
    return str(linear(graph, merged, layer.attention_output))


def _encoder(graph: _Graph, weights: bert_math.BertWeights, linear: Any) -> None:
    """Nodes from inputs `tokens` [batch, seq, hidden] (word embeddings) and `mask` to `vectors`."""
    seq = graph.op("Gather", [graph.op("Shape", ["mask"]), graph.const(np.int64(1))])
    end = graph.op("Unsqueeze", [seq, graph.axes(0)])
    positions = graph.op("Slice", [graph.const(weights.position_embeddings), graph.axes(0), end])
    h = graph.op("Add", ["tokens", positions])
    h = graph.op("Add", [h, graph.const(weights.token_type_embeddings[0])])
    h = _norm(graph, h, weights.embedding_norm, weights.eps)
    padding = graph.op("Sub", [graph.const(np.float32(1.0)), "mask"])
    bias = graph.op(
        "Unsqueeze", [graph.op("Mul", [padding, graph.const(_MASKED)]), graph.axes(1, 2)]
    )
    for layer in weights.layers:
        attended = graph.op("Add", [_attention(graph, h, layer, bias, weights.heads, linear), h])
        h = _norm(graph, attended, layer.attention_norm, weights.eps)
        inner = graph.op("Gelu", [linear(graph, h, layer.intermediate)])
        out = graph.op("Add", [linear(graph, inner, layer.output), h])
        h = _norm(graph, out, layer.output_norm, weights.eps)
    mask = graph.op("Unsqueeze", ["mask", graph.axes(2)])
    summed = graph.op("ReduceSum", [graph.op("Mul", [h, mask]), graph.axes(1)], keepdims=0)
    count = graph.op("ReduceSum", ["mask", graph.axes(1)], keepdims=1)
    mean = graph.op("Div", [summed, graph.op("Max", [count, graph.const(np.float32(1e-9))])])
    norm = graph.op("ReduceL2", [mean, graph.axes(1)], keepdims=1)
    norm = graph.op("Max", [norm, graph.const(np.float32(1e-12))])
    graph.nodes.append(graph.helper.make_node("Div", [mean, norm], ["vectors"]))


def build_model(
    weights: bert_math.BertWeights, linear: Any = None, probes: list[str] | None = None
) -> bytes:
    """The serialized ONNX model of the encoder, mean pooling and normalisation.

    linear builds each matrix product (fp32 by default); the names it appends to probes
    become extra outputs, after `vectors`.
    """
    onnx: Any = importlib.import_module("onnx")
    graph = _Graph(onnx.helper, onnx.numpy_helper)
    _encoder(graph, weights, linear or _linear)
    hidden = int(weights.word_embeddings.shape[1])
    inputs = [
        onnx.helper.make_tensor_value_info("tokens", onnx.TensorProto.FLOAT, ["b", "s", hidden]),
        onnx.helper.make_tensor_value_info("mask", onnx.TensorProto.FLOAT, ["b", "s"]),
    ]
    outputs = [onnx.helper.make_tensor_value_info("vectors", onnx.TensorProto.FLOAT, ["b", hidden])]
    outputs += [
        onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None)
        for name in probes or ()
    ]
    body = onnx.helper.make_graph(graph.nodes, "minilm", inputs, outputs, graph.initializers)
    # IR version 9 goes with opset 20; onnx's newest default is refused by older runtimes
    # (onnxruntime 1.23, the last for Python 3.10, reads up to 11).
    model = onnx.helper.make_model(
        body, opset_imports=[onnx.helper.make_opsetid("", 20)], ir_version=9
    )
    data: bytes = model.SerializeToString()
    return data


class OnnxBatchEngine:
    """Runs padded batches through ONNX Runtime; safe to call from several threads at once.

    Exact (fp32) by default; with calibration (padded ids and mask of a few texts), int8
    products whose fp32 outlier channels are the calibration's largest activations.
    """

    def __init__(
        self,
        weights: bert_math.BertWeights,
        calibration: tuple[bert_math.Ints, bert_math.Floats] | None = None,
    ) -> None:
        self._weights = weights
        self._word_embeddings = weights.word_embeddings
        self.quantized = calibration is not None
        if calibration is None:
            self._session = _session(build_model(weights))
            return
        from rekall.search import onnx_int8

        probes: list[str] = []
        probe = build_model(weights, onnx_int8.quantized_linear(None, probes), probes)
        ids, mask = calibration
        maxima = _session(probe).run(probes, self._feed(ids, mask))
        outliers = onnx_int8.choose_outliers(maxima)
        model = build_model(weights, onnx_int8.quantized_linear(outliers))
        self._session = _session(model)

    def _feed(self, ids: bert_math.Ints, mask: bert_math.Floats) -> dict[str, Any]:
        return {"tokens": self._word_embeddings[ids], "mask": mask}

    def embed_tokens(self, ids: bert_math.Ints, mask: bert_math.Floats) -> bert_math.Floats:
        """Mean-pooled, L2-normalised vectors [batch, hidden], as bert_math.embed_tokens."""
        short = mask.sum(axis=1) <= EXACT_TOKENS if self.quantized else np.zeros(len(ids), bool)
        if not short.any():
            vectors: bert_math.Floats = self._session.run(["vectors"], self._feed(ids, mask))[0]
            return vectors
        out = np.empty((len(ids), self._word_embeddings.shape[1]), dtype=np.float32)
        seq = min(EXACT_TOKENS, ids.shape[1])
        out[short] = bert_math.embed_tokens(self._weights, ids[short, :seq], mask[short, :seq])
        if not short.all():
            rest = ~short
            out[rest] = self._session.run(["vectors"], self._feed(ids[rest], mask[rest]))[0]
        return out


def _session(model: bytes) -> Any:
    runtime: Any = importlib.import_module("onnxruntime")
    options = runtime.SessionOptions()
    # One thread per call: the caller runs a call per core, as with the numpy engine,
    # and spinning threads would steal a busy machine's cores.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return runtime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
