"""int8 graphs whose scores do not depend on batch-mates, and the fp32 graph behind one.

Dynamic quantization (``quantize_dynamic``) computes each activation's scale over the whole
padded batch at run time, so a text's scores moved with the other texts in its batch (by up
to ~0.07). Here activations get *static* scales, calibrated once on training texts, in the
QDQ format with one weight scale per output channel (``quantize_static``): a text's scores
are the same alone and in any batch, padded to any length.

Two choices keep the static graphs as close to fp32 as the dynamic ones, nearly as fast, and equal
on every CPU:

- **only the inputs of a MatMul are quantized, not its output.** By default the quantizer
  also rounds every MatMul's result to uint8 with a calibrated range before the bias is
  added; that second rounding was what cost the earlier static graphs their accuracy
  (GoEmotions dev mean |delta p| 0.0071 with it, 0.0026 without:
  benchmarks/quantization_dev.py) and cost speed.
- **7-bit int8 weights** (``reduce_range``: -64..64, per channel; the embedding tables,
  which are looked up and never multiplied, keep 8 bits). onnxruntime's uint8 x
  int8 kernel is the fast one, but on x86 CPUs without VNNI it adds pairs of products in
  int16 and saturates at full range (255 * 127 * 2 > 32767), so one graph gave different
  scores on different CPU kinds; with 7-bit weights no pair can overflow (255 * 64 * 2 <
  32767), so every CPU computes the exact sums. The uint8 x uint8 kernel (1.3.1's choice) is
  exact too, but it does not use VNNI: on a CPU with VNNI it ran at 0.49x the texts/s of a
  dynamic graph of the same weights, against 0.85x for 7-bit weights, at a mean |delta p| of
  0.0026 vs 0.0028 (GoEmotions dev, benchmarks/quantization_dev.py). 7-bit embedding tables
  cost accuracy (conversation dev EmoBank r_V 0.0069 below fp32: batch_stability.py on the
  graph of commit 8e58367), so they keep 8 bits.

Four rewrites of the quantizer's graph keep the rounding to what the integer MatMuls
multiply, and the speed of the dynamic graphs (``benchmarks/batch_stability.py``):

- **the residual stream is not rounded.** The quantizer rounds an activation once and hands
  the rounded copy to every reader, so the residual Adds after each LayerNorm read uint8
  values too; here every reader but the quantized MatMul reads the fp32 tensor.
- **embedding rows are dequantized after the lookup** (``Gather -> DequantizeLinear``);
  the quantizer's ``DequantizeLinear -> Gather`` made onnxruntime dequantize the whole
  30522 x 384 table on every call, whatever the batch.
- **biases are fused** into ``com.microsoft.MatMulIntegerToFloat`` (the op onnxruntime
  turns a QDQ MatMul into anyway), instead of an Add after each of them.
- **no NaN guard after the attention Softmax** (``Where(IsNaN(p), 0, p)``, the exporter's
  guard for a row with every key masked, which emotive's inputs never have: each has
  [CLS]). The same bits, about 10% less time (``drop_nan_guards`` does it to a graph
  already made).

``dequantize`` rebuilds an fp32 graph from an int8 one (weights dequantized, activation
rounding removed), for models whose fp32 export is gone: it is the "fp32 twin" that a static
graph is calibrated from and compared against. Needs ``onnx`` and ``onnxruntime`` (the
``[train]`` extra).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from emotive._errors import ConfigError

CALIBRATION_TEXTS = 512  # texts the activation ranges are measured on
CALIBRATION_BATCH = 16


def _initializers(graph: Any) -> dict[str, np.ndarray]:
    from onnx import numpy_helper

    return {i.name: numpy_helper.to_array(i) for i in graph.initializer}


def _producers(graph: Any) -> dict[str, Any]:
    """Each tensor name -> the node that writes it."""
    return {o: n for n in graph.node for o in n.output}


def _readers(graph: Any) -> dict[str, list[Any]]:
    """Each tensor name -> the nodes that read it."""
    readers: dict[str, list[Any]] = {}
    for n in graph.node:
        for name in n.input:
            readers.setdefault(name, []).append(n)
    return readers


def _dequantized(inits: dict[str, np.ndarray], qname: str) -> np.ndarray:
    """``(q - zero_point) * scale`` for an initializer ``X_quantized`` (per-tensor or per column)."""
    base = qname[: -len("_quantized")]
    q = inits[qname].astype(np.float32)
    scale = inits[base + "_scale"].astype(np.float32)
    zero = inits[base + "_zero_point"].astype(np.float32)
    return ((q - zero) * scale).astype(np.float32)


def _rewrite(graph: Any, inits: dict[str, np.ndarray]) -> tuple[list[Any], dict[str, np.ndarray]]:
    """Nodes of ``graph`` with every MatMulInteger / quantized Gather turned back into fp32."""
    from onnx import helper

    producer, consumers = _producers(graph), _readers(graph)
    fp32: dict[str, np.ndarray] = {}
    new_nodes, dropped = [], set()
    for n in graph.node:
        if n.op_type == "MatMulInteger":
            x = producer[n.input[0]].input[0]  # the DynamicQuantizeLinear's input
            w = n.input[1][: -len("_quantized")]
            fp32[w] = _dequantized(inits, n.input[1])
            cast = consumers[n.output[0]][0]
            mul = next(c for c in consumers[cast.output[0]] if c.op_type == "Mul")
            dropped.update({id(cast), id(mul)})
            new_nodes.append(helper.make_node("MatMul", [x, w], [mul.output[0]], name=n.name + "_fp32"))
        elif n.op_type == "Gather" and n.input[0].endswith("_quantized") and n.input[0] in inits:
            w = n.input[0][: -len("_quantized")]
            fp32[w] = _dequantized(inits, n.input[0])
            dq = consumers[n.output[0]][0]
            dropped.add(id(dq))
            new_nodes.append(helper.make_node("Gather", [w, n.input[1]], [dq.output[0]], name=n.name))
        elif id(n) not in dropped:
            new_nodes.append(n)
    return [n for n in new_nodes if id(n) not in dropped], fp32


def _prune(graph: Any) -> None:
    """Drop nodes whose outputs nothing reads, then initializers no node reads."""
    needed = {o.name for o in graph.output}
    keep = []
    for n in reversed(list(graph.node)):
        if any(o in needed for o in n.output):
            keep.append(n)
            needed.update(n.input)
    del graph.node[:]
    graph.node.extend(reversed(keep))
    used = [i for i in graph.initializer if i.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(used)


def _rewrite_qdq(graph: Any, inits: dict[str, np.ndarray]) -> tuple[list[Any], dict[str, np.ndarray]]:
    """Nodes of a static QDQ ``graph`` with every weight ``DequantizeLinear`` turned into an
    fp32 initializer and every activation ``QuantizeLinear -> DequantizeLinear`` pair removed."""
    from onnx import helper

    producer = _producers(graph)
    fp32: dict[str, np.ndarray] = {}
    alias: dict[str, str] = {}  # a DequantizeLinear's output -> the fp32 tensor it stands for
    for n in graph.node:
        if n.op_type != "DequantizeLinear":
            continue
        if n.input[0] in inits:  # a weight: (q - zero) * scale, per tensor or per axis
            q = inits[n.input[0]].astype(np.float32)
            scale = inits[n.input[1]].astype(np.float32)
            zero = inits[n.input[2]].astype(np.float32) if len(n.input) > 2 and n.input[2] else 0.0
            axis = next((a.i for a in n.attribute if a.name == "axis"), 1)
            if np.ndim(scale) == 1 and scale.size > 1:
                shape = [1] * q.ndim
                shape[axis] = -1
                scale, zero = scale.reshape(shape), np.reshape(zero, shape) if np.ndim(zero) else zero
            fp32[n.output[0]] = ((q - zero) * scale).astype(np.float32)
        elif n.input[0] in producer and producer[n.input[0]].op_type == "QuantizeLinear":
            alias[n.output[0]] = producer[n.input[0]].input[0]
        elif n.input[0] in producer and producer[n.input[0]].op_type == "Gather" and \
                producer[n.input[0]].input[0] in inits:  # rows of an int8 table: _gather_then_dequantize
            gather = producer[n.input[0]]
            table = gather.input[0]
            zero = inits[n.input[2]].astype(np.float32) if len(n.input) > 2 and n.input[2] else 0.0
            fp32[table + "_fp32"] = ((inits[table].astype(np.float32) - zero)
                                     * inits[n.input[1]].astype(np.float32)).astype(np.float32)
            gather.input[0], gather.output[0] = table + "_fp32", n.output[0]
    nodes = []
    for n in graph.node:
        if n.op_type in ("QuantizeLinear", "DequantizeLinear"):
            continue
        if n.op_type == "MatMulIntegerToFloat" and n.input[1] in inits:  # with its bias: _fuse_bias
            q = inits[n.input[1]].astype(np.float32)
            zero = inits[n.input[5]].astype(np.float32) if len(n.input) > 5 and n.input[5] else 0.0
            w = n.input[1] + "_fp32"
            fp32[w] = ((q - zero) * inits[n.input[3]].astype(np.float32)).astype(np.float32)
            x = producer[n.input[0]].input[0]  # the QuantizeLinear's fp32 input
            if len(n.input) > 6 and n.input[6]:
                nodes.append(helper.make_node("MatMul", [x, w], [n.output[0] + "_no_bias"], name=n.name))
                nodes.append(helper.make_node("Add", [n.output[0] + "_no_bias", n.input[6]], [n.output[0]],
                                              name=n.name + "_bias"))
            else:
                nodes.append(helper.make_node("MatMul", [x, w], [n.output[0]], name=n.name))
            continue
        for i, name in enumerate(n.input):
            n.input[i] = alias.get(name, name)
        nodes.append(n)
    for o in graph.output:  # a graph output that a DequantizeLinear wrote
        if o.name in alias:
            nodes.append(helper.make_node("Identity", [alias[o.name]], [o.name]))
    return nodes, fp32


def dequantize(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Write an fp32 graph with ``src``'s int8 weights dequantized (a dynamic graph, or a
    static QDQ one, whose activation rounding is removed too).

    The result computes what ``src`` computes without activation rounding: its fp32 twin.
    """
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(src))
    graph = model.graph
    inits = _initializers(graph)
    if any(n.op_type == "QuantizeLinear" or (n.op_type == "DequantizeLinear" and n.input[0] in inits)
           for n in graph.node) and not any(n.op_type == "MatMulInteger" for n in graph.node):
        nodes, fp32 = _rewrite_qdq(graph, inits)
    else:
        nodes, fp32 = _rewrite(graph, inits)
    if not fp32:
        raise ConfigError(f"{src} has no quantized weights to dequantize")
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(numpy_helper.from_array(a, name) for name, a in fp32.items())
    _prune(graph)
    onnx.save(model, str(dst))


