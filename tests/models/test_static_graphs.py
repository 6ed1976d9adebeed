"""The shipped GoEmotions graph is static int8: scores do not move with batch-mates (issue
14, part 3; measured on real dev texts in benchmarks/batch_stability.py). The conversation
and respond graphs stay dynamic for now (their model cards say why)."""

from __future__ import annotations

import numpy as np
import pytest

from emotive.models import OnnxModel, resolve_model

pytest.importorskip("onnx")

TEXTS = ["ok", "This is terrible.", "Thank you so much, this means a lot to me!",
         "I'm really worried the refund won't come through before rent is due."]
LONG = "I keep thinking about what happened at work today and " * 12


def test_shipped_text_graph_is_static() -> None:
    from emotive.training.quantize import is_static

    manifest = resolve_model("emotive.goemotions-minilm.v1")
    assert is_static(manifest.file("model"))
    assert not is_static(resolve_model("emotive.conversation-minilm.v1").file("model"))
    assert "static QDQ int8" in manifest.extra["quantization"]["model.onnx"]


def test_shipped_scores_alone_equal_scores_in_a_padded_batch() -> None:
    model = OnnxModel(resolve_model("emotive.goemotions-minilm.v1"), threads=1, batch_size=64)
    alone = np.stack([model.predict([t]).outputs["goemotions"][0] for t in TEXTS])
    batched = model.predict([*TEXTS, LONG, *TEXTS[::-1]]).outputs["goemotions"]
    assert np.abs(batched[: len(TEXTS)] - alone).max() <= 0.005
    assert np.abs(batched[len(TEXTS) + 1:][::-1] - alone).max() <= 0.005
