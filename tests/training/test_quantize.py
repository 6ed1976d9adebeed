"""Static int8 quantization: scores independent of batch-mates, the fp32 twin, requantize."""

from __future__ import annotations

import json
import shutil
from hashlib import sha256
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnx")

from emotive._errors import ConfigError  # noqa: E402
from emotive.models import OnnxModel  # noqa: E402
from emotive.training._quantize import dequantize, drop_nan_guards  # noqa: E402
from emotive.training.quantize import is_static, requantize  # noqa: E402

TEXTS = ["ok", "I love this so much!", "this build is broken again, ugh",
         "Thank you, that really helps a lot with the move next week."]
LONG = "word " * 200


def _alone_and_batched(model: OnnxModel) -> tuple[np.ndarray, np.ndarray]:
    alone = np.stack([model.predict([t]).outputs["goemotions"][0] for t in TEXTS])
    # one batch with a long mate: every text is padded to the longest
    model.batch_size = 64
    batched = model.predict([*TEXTS, LONG]).outputs["goemotions"][: len(TEXTS)]
    return alone, batched


def _dynamic_copy(tiny_model: Path, tiny_fp32: Path, tmp_path: Path) -> Path:
    """The tiny model as it was shipped before: dynamic int8 from its fp32 graph."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder = tmp_path / "dynamic"
    shutil.copytree(tiny_model, folder)
    quantize_dynamic(str(tiny_fp32 / "model.onnx"), str(folder / "model.onnx"),
                     weight_type=QuantType.QInt8, per_channel=True)
    return folder


def test_the_recipe_graph_is_static_and_batch_independent(tiny_model: Path) -> None:
    assert is_static(tiny_model / "model.onnx")
    alone, batched = _alone_and_batched(OnnxModel(tiny_model, threads=1))
    assert np.abs(alone - batched).max() <= 1e-6


def test_requantize_makes_a_dynamic_graph_static(tiny_model: Path, tiny_fp32: Path, tmp_path: Path,
                                                 training_data) -> None:  # type: ignore[no-untyped-def]
    folder = _dynamic_copy(tiny_model, tiny_fp32, tmp_path)
    assert not is_static(folder / "model.onnx")
    assert requantize(folder, data=str(training_data("goemotions"))) == ["model"]
    assert is_static(folder / "model.onnx")
    raw = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert raw["sha256"]["model.onnx"] == sha256((folder / "model.onnx").read_bytes()).hexdigest()
    assert "static QDQ int8" in raw["quantization"]["model.onnx"]
    assert len(raw["heads"]["goemotions"]["thresholds"]) == len(raw["heads"]["goemotions"]["labels"])
    alone, batched = _alone_and_batched(OnnxModel(folder, threads=1))
    assert np.abs(alone - batched).max() <= 1e-6
    assert requantize(folder, data=str(training_data("goemotions"))) == []  # already static: untouched


def test_the_dequantized_twin_computes_the_fp32_function(tiny_model: Path, tiny_fp32: Path,
                                                         tmp_path: Path) -> None:
    import onnx

    dynamic = _dynamic_copy(tiny_model, tiny_fp32, tmp_path)
    twin = tmp_path / "twin"
    shutil.copytree(dynamic, twin)
    dequantize(dynamic / "model.onnx", twin / "model.onnx")
    ops = {n.op_type for n in onnx.load(str(twin / "model.onnx")).graph.node}
    assert not ops & {"MatMulInteger", "DynamicQuantizeLinear"}
    got = OnnxModel(twin, threads=1).predict(TEXTS).outputs["goemotions"]
    fp32 = OnnxModel(tiny_fp32, threads=1).predict(TEXTS).outputs["goemotions"]
    assert np.abs(got - fp32).max() < 0.02  # only the int8 rounding of the weights differs
    alone, batched = _alone_and_batched(OnnxModel(twin, threads=1))
    assert np.abs(alone - batched).max() <= 1e-6


def test_dequantize_refuses_a_graph_without_quantized_weights(tiny_fp32: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no quantized weights"):
        dequantize(tiny_fp32 / "model.onnx", tmp_path / "x.onnx")


def test_the_twin_of_a_static_graph_drops_its_rounding(tiny_model: Path, tiny_fp32: Path,
                                                       tmp_path: Path) -> None:
    import onnx

    twin = tmp_path / "static_twin"
    shutil.copytree(tiny_model, twin)
    dequantize(tiny_model / "model.onnx", twin / "model.onnx")  # the recipe's static graph
    ops = {n.op_type for n in onnx.load(str(twin / "model.onnx")).graph.node}
    assert not ops & {"QuantizeLinear", "DequantizeLinear"}
    got = OnnxModel(twin, threads=1).predict(TEXTS).outputs["goemotions"]
    fp32 = OnnxModel(tiny_fp32, threads=1).predict(TEXTS).outputs["goemotions"]
    static = OnnxModel(tiny_model, threads=1).predict(TEXTS).outputs["goemotions"]
    assert np.abs(got - fp32).max() < 0.02  # only the rounding of the weights is left
    assert np.abs(got - static).max() > 0  # the activation rounding is gone


def test_a_static_graph_rounds_only_what_a_matmul_multiplies(tiny_model: Path) -> None:
    import onnx

    graph = onnx.load(str(tiny_model / "model.onnx")).graph
    consts = {i.name for i in graph.initializer}
    producer = {o: n for n in graph.node for o in n.output}
    readers: dict[str, list[str]] = {}
    for n in graph.node:
        for name in n.input:
            readers.setdefault(name, []).append(n.op_type)
    quantized = [n for n in graph.node if n.op_type == "QuantizeLinear"]
    assert quantized
    for q in quantized:  # a rounded activation goes to integer MatMuls only, not the residual stream
        assert set(readers[q.output[0]]) <= {"MatMulIntegerToFloat", "DequantizeLinear"}
        for n in graph.node:
            if n.op_type == "DequantizeLinear" and n.input[0] == q.output[0]:
                assert set(readers[n.output[0]]) == {"MatMul"}
    # the embedding tables: rows looked up in int8, then dequantized (not the whole table per call)
    for n in graph.node:
        if n.op_type == "DequantizeLinear" and n.input[0] in consts:
            assert "Gather" not in readers[n.output[0]]
    lookups = [n for n in graph.node if n.op_type == "Gather" and n.input[0].endswith("_quantized")]
    assert lookups and all(readers[n.output[0]] == ["DequantizeLinear"] for n in lookups)
    fused = [n for n in graph.node if n.op_type == "MatMulIntegerToFloat"]
    assert fused and all(len(n.input) == 7 and producer[n.input[0]].op_type == "QuantizeLinear" for n in fused)


def test_requantize_redoes_a_static_graph_of_an_older_method(tiny_model: Path, tmp_path: Path,
                                                             training_data) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "older"
    shutil.copytree(tiny_model, folder)
    raw = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    raw["quantization"]["model.onnx"] = "static QDQ int8: an older method"
    (folder / "manifest.json").write_text(json.dumps(raw), encoding="utf-8")
    assert requantize(folder, data=str(training_data("goemotions"))) == ["model"]
    from emotive.training.quantize import METHOD_NOTE

    raw = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert raw["quantization"]["model.onnx"] == METHOD_NOTE
    assert requantize(folder, data=str(training_data("goemotions"))) == []


def test_dropping_the_nan_guards_gives_the_same_bits(tiny_fp32: Path, tmp_path: Path) -> None:
    import onnx

    folder = tmp_path / "unguarded"
    shutil.copytree(tiny_fp32, folder)
    guards = sum(n.op_type == "IsNaN" for n in onnx.load(str(folder / "model.onnx")).graph.node)
    assert guards and drop_nan_guards(folder / "model.onnx") == guards
    assert not [n for n in onnx.load(str(folder / "model.onnx")).graph.node if n.op_type == "IsNaN"]
    assert drop_nan_guards(folder / "model.onnx") == 0  # none left: the file is not rewritten
    before, after = OnnxModel(tiny_fp32, threads=1), OnnxModel(folder, threads=1)
    for model in (before, after):
        model.batch_size = 64
    inputs = [*TEXTS, LONG]  # padded to the longest: masked keys in every row but the longest
    (_, batch), = after.preprocess(inputs)
    feed = {"input_ids": batch.input_ids, "attention_mask": batch.attention_mask}
    for new, old in zip(after.session.run(None, feed), before.session.run(None, feed), strict=True):
        np.testing.assert_array_equal(new, old)  # every output of the graph


def test_the_recipe_graph_has_no_nan_guard(tiny_model: Path) -> None:
    import onnx

    assert not [n for n in onnx.load(str(tiny_model / "model.onnx")).graph.node if n.op_type == "IsNaN"]