class _Reader:
    """``CalibrationDataReader`` over tokenized batches (padded to each batch's longest)."""

    def __init__(self, batches: list[dict[str, np.ndarray]]):
        self._it: Iterator[dict[str, np.ndarray]] = iter(batches)

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._it, None)


def calibration_batches(texts: Sequence[Any], tokenizer: Any) -> list[dict[str, np.ndarray]]:
    """Feeds for calibration: ``texts`` (strings or ``(text, context)`` pairs) in small batches."""
    from emotive.models import pad

    feeds = []
    for start in range(0, len(texts), CALIBRATION_BATCH):
        enc = pad(tokenizer.encode_batch(list(texts[start:start + CALIBRATION_BATCH])))
        feeds.append({"input_ids": enc.input_ids, "attention_mask": enc.attention_mask})
    return feeds


def _weight_nodes(model_path: Path) -> tuple[list[str], list[str]]:
    """What gets int8: the names of MatMul nodes with a constant weight and of embedding
    Gathers (the attention products of two activations stay fp32, as in the dynamic graphs),
    and the embedding tables those Gathers read."""
    import onnx

    graph = onnx.load(str(model_path)).graph
    consts = {i.name for i in graph.initializer}
    names, tables = [], []
    for n in graph.node:
        if n.op_type == "MatMul" and n.input[1] in consts:
            names.append(n.name)
        elif n.op_type == "Gather" and n.input[0] in consts and "embeddings" in n.input[0]:
            names.append(n.name)
            tables.append(n.input[0])
    return names, tables


