from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

from emotive.models import load_manifest, resolve_model, write_manifest  # noqa: E402
from emotive.respond.safety import CrisisHead, Safety  # noqa: E402
from emotive.training.safety import Config, choose_threshold, train, wilson  # noqa: E402

RISK = ["I want to kill myself tonight", "i want to die", "I'm going to end my life", "I've been saving my pills",
        "everyone would be better off without me", "I don't want to be alive anymore", "kms", "I cut myself again",
        "I'm going to jump off the bridge", "I want to stop existing", "goodbye forever, I'm done",
        "I wrote my suicide note"]
THREAT = ["I'm going to kill him", "I'm going to stab my boss", "gonna shoot up the school",
          "I'm going to hurt her when she gets home", "I'll make them pay with blood", "I'm bringing a gun to work"]
NONE = ["I want to dye my hair blue", "kill the python process", "I'm dying to see the movie", "what a great day",
        "my feet are killing me", "we crushed them in the match", "I lost my job and I feel sad",
        "how do I help a friend who is suicidal", "the pizza was to die for", "I'm going to cook pasta tonight",
        "my phone died", "let's kill some time at the mall", "I'll shoot you the details", "good morning!"]


def _contrast(folder: Path) -> None:
    for split, take in (("train", slice(None)), ("eval", slice(0, 4))):
        (folder / split).mkdir(parents=True)
        for name, rows in (("self_harm", RISK), ("harm_to_others", THREAT), ("none", NONE)):
            (folder / split / f"{name}.txt").write_text("# synthetic\n[kind]\n" + "\n".join(rows[take]) + "\n")


def _corpora(root: Path) -> None:
    cssrs = root / "cssrs_reddit"
    cssrs.mkdir(parents=True)
    posts, users = [], []
    for u in range(24):
        label = ("Ideation", "Supportive", "Behavior", "Indicator")[u % 4]
        for i in range(3):
            text = (RISK[(u + i) % len(RISK)] if label != "Supportive" else NONE[(u + i) % len(NONE)]) + f" post {i}"
            posts.append({"user_id": f"user-{u}", "user_label": label, "text": text,
                          "label": None if i == 2 else label.lower()})
    for u in range(24, 30):
        users.append({"user_id": f"user-{u}", "label": "Supportive", "posts": [NONE[u % len(NONE)]]})
    (cssrs / "posts.jsonl").write_text("\n".join(json.dumps(p) for p in posts) + "\n")
    (cssrs / "users.jsonl").write_text("\n".join(json.dumps(u) for u in users) + "\n")
    go = root / "goemotions"
    go.mkdir()
    (go / "emotions.txt").write_text("joy\nneutral\n")
    for split in ("train", "dev"):
        rows = [f"{t} number {i}\t1\tid{i}" for i, t in enumerate(["what a nice day", "I love this song",
                                                                   "thanks for the help", "see you tomorrow"] * 3)]
        (go / f"{split}.tsv").write_text("\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model directory with the shipped sentence encoder only (no crisis head yet)."""
    src = resolve_model("emotive.respond-minilm.v1")
    out = tmp_path_factory.mktemp("encoder")
    for key in ("model", "tokenizer"):
        shutil.copyfile(src.file(key), out / src.files[key])
    write_manifest(out, {"name": "test.encoder", "version": "0", "max_length": 64,
                         "files": {"model": src.files["model"], "tokenizer": src.files["tokenizer"]},
                         "heads": {"embedding": {"labels": [], "activation": "embedding", "dim": 384}},
                         "data": []})
    (out / "README.md").write_text("# test.encoder\n")
    return out


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("data")
    _corpora(root / "corpora")
    _contrast(root / "contrast")
    return root / "corpora", root / "contrast"


def _config(contrast: Path) -> Config:
    return Config(contrast=str(contrast), goemotions=6, user_posts=1, l2_grid=(1e-2,), knn_k=(2,), folds=3)


def test_recipe_writes_a_registered_calibrated_head(tmp_path, encoder_dir, data) -> None:
    corpora, contrast = data
    model = tmp_path / "model"
    shutil.copytree(encoder_dir, model)
    metrics = train(model, work_dir=tmp_path / "work", data=str(corpora), config=_config(contrast))
    m = load_manifest(model)
    raw = json.loads((model / "manifest.json").read_text())
    assert m.files["crisis"] == "crisis.npz" and "crisis.npz" in raw["sha256"]
    spec = m.extra["crisis"]
    assert spec["labels"] == ["none", "self_harm", "harm_to_others"] and 0 < spec["threshold"] < 1
    assert {"calibration", "cssrs_test", "contrast_eval"} <= set(spec["metrics"]) and metrics["threshold"]
    assert any(d["name"].startswith("Reddit C-SSRS") for d in m.data)
    card = (model / "README.md").read_text()
    assert card.count("## Crisis head") == 1
    train(model, work_dir=tmp_path / "work", data=str(corpora), config=_config(contrast))  # replaces the card section
    assert (model / "README.md").read_text().count("## Crisis head") == 1
    safety = Safety(model=model)
    assert safety.classifier.threshold == spec["threshold"]
    assert 0.0 <= safety.score(["I want to disappear forever"])[0] <= 1.0


def test_recipe_is_deterministic(tmp_path, encoder_dir, data) -> None:
    corpora, contrast = data
    heads = []
    for run in ("a", "b"):
        model = tmp_path / run
        shutil.copytree(encoder_dir, model)
        train(model, work_dir=tmp_path / f"work-{run}", data=str(corpora), config=_config(contrast))
        heads.append(CrisisHead.load(model / "crisis.npz"))
    a, b = heads
    assert np.array_equal(a.head.weight, b.head.weight) and np.array_equal(a.stack, b.stack)
    assert np.array_equal(a.exemplars, b.exemplars)


def test_threshold_and_interval_helpers() -> None:
    scores = np.array([0.95, 0.9, 0.7, 0.6, 0.3, 0.2])
    risk = np.array([True, True, False, True, False, False])
    neg = {"n": ~risk}
    assert choose_threshold(scores, risk, np.zeros(6, bool), neg, 0.0) == 0.9
    assert choose_threshold(scores, risk, np.zeros(6, bool), neg, 0.34) == 0.6
    lo, hi = wilson(0, 20)
    assert lo == 0.0 and 0.15 < hi < 0.18
