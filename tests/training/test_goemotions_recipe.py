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
    assert set(raw["sha256"]) == {"model.onnx", "tokenizer.json", "emoji.json", "triggers.npz"}
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


def test_extra_corpus_adds_weak_rows_and_marks_the_model_non_commercial(
        tmp_path, tiny_base, training_data) -> None:
    data = training_data("goemotions", "empatheticdialogues")
    cfg = Config(epochs=1, limit=64, base=str(tiny_base), checkpoint_every=1,
                 extra=("empatheticdialogues",))
    from emotive.datasets import goemotions
    from emotive.training.goemotions import _extra

    openings = min(64, len(_extra(cfg, str(data), goemotions.labels(str(data)))[0]))
    assert openings > 0
    steps: list[int] = []
    train(tmp_path / "a", work_dir=tmp_path / "w", data=str(data), config=cfg,
          progress=lambda s, t, loss: steps.append(s))
    assert steps == list(range(1, (64 + openings + 31) // 32 + 1))  # both kinds of rows, batch 32
    m = load_manifest(tmp_path / "a")
    assert [d["license"] for d in m.data] == ["Apache-2.0", "CC-BY-NC-4.0"]
    assert not m.commercial_use


def test_extra_rows_are_masked_outside_their_label(training_data) -> None:
    from emotive.datasets import goemotions
    from emotive.training.goemotions import _extra

    data = str(training_data("goemotions", "empatheticdialogues"))
    labels = goemotions.labels(data)
    texts, y, mask = _extra(Config(extra=("empatheticdialogues",), extra_weight=0.5), data, labels)
    assert len(texts) == len(y) == len(mask) > 0
    assert np.all(y.sum(1) == 1)  # one mapped label each
    pos = y.argmax(1)
    assert np.all(mask[np.arange(len(y)), pos] == 0.5)
    assert np.all(mask[:, labels.index("neutral")] == 0)  # neutral: unknown, no loss
    row = next(i for i in range(len(y)) if labels[pos[i]] == "joy") if "joy" in [labels[p] for p in pos] else None
    if row is not None:  # the other joy-group labels are unknown, anger is a negative
        assert mask[row, labels.index("amusement")] == 0 and mask[row, labels.index("anger")] == 0.5


def test_unknown_extra_corpus_is_refused(training_data) -> None:
    from emotive.datasets import goemotions
    from emotive.training.goemotions import _extra

    data = str(training_data("goemotions"))
    with pytest.raises(ValueError, match="unknown extra corpus 'tweets'"):
        _extra(Config(extra=("tweets",)), data, goemotions.labels(data))


def test_soup_averages_the_seeds_weights(tmp_path, tiny_base, training_data) -> None:
    import torch

    from emotive.training.goemotions import _average

    data = training_data("goemotions")
    cfg = Config(epochs=1, limit=64, base=str(tiny_base), checkpoint_every=1, soup_seeds=(14,))
    steps: list[int] = []
    train(tmp_path / "a", work_dir=tmp_path / "w", data=str(data), config=cfg,
          progress=lambda s, t, loss: steps.append(s))
    assert steps == [1, 2, 1, 2]  # two members, each 64 rows / batch 32
    a = torch.load(tmp_path / "w" / "checkpoint.pt", weights_only=False)
    b = torch.load(tmp_path / "w" / "seed-14" / "checkpoint.pt", weights_only=False)
    assert a["config"]["seed"] == 13 and b["config"]["seed"] == 14
    soup = _average([a["model"], b["model"]])
    key = "encoder.embeddings.word_embeddings.weight"
    assert torch.allclose(soup[key], (a["model"][key] + b["model"][key]) / 2)
    assert json.loads((tmp_path / "a" / "manifest.json").read_text())["training"]["soup"]["seeds"] == [13, 14]


def test_soup_members_start_from_one_initialization(tmp_path, tiny_base, training_data) -> None:
    """With a learning rate of 0 nothing moves, so each member's weights are its start:
    the randomly initialized head must be the same for every seed, or averaging heads would
    average unrelated weights."""
    import torch

    data = training_data("goemotions")
    cfg = Config(epochs=1, limit=64, base=str(tiny_base), checkpoint_every=1, soup_seeds=(14,), lr=0.0)
    train(tmp_path / "a", work_dir=tmp_path / "w", data=str(data), config=cfg)
    a = torch.load(tmp_path / "w" / "checkpoint.pt", weights_only=False)["model"]
    b = torch.load(tmp_path / "w" / "seed-14" / "checkpoint.pt", weights_only=False)["model"]
    assert torch.equal(a["heads.goemotions.weight"], b["heads.goemotions.weight"])
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_asymmetric_loss_is_the_bce_without_focus_and_spares_easy_negatives() -> None:
    import torch

    from emotive.training.goemotions import asymmetric_loss

    logits = torch.tensor([[2.0, -3.0, 0.5], [-1.0, 4.0, -0.2]])
    y = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
    bce = torch.nn.BCEWithLogitsLoss(reduction="none")(logits, y)
    plain = asymmetric_loss(logits, y, gamma_neg=0.0, gamma_pos=0.0, clip=0.0)
    assert torch.allclose(plain, bce, atol=1e-6)
    asl = asymmetric_loss(logits, y)  # gamma_neg 4, clip 0.05
    negatives, positives = y == 0, y == 1
    assert (asl[negatives] < bce[negatives]).all()  # every negative weighs less ...
    assert asl[0, 1] < 1e-6  # ... and an easy one (p = 0.047 < clip) not at all
    assert torch.allclose(asl[positives], bce[positives], atol=1e-6)  # positives unchanged (gamma_pos 0)


def test_an_unknown_loss_is_refused(tmp_path, tiny_base, training_data) -> None:
    from emotive._errors import ConfigError

    with pytest.raises(ConfigError, match="unknown loss 'hinge'"):
        train(tmp_path / "m", work_dir=tmp_path / "w", data=str(training_data("goemotions")),
              config=Config(epochs=1, limit=8, base=str(tiny_base), loss="hinge", trigger_texts=4))
