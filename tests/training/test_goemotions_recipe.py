from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("torch")

from emotive.models import OnnxModel, load_manifest  # noqa: E402
from emotive.training.goemotions import Config, train  # noqa: E402


def test_recipe_writes_a_self_describing_model_dir(tiny_model) -> None:
    m = load_manifest(tiny_model)
    head = m.heads["goemotions"]
    assert m.name == "emotive.goemotions-minilm.v1" and len(head.labels) == 28
    assert len(head.thresholds) == 28 and all(0 < t < 1 for t in head.thresholds)
    assert m.data[0]["license"] == "Apache-2.0" and m.commercial_use
    raw = json.loads((tiny_model / "manifest.json").read_text())
    assert set(raw["sha256"]) == {"model.onnx", "tokenizer.json", "triggers.npz"}
    assert {"macro_f1", "micro_f1", "macro_f1_at_0.5", "per_label_f1"} <= set(m.metrics)


def test_exported_graph_runs_without_torch_and_gives_probabilities(tiny_model) -> None:
    pred = OnnxModel(tiny_model, threads=1).predict(["hello there", "what a day"])
    probs = pred.outputs["goemotions"]
    assert probs.shape == (2, 28) and np.all((probs >= 0) & (probs <= 1))


def test_rerun_resumes_from_the_checkpoint(tmp_path, tiny_base, training_data) -> None:
    data = training_data("goemotions")  # the real corpus, or synthetic without it
    cfg = Config(epochs=1, limit=64, base=str(tiny_base), checkpoint_every=1)
    steps: list[int] = []
    train(tmp_path / "a", work_dir=tmp_path / "w", data=str(data), config=cfg,
          progress=lambda s, t, loss: steps.append(s))
    assert steps == [1, 2]  # 64 rows / batch 32
    again: list[int] = []
    train(tmp_path / "b", work_dir=tmp_path / "w", data=str(data), config=cfg,
          progress=lambda s, t, loss: again.append(s))
    assert again == []  # everything was done: only export and evaluation rerun
    assert (tmp_path / "b" / "model.onnx").exists()


def test_resume_refuses_other_settings(tmp_path, tiny_base, training_data) -> None:
    data = training_data("goemotions")  # the real corpus, or synthetic without it
    cfg = Config(epochs=1, limit=64, base=str(tiny_base), checkpoint_every=1)
    train(tmp_path / "a", work_dir=tmp_path / "w", data=str(data), config=cfg)
    other = Config(epochs=1, limit=64, base=str(tiny_base), checkpoint_every=1, lr=1e-3)
    with pytest.raises(SystemExit, match="other settings"):
        train(tmp_path / "b", work_dir=tmp_path / "w", data=str(data), config=other)


def test_asking_for_more_epochs_extends_a_finished_run(tmp_path, tiny_base, training_data) -> None:
    data = training_data("goemotions")  # the real corpus, or synthetic without it
    cfg = Config(epochs=1, limit=64, base=str(tiny_base), checkpoint_every=1)
    train(tmp_path / "a", work_dir=tmp_path / "w", data=str(data), config=cfg)
    seen: list[tuple[int, int]] = []
    longer = Config(epochs=2, limit=64, base=str(tiny_base), checkpoint_every=1)
    train(tmp_path / "b", work_dir=tmp_path / "w", data=str(data), config=longer,
          progress=lambda s, t, loss: seen.append((s, t)))
    assert seen == [(3, 4), (4, 4)]  # epoch 2 only, on the two-epoch schedule
    epochs = (tmp_path / "w" / "epochs.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in epochs] == [1, 2]
    with pytest.raises(SystemExit, match="other settings"):  # fewer epochs is another run
        train(tmp_path / "c", work_dir=tmp_path / "w", data=str(data), config=cfg)
