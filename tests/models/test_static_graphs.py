"""The shipped GoEmotions and conversation graphs are static int8 of one method: scores do
not move with batch-mates (issue 14, part 3; measured on real dev inputs in
benchmarks/batch_stability.py). The respond graphs stay dynamic for now (their model card
says why)."""

from __future__ import annotations

import numpy as np
import pytest

from emotive.models import OnnxModel, resolve_model

pytest.importorskip("onnx")

TEXTS = ["ok", "This is terrible.", "Thank you so much, this means a lot to me!",
         "I'm really worried the refund won't come through before rent is due."]
LONG = "I keep thinking about what happened at work today and " * 12
GRAPHS = [("emotive.goemotions-minilm.v1", "model"), ("emotive.conversation-minilm.v1", "model")]


@pytest.mark.parametrize(("name", "key"), GRAPHS)
def test_every_shipped_graph_is_static_of_the_current_method(name: str, key: str) -> None:
    import onnx
    from onnx import TensorProto

    from emotive.training.quantize import METHOD_NOTE, is_static

    manifest = resolve_model(name)
    graph = manifest.file(key)
    assert is_static(graph)
    assert manifest.extra["quantization"][manifest.files[key]] == METHOD_NOTE
    # u8 x u8 everywhere: no signed weight reaches onnxruntime's saturating u8 x s8 kernel
    kinds = {i.data_type for i in onnx.load(str(graph)).graph.initializer if i.name.endswith("_quantized")}
    assert kinds == {TensorProto.UINT8}


def test_the_respond_graphs_are_still_dynamic() -> None:
    from emotive.training.quantize import is_static

    manifest = resolve_model("emotive.respond-minilm.v1")
    assert not is_static(manifest.file("model")) and not is_static(manifest.file("strategy_model"))


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