def _unround_other_readers(graph: Any, consts: set[str], quantized: Sequence[str]) -> None:
    """Let every node but the ``quantized`` ones read an activation unrounded.

    The QDQ quantizer rounds an activation once and every reader of the tensor gets the
    rounded copy: a LayerNorm output feeds the next MatMul (meant to be quantized) and also
    the residual Add, so the residual stream itself was rounded to uint8 at every layer.
    Those other readers are pointed back at the fp32 tensor.
    """
    producer = _producers(graph)
    fp32_of = {}  # an activation DequantizeLinear's output -> the tensor its QuantizeLinear read
    for n in graph.node:
        q = producer.get(n.input[0])
        if n.op_type == "DequantizeLinear" and n.input[0] not in consts and q is not None \
                and q.op_type == "QuantizeLinear":
            fp32_of[n.output[0]] = q.input[0]
    keep = set(quantized)
    for n in graph.node:
        if n.name not in keep:
            for i, name in enumerate(n.input):
                n.input[i] = fp32_of.get(name, name)


def _gather_then_dequantize(graph: Any, consts: set[str]) -> None:
    """Look up rows of an int8 embedding table, then dequantize them (per-tensor scale).

    The QDQ quantizer writes ``table_q -> DequantizeLinear -> Gather``, and onnxruntime
    dequantizes the whole table (30522 x 384 for the word embeddings) on every call, whatever
    the batch; ``Gather -> DequantizeLinear`` computes the same rows.
    """
    from onnx import helper

    producer, readers = _producers(graph), _readers(graph)
    scalars = {i.name for i in graph.initializer if int(np.prod(i.dims)) == 1}
    nodes, moved = [], set()
    for n in graph.node:
        dq = producer.get(n.input[0]) if n.op_type == "Gather" else None
        if dq is None or dq.op_type != "DequantizeLinear" or dq.input[0] not in consts or \
                not all(i in scalars for i in dq.input[1:] if i):
            nodes.append(n)
            continue
        rows = n.output[0] + "_quantized_rows"
        alone = len(readers[dq.output[0]]) == 1  # else the whole-table DequantizeLinear stays for the others
        nodes.append(helper.make_node("Gather", [dq.input[0], n.input[1]], [rows], name=n.name,
                                      axis=next((a.i for a in n.attribute if a.name == "axis"), 0)))
        nodes.append(helper.make_node("DequantizeLinear", [rows, *dq.input[1:]], [n.output[0]],
                                      name=dq.name if alone else dq.name + "_rows"))
        if alone:
            moved.add(id(dq))
    del graph.node[:]
    graph.node.extend(n for n in nodes if id(n) not in moved)


