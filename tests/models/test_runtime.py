from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from emotive import ModelError
from emotive.models import OnnxModel, load_manifest, resolve_model, shipped_models


def test_bucketing_keeps_input_order(tiny_fp32) -> None:
    texts = ["a much longer sentence that has quite a few more tokens than the others",
             "short", "medium length text here", "x"] * 5
    model = OnnxModel(tiny_fp32, threads=1, batch_size=3)
    together = model.predict(texts).outputs["goemotions"]
    alone = np.vstack([model.predict([t]).outputs["goemotions"] for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert len({tuple(np.round(r, 5)) for r in alone}) == 4  # the texts do differ


@pytest.mark.parametrize("name", ["emotive.goemotions-minilm.v1", "emotive.conversation-minilm.v1"])
def test_batches_run_side_by_side_score_exactly_as_one_after_another(name: str) -> None:
    texts = ["I can't believe they cancelled it again.", "thanks so much!!", "ok", "Fine. Whatever.",
             "This is the best day of my life and I want everyone to know it", "why would you do that"] * 3
    inputs = texts if "goemotions" in name else [(t, "(other) " + u) for t, u in zip(texts, reversed(texts))]
    side_by_side = OnnxModel(resolve_model(name), threads=2, batch_size=4)
    one_by_one = OnnxModel(resolve_model(name), threads=1, batch_size=4)
    a, b = side_by_side.predict(inputs), one_by_one.predict(inputs)
    assert side_by_side._solo is not None and one_by_one._solo is None  # each took its path
    for head in a.outputs:
        np.testing.assert_array_equal(a.outputs[head], b.outputs[head])
    batches = side_by_side.preprocess(inputs)
    assert [idx.tolist() for idx, _, _ in side_by_side.run(batches)] == [idx.tolist() for idx, _ in batches]


def test_one_batch_runs_on_the_threaded_session(tiny_model) -> None:
    model = OnnxModel(tiny_model, threads=2)
    model.predict(["one", "batch"])
    assert model._solo is None and model._session is not None


def test_long_texts_are_truncated_and_flagged(tiny_model) -> None:
    model = OnnxModel(tiny_model, threads=1)
    pred = model.predict(["word " * 500, "short"])
    assert pred.truncated.tolist() == [True, False]


def test_missing_and_malformed_model_dirs(tmp_path, tiny_model) -> None:
    with pytest.raises(ModelError, match="no model directory"):
        load_manifest(tmp_path)
    bad = tmp_path / "bad"
    shutil.copytree(tiny_model, bad)
    raw = json.loads((bad / "manifest.json").read_text())
    del raw["heads"]
    (bad / "manifest.json").write_text(json.dumps(raw))
    with pytest.raises(ModelError, match="malformed"):
        load_manifest(bad)


def test_corrupt_graph_gives_a_model_error(tmp_path, tiny_model) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(tiny_model, bad)
    (bad / "model.onnx").write_bytes(b"not a graph")
    with pytest.raises(ModelError, match="cannot load"):
        OnnxModel(bad).predict(["hi"])


def test_registry_finds_the_shipped_model_by_name_and_path(tiny_model) -> None:
    shipped = {m.name: m for m in shipped_models()}
    assert "emotive.goemotions-minilm.v1" in shipped
    assert resolve_model("emotive.goemotions-minilm.v1").path == shipped["emotive.goemotions-minilm.v1"].path
    assert resolve_model(tiny_model).path == tiny_model
    with pytest.raises(ModelError, match="unknown model 'nope'.*emotive.goemotions-minilm.v1"):
        resolve_model("nope")


def test_shipped_files_match_their_sha256() -> None:
    from hashlib import sha256

    for m in shipped_models():
        raw = json.loads((m.path / "manifest.json").read_text())
        for rel, digest in raw["sha256"].items():
            assert sha256((m.path / rel).read_bytes()).hexdigest() == digest, (m.name, rel)
        assert (m.path / "README.md").is_file()  # every shipped model has its card
