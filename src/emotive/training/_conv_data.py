"""Examples and test metrics of the conversation recipe (no torch: benchmarks import this).

See ``training/conversation.py`` for what the heads are and how they are trained.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

import numpy as np

from emotive._metrics import pearson, single_label_scores
from emotive.analyze import WINDOW, context_input
from emotive.datasets import dailydialog, emobank, empatheticdialogues, meld
from emotive.models import OnnxModel
from emotive.training._config import TrainConfig

EMOTIONS7 = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
ED32 = tuple(empatheticdialogues.LABELS)
VAD_NAMES = ("v", "a", "d", "reader_v", "reader_a", "reader_d", "writer_v", "writer_a", "writer_d")
SIZES = {"context7": len(EMOTIONS7), "vad": len(VAD_NAMES), "ed32": len(ED32), "cause": 1}


@dataclass
class Config(TrainConfig):
    """Training settings; the defaults reproduce the shipped model."""

    epochs: int = 2
    window: int = WINDOW  # preceding turns in the context (0: no context)
    speakers: bool = True  # mark context turns (same)/(other)
    neutral_keep: float = 0.3  # share of DailyDialog's neutral training turns kept
    tasks: str = "context7,vad,ed32,cause"  # heads to train (ablations train context7 alone)


@dataclass
class Task:
    """The examples of one head: inputs (text pairs) and targets."""

    head: str
    inputs: list[tuple[str, str]]
    targets: np.ndarray  # class index (int) or standardized values (float, NaN = missing)
    pairs: list[Any] | None = None  # the cause task's CausePair examples (offsets, spans)


def context_examples(split_dd: str, split_meld: str, cfg: Config, data: str | None,
                     neutral_keep: float = 1.0) -> tuple[Task, list[str]]:
    """Per-turn in-context examples of DailyDialog and MELD, and each example's corpus."""
    rng = random.Random(cfg.seed)
    inputs, targets, source = [], [], []
    for name, convs in (("dailydialog", dailydialog.read(split_dd, data)),
                        ("meld", meld.read(split_meld, data))):
        for conv in _first(convs, cfg.limit):
            for k, turn in enumerate(conv.turns):
                emo = turn.annotations["emotion"]
                if name == "dailydialog" and emo == "neutral" and rng.random() >= neutral_keep:
                    continue
                inputs.append(context_input(conv.turns, k, window=cfg.window,
                                            speakers=cfg.speakers))
                targets.append(EMOTIONS7.index(emo))
                source.append(name)
    return Task("context7", inputs, np.array(targets)), source


def ed_examples(split: str, cfg: Config, data: str | None, mode: str = "mixed") -> Task:
    """``mode``: ``situation``, ``opening`` (the speaker's first turn) or ``mixed`` (seeded)."""
    rng = random.Random(cfg.seed)
    inputs, targets = [], []
    for conv in _first(empatheticdialogues.read(split, data), cfg.limit):
        pick = mode if mode != "mixed" else rng.choice(["situation", "opening"])
        text = conv.annotations["situation"] if pick == "situation" else conv.turns[0].text
        inputs.append((text, ""))
        targets.append(ED32.index(conv.annotations["emotion"]))
    return Task("ed32", inputs, np.array(targets))


def vad_examples(split: str, cfg: Config, data: str | None) -> Task:
    rows = list(_first(emobank.read(split, data), cfg.limit))
    nan3 = (math.nan,) * 3
    y = np.array([(r.v, r.a, r.d, *(r.reader or nan3), *(r.writer or nan3)) for r in rows])
    return Task("vad", [(r.text, "") for r in rows], y.astype(np.float32))


def _first(items, limit):  # type: ignore[no-untyped-def]
    for i, item in enumerate(items):
        if limit is not None and i >= limit:
            return
        yield item


def _metrics_single(gold, pred) -> dict:  # type: ignore[no-untyped-def]
    return single_label_scores(gold, pred, EMOTIONS7)


def _pearson(x, y) -> float:  # type: ignore[no-untyped-def]
    return pearson(np.asarray(x, float), np.asarray(y, float))


def heads_of(cfg: Config) -> list[str]:
    """The heads a config trains, in graph order."""
    heads = [h.strip() for h in cfg.tasks.split(",") if h.strip()]
    unknown = set(heads) - set(SIZES)
    if unknown or "context7" not in heads:
        raise ValueError(f"tasks must include context7 and come from {sorted(SIZES)}: {heads}")
    return [h for h in SIZES if h in heads]


def test_metrics(model: OnnxModel, cfg: Config, data) -> dict[str, Any]:
    """The test metrics of every head (int8 graph), measured once."""
    ctx, source = context_examples("test", "test", cfg, data)
    probs = model.predict(ctx.inputs).outputs["context7"]
    src = np.array(source)
    out: dict[str, Any] = {}
    for name in ("meld", "dailydialog"):
        sel = src == name
        out[f"{name}_test"] = {k: round(v, 4) for k, v in
                               _metrics_single(ctx.targets[sel], probs[sel].argmax(1)).items()}
    heads = model.manifest.heads
    for mode in ("situation", "opening") if "ed32" in heads else ():
        ed = ed_examples("test", cfg, data, mode)
        acc = float((model.predict(ed.inputs).outputs["ed32"].argmax(1) == ed.targets).mean())
        out[f"ed32_test_accuracy_{mode}"] = round(acc, 4)
    if "vad" in heads:
        vad = vad_examples("test", cfg, data)
        pred = model.predict(vad.inputs).outputs["vad"]
        for j, name in enumerate(VAD_NAMES):
            ok = ~np.isnan(vad.targets[:, j])
            out[f"emobank_test_r_{name}"] = round(_pearson(pred[ok, j], vad.targets[ok, j]), 4)
    if "cause" in heads:
        from emotive.training._cause_data import evaluate, pairs

        threshold = heads["cause"].thresholds[0]
        for name, split in (("reccon_dd_test", "dailydialog_test"), ("reccon_iemocap_test", "iemocap_test")):
            out[name] = evaluate(model, pairs(split, data, cfg.limit), threshold)
    out["meld_test_weighted_f1"] = out["meld_test"]["weighted_f1"]
    out["dailydialog_test_micro_f1"] = out["dailydialog_test"]["micro_f1_without_neutral"]
    return out
