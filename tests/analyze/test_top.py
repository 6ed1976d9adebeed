"""``top`` is the best-scoring label that passes its threshold (the best of ``labels``), or
the best score when none passes; every output path uses that one rule."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from emotive import Analysis, Analyzer, Conversation, Utterance

LABELS = ("anger", "disappointment", "joy", "neutral", "sadness")


@given(st.lists(st.floats(0, 1), min_size=len(LABELS), max_size=len(LABELS)),
       st.lists(st.floats(0.05, 0.95), min_size=len(LABELS), max_size=len(LABELS)))
def test_top_is_the_best_label_over_its_threshold(scores: list[float], thresholds: list[float]) -> None:
    by_label = dict(zip(LABELS, scores))
    over = sorted((lab for lab, s, t in zip(LABELS, scores, thresholds) if s >= t), key=lambda x: -by_label[x])
    a = Analysis("t", by_label, tuple(over) or (max(by_label, key=by_label.__getitem__),))
    if over:
        assert a.top in over and by_label[a.top] == max(by_label[x] for x in over)
    else:
        assert by_label[a.top] == max(scores)
    assert a.top == a.labels[0] and a.to_dict()["top"] == a.top


def test_a_higher_score_under_a_stricter_threshold_is_not_top() -> None:
    """The issue's case: labels ["disappointment"], scores sadness > disappointment."""
    a = Analysis("this build is broken again, ugh", {"sadness": 0.55, "disappointment": 0.41, "neutral": 0.1},
                 ("disappointment",))
    assert a.top == "disappointment"
    assert Analysis("x", {"joy": 0.2, "neutral": 0.3}, ()).top == "neutral"  # nothing passes


def _strict_sadness(tiny_model: Path, tmp_path: Path) -> Path:
    """The tiny model with an unreachable threshold for its best label on a probe text."""
    import shutil

    folder = tmp_path / "strict"
    shutil.copytree(tiny_model, folder)
    raw = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    raw["heads"]["goemotions"]["thresholds"] = [0.0] * len(raw["heads"]["goemotions"]["labels"])
    best = int(np.argmax(Analyzer(tiny_model, threads=1).model.predict(["ugh"]).outputs["goemotions"][0]))
    raw["heads"]["goemotions"]["thresholds"][best] = 1.0  # the best label never passes
    (folder / "manifest.json").write_text(json.dumps(raw), encoding="utf-8")
    return folder


def test_texts_conversations_and_records_agree(tiny_model: Path, tiny_conv_model: Path, tmp_path: Path) -> None:
    a = Analyzer(_strict_sadness(tiny_model, tmp_path), threads=1, conversation_model=tiny_conv_model)
    res = a.analyze("ugh")
    best = max(res.scores, key=res.scores.__getitem__)
    assert best not in res.labels and res.top == res.labels[0] != best
    assert res.to_dict()["top"] == res.top
    conv = a.analyze_conversation(Conversation("c", (Utterance("ugh", "A"),)), causes=False)
    assert conv.turns[0].to_dict()["top"] == res.top
    assert conv.to_dict()["speakers"]["A"]["trajectory"][0]["top"] == res.top
