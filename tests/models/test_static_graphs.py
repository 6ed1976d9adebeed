"""The shipped GoEmotions, conversation and planner graphs are static int8 (the planner of the
method before the current one):
scores do not move with batch-mates (issue 14, part 3; measured on real dev inputs in
benchmarks/batch_stability.py). The respond encoder stays dynamic for now (its model card
says why)."""

from __future__ import annotations

import numpy as np
import pytest

from emotive.models import OnnxModel, resolve_model

pytest.importorskip("onnx")

TEXTS = ["ok", "This is terrible.", "Thank you so much, this means a lot to me!",
         "I'm really worried the refund won't come through before rent is due."]
LONG = "I keep thinking about what happened at work today and " * 12
GRAPHS = [("emotive.goemotions-minilm.v1", "model"), ("emotive.conversation-minilm.v1", "model"),
          ("emotive.respond-minilm.v1", "strategy_model")]


@pytest.mark.parametrize(("name", "key"), GRAPHS)
def test_every_shipped_graph_is_static_of_the_current_method(name: str, key: str) -> None:
    import onnx
    from onnx import TensorProto

    from emotive.training.quantize import KEEP, METHOD_NOTE, is_static

    manifest = resolve_model(name)
    graph = manifest.file(key)
    assert is_static(graph)
    note = manifest.extra["quantization"][manifest.files[key]]
    if (name, key) in KEEP:  # kept static of the method before (training/quantize.py says why)
        assert note.startswith("static QDQ int8 (u8 x s7)")
    else:
        assert note == METHOD_NOTE
    # every MatMul weight is 7-bit int8, so onnxruntime's u8 x s8 kernel cannot saturate on any
    # CPU (255 * 64 * 2 < 32767); the embedding tables are looked up, not multiplied
    from onnx import numpy_helper

    # no NaN guard after the attention Softmax (training/_quantize.py), kept graphs included
    assert not [n for n in onnx.load(str(graph)).graph.node if n.op_type == "IsNaN"]
    quantized = [i for i in onnx.load(str(graph)).graph.initializer if i.name.endswith("_quantized")]
    weights = [i for i in quantized if "embeddings" not in i.name]
    assert weights and {i.data_type for i in weights} == {TensorProto.INT8}
    assert all(np.abs(numpy_helper.to_array(i).astype(int)).max() <= 64 for i in weights)


def test_the_respond_encoder_is_still_dynamic() -> None:
    import onnx

    from emotive.training.quantize import is_static

    manifest = resolve_model("emotive.respond-minilm.v1")
    assert not is_static(manifest.file("model"))
    assert not [n for n in onnx.load(str(manifest.file("model"))).graph.node if n.op_type == "IsNaN"]
    assert manifest.files["model"] not in manifest.extra.get("quantization", {})


def _alone_and_batched(model: OnnxModel, inputs: list, long: object) -> tuple[dict, dict]:
    """Every head's outputs of each input alone, and of all of them in one padded batch."""
    alone = [model.predict([x]).outputs for x in inputs]
    batched = model.predict([*inputs, long, *inputs[::-1]]).outputs
    return {h: np.stack([a[h][0] for a in alone]) for h in batched}, batched


def test_text_scores_alone_equal_scores_in_a_padded_batch() -> None:
    model = OnnxModel(resolve_model("emotive.goemotions-minilm.v1"), threads=1, batch_size=64)
    alone, batched = _alone_and_batched(model, TEXTS, LONG)
    a, b = alone["goemotions"], batched["goemotions"]
    assert np.abs(b[: len(TEXTS)] - a).max() <= 0.005
    assert np.abs(b[len(TEXTS) + 1:][::-1] - a).max() <= 0.005


def test_turn_scores_alone_equal_scores_in_a_padded_batch() -> None:
    model = OnnxModel(resolve_model("emotive.conversation-minilm.v1"), threads=1, batch_size=64)
    pairs = [(t, "A: hi, how did it go?") for t in TEXTS]
    alone, batched = _alone_and_batched(model, pairs, (LONG, LONG))
    assert np.abs(batched["context7"][: len(TEXTS)] - alone["context7"]).max() <= 0.005
    assert np.abs(batched["vad"][: len(TEXTS)] - alone["vad"]).max() <= 0.005


def test_planner_probabilities_alone_equal_those_in_a_padded_batch() -> None:
    from emotive.respond.strategy import SEEKER, SUPPORTER, StrategyPlanner

    planner = StrategyPlanner(guard=False)
    steps = [[(SEEKER, t)] for t in TEXTS]
    alone = np.stack([planner.probs([s], [[]])[0] for s in steps])
    batched = planner.probs([*steps, [(SEEKER, LONG), (SUPPORTER, LONG)]], [[]] * (len(steps) + 1))
    assert np.abs(batched[: len(TEXTS)] - alone).max() <= 0.005


def test_requantize_from_a_twin_needs_the_file_and_one_graph(tmp_path) -> None:
    from emotive._errors import ConfigError
    from emotive.training.quantize import requantize

    folder = resolve_model("emotive.respond-minilm.v1").path
    with pytest.raises(ConfigError, match="no such file"):
        requantize(folder, twin=tmp_path / "missing.onnx")
    twin = tmp_path / "twin.onnx"
    twin.write_bytes(b"")
    with pytest.raises(ConfigError, match="--key"):
        requantize(folder, keys=["model", "strategy_model"], twin=twin)