def _fuse_bias(model: Any, consts: set[str]) -> None:
    """``QuantizeLinear -> DequantizeLinear -> MatMul -> Add(bias)`` as one
    ``com.microsoft.MatMulIntegerToFloat`` with its bias: the op onnxruntime fuses the QDQ
    MatMul into anyway, less the separate Add it leaves after each. The same integer products
    and the same float result."""
    from onnx import helper

    graph = model.graph
    producer, readers = _producers(graph), _readers(graph)
    vectors = {i.name for i in graph.initializer if len(i.dims) == 1}
    fused: dict[int, Any] = {}  # id(MatMul) -> the fused node
    dropped: set[int] = set()  # the Adds it absorbed
    for n in graph.node:
        if n.op_type != "MatMul":
            continue
        a_dq, w_dq = (producer.get(i) for i in n.input)
        users = readers.get(n.output[0], [])
        if a_dq is None or w_dq is None or a_dq.op_type != "DequantizeLinear" or w_dq.op_type != "DequantizeLinear" \
                or w_dq.input[0] not in consts or len(users) != 1 or users[0].op_type != "Add":
            continue
        q, add = producer.get(a_dq.input[0]), users[0]
        bias = next((i for i in add.input if i != n.output[0]), None)
        if q is None or q.op_type != "QuantizeLinear" or bias is None or bias not in vectors or len(a_dq.input) < 3 \
                or len(w_dq.input) < 3:
            continue
        fused[id(n)] = helper.make_node(
            "MatMulIntegerToFloat",
            [a_dq.input[0], w_dq.input[0], a_dq.input[1], w_dq.input[1], a_dq.input[2], w_dq.input[2], bias],
            [add.output[0]], name=n.name, domain="com.microsoft")
        dropped.add(id(add))
    if not fused:
        return
    nodes = [fused.get(id(n), n) for n in graph.node if id(n) not in dropped]
    del graph.node[:]
    graph.node.extend(nodes)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))


def _drop_nan_guards(graph: Any) -> int:
    """``Where(IsNaN(p), 0, p)`` after each attention Softmax -> ``p``; returns how many.
    Their readers read ``p``; ``_prune`` then drops the unread guard nodes.

    The exporter guards against a row whose keys are all masked (-inf everywhere, so the
    Softmax is NaN). Every input emotive builds has at least one key ([CLS]), so the guard
    never fires: dropping it gives the same bits, without two passes over every
    batch x heads x length x length tensor (about 10% of a graph's time)."""
    producer = _producers(graph)
    outputs = {o.name for o in graph.output}
    kept: dict[str, str] = {}  # the guard's output -> the Softmax output it passes on
    for n in graph.node:
        test = producer.get(n.input[0]) if n.op_type == "Where" else None
        softmax = producer.get(n.input[2]) if test is not None else None
        if test is not None and test.op_type == "IsNaN" and test.input[0] == n.input[2] \
                and softmax is not None and softmax.op_type == "Softmax" and n.output[0] not in outputs:
            kept[n.output[0]] = n.input[2]
    for n in graph.node:
        for i, name in enumerate(n.input):
            if name in kept:
                n.input[i] = kept[name]
    return len(kept)


def drop_nan_guards(path: str | os.PathLike[str]) -> int:
    """``_drop_nan_guards`` on the graph file at ``path``, in place (not written when it
    has none); returns how many guards went."""
    import onnx

    model = onnx.load(str(path))
    count = _drop_nan_guards(model.graph)
    if count:
        _prune(model.graph)
        onnx.save(model, str(path))
    return count


def _rewrite_static(path: Path, quantized: Sequence[str]) -> None:
    """The four rewrites of the module docstring, on the quantizer's graph at ``path``."""
    import onnx

    model = onnx.load(str(path))
    consts = {i.name for i in model.graph.initializer}
    _unround_other_readers(model.graph, consts, quantized)
    _gather_then_dequantize(model.graph, consts)
    _fuse_bias(model, consts)
    _drop_nan_guards(model.graph)
    _prune(model.graph)
    onnx.save(model, str(path))


def quantize_static_int8(src: str | os.PathLike[str], dst: str | os.PathLike[str],
                         calibration: Sequence[Any], tokenizer: Any, *, weights: str = "int7",
                         round_matmul_results: bool = False, round_residuals: bool = False) -> None:
    """Static QDQ int8: per-channel 7-bit int8 weights, uint8 activations with fixed scales
    measured (min/max) on ``calibration`` texts, so every text's scores are independent of its
    batch.

    Only the inputs of the weight MatMuls and the embedding tables are quantized (the layers
    that the dynamic graphs quantized; MatMul results stay fp32), so size and speed stay
    those of int8 (see the module docstring for why 7-bit weights and unrounded outputs).
    ``weights="int8"`` (full range) or ``"uint8"`` and ``round_matmul_results`` rebuild the
    earlier methods (1.3.0: int8, every MatMul result rounded to uint8; 1.3.1: uint8), and
    ``round_residuals`` the graph as the quantizer writes it, without the four rewrites of
    the module docstring (the method of GoEmotions 1.3.2 and 1.4.0), for
    benchmarks/quantization_dev.py.
    """
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if not calibration:
        raise ConfigError("static quantization needs calibration texts; got none")
    if weights not in ("int7", "int8", "uint8"):
        raise ConfigError(f"weights must be int7, int8 or uint8; got {weights!r}")
    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
        nodes, tables = _weight_nodes(pre)
        quantize_static(
            str(pre), str(dst), _Reader(calibration_batches(calibration, tokenizer)),
            quant_format=QuantFormat.QDQ, per_channel=True, reduce_range=weights == "int7",
            weight_type=QuantType.QUInt8 if weights == "uint8" else QuantType.QInt8,
            activation_type=QuantType.QUInt8, calibrate_method=CalibrationMethod.MinMax,
            nodes_to_quantize=nodes,
            extra_options={"CalibTensorRangeSymmetric": False,
                           "OpTypesToExcludeOutputQuantization": [] if round_matmul_results else ["MatMul"],
                           # the tables are looked up, never multiplied: they keep all 8 bits
                           "TensorQuantOverrides": {t: [{"reduce_range": False}] for t in tables}},
        )
        if not round_residuals:
            _rewrite_static(Path(dst), nodes)
