"""Accuracy of the shipped GoEmotions model: in-domain test and cross-dataset transfer.

Writes ``benchmarks/results/goemotions_accuracy.{json,md}``.

In-domain, GoEmotions test (5,427 texts, thresholds tuned on dev as shipped):
macro-F1 over the 28 labels at the tuned thresholds and at 0.5, micro-F1, Ekman-7 and
sentiment-4 macro-F1, per-label F1, expected calibration error (ECE, 10 bins over every
text x label probability); int8 (shipped) vs fp32 (the graph before quantization,
``--fp32``, with its own dev-tuned thresholds).

Cross-dataset, zero-shot (the model never saw these corpora): the Ekman-7 view of the model
predicts one label per utterance on MELD test (TV dialogue) and DailyDialog test (daily
chat), whose 7 labels are exactly Ekman's 6 + neutral.

    python benchmarks/goemotions_accuracy.py [--model DIR] [--fp32 model.fp32.onnx]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, log, machine_info, markdown_table, scheme_scores, utc_now, write_results  # noqa: E402

from emotive import _metrics  # noqa: E402
from emotive.datasets import dailydialog, goemotions, meld  # noqa: E402
from emotive.models import OnnxModel, resolve_model  # noqa: E402
from emotive.taxonomy import get_scheme  # noqa: E402

ANCHORS = [
    ("BERT-base (Demszky et al. 2020)", 0.46),
    ("RoBERTa-large (self-reported model card)", 0.53),
]
TARGET = 0.50


def multi_hot(rows: list[tuple[str, ...]], labels: tuple[str, ...]) -> np.ndarray:
    y = np.zeros((len(rows), len(labels)), dtype=bool)
    for i, labs in enumerate(rows):
        for lab in labs:
            y[i, labels.index(lab)] = True
    return y


def coarse(y_fine: np.ndarray, fine: tuple[str, ...], scheme: str) -> np.ndarray:
    """Map a fine multi-hot matrix to a scheme's groups (a group is on if any member is)."""
    sch = get_scheme(scheme)
    cols = [[fine.index(m) for m in sch.groups[g]] for g in sch.labels]
    return np.stack([y_fine[:, c].any(1) for c in cols], 1)


def evaluate_goemotions(model: OnnxModel, thresholds: np.ndarray) -> dict:
    labels = model.manifest.heads["goemotions"].labels
    rows = list(goemotions.read("test"))
    y = multi_hot([r.labels for r in rows], labels)
    probs = model.predict([r.text for r in rows]).outputs["goemotions"]
    pred = _metrics.predict_multilabel(probs, thresholds)
    per = _metrics.f1_per_label(y, pred)
    out = {
        "texts": len(rows),
        "macro_f1": float(per.mean()),
        "macro_f1_at_0.5": float(_metrics.f1_per_label(y, probs >= 0.5).mean()),
        "micro_f1": _metrics.micro_f1(y, pred),
        "ece": _metrics.expected_calibration_error(y, probs),
        "per_label_f1": dict(zip(labels, map(float, per))),
    }
    for scheme in ("ekman", "sentiment"):
        f1 = _metrics.f1_per_label(coarse(y, labels, scheme), coarse(pred, labels, scheme))
        out[f"{scheme}_macro_f1"] = float(f1.mean())
    return out


def dev_thresholds(model: OnnxModel) -> np.ndarray:
    labels = model.manifest.heads["goemotions"].labels
    rows = list(goemotions.read("dev"))
    probs = model.predict([r.text for r in rows]).outputs["goemotions"]
    return _metrics.tune_thresholds(multi_hot([r.labels for r in rows], labels), probs)


def cross_dataset(model: OnnxModel) -> dict:
    """Zero-shot single-label Ekman-7 predictions on MELD and DailyDialog test."""
    fine = model.manifest.heads["goemotions"].labels
    ek = get_scheme("ekman")
    out = {}
    for name, reader in (("MELD test", meld), ("DailyDialog test", dailydialog)):
        turns = [t for c in reader.read("test") for t in c.turns]
        probs = model.predict([t.text for t in turns]).outputs["goemotions"]
        pred = scheme_scores(probs, fine).argmax(1)
        gold = np.array([ek.labels.index(t.annotations["emotion"]) for t in turns])
        out[name] = _metrics.single_label_scores(gold, pred, ek.labels)
        neutral = gold == ek.labels.index("neutral")  # where most errors are: what neutral turns become
        out[name]["neutral_turns"] = int(neutral.sum())
        out[name]["neutral_turns_read_as"] = {g: int((pred[neutral] == k).sum()) for k, g in enumerate(ek.labels)}
        top = np.bincount(probs[neutral].argmax(1), minlength=len(fine))
        out[name]["neutral_turns_top_fine_label"] = {fine[i]: int(top[i]) for i in np.argsort(-top)[:5]}
    return out


def fp32_model(fp32: Path, shipped: Path, tmp: Path) -> OnnxModel:
    """A temporary model directory: the shipped manifest and tokenizer with the fp32 graph."""
    for name in ("manifest.json", "tokenizer.json", "emoji.json"):
        if (shipped / name).exists():
            shutil.copyfile(shipped / name, tmp / name)
    shutil.copyfile(fp32, tmp / "model.onnx")
    return OnnxModel(tmp, threads=2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="model directory (default: the shipped one)")
    ap.add_argument("--fp32", type=Path, default=None, help="fp32 ONNX graph to compare with int8")
    ap.add_argument("--out", default=None, help="results folder (default benchmarks/results)")
    args = ap.parse_args()
    manifest = resolve_model(args.model)
    model = OnnxModel(manifest, threads=2)
    thresholds = np.asarray(manifest.heads["goemotions"].thresholds)
    log("GoEmotions test, int8")
    result = {"int8": evaluate_goemotions(model, thresholds)}
    if args.fp32:
        log("GoEmotions dev+test, fp32")
        with tempfile.TemporaryDirectory() as tmp:
            m32 = fp32_model(args.fp32, manifest.path, Path(tmp))
            result["fp32"] = evaluate_goemotions(m32, dev_thresholds(m32))
    log("cross-dataset: MELD, DailyDialog")
    result["cross_dataset_zero_shot_ekman"] = cross_dataset(model)
    payload = {"model": manifest.name, "date": utc_now(), "command": command_line(),
               "machine": machine_info(["onnxruntime"]), "target_macro_f1": TARGET,
               "target_met": result["int8"]["macro_f1"] >= TARGET, "anchors": dict(ANCHORS),
               "results": result}
    paths = write_results("goemotions_accuracy", payload, render(payload), args.out)
    print(paths[1].read_text())


def render(p: dict) -> str:
    r = p["results"]
    variants = [v for v in ("int8", "fp32") if v in r]
    keys = ["macro_f1", "macro_f1_at_0.5", "micro_f1", "ekman_macro_f1", "sentiment_macro_f1",
            "ece"]
    rows = [[k] + [f"{r[v][k]:.4f}" for v in variants] for k in keys]
    parts = [f"# GoEmotions accuracy: {p['model']}", "", f"`{p['command']}` on {p['date']}", "",
             "## GoEmotions test (5,427 texts; thresholds tuned on dev)", "",
             markdown_table(["metric", *variants], rows), "",
             f"Target macro-F1 >= {p['target_macro_f1']}: "
             f"{'met' if p['target_met'] else 'missed'} (int8 {r['int8']['macro_f1']:.4f}).", "",
             "Anchors (macro-F1, 28 labels): " + "; ".join(f"{k} {v}" for k, v in p["anchors"].items()),
             "", "## Per-label F1 (int8)", "",
             markdown_table(["label", "F1"], [[k, f"{v:.3f}"] for k, v in
                                              sorted(r["int8"]["per_label_f1"].items(), key=lambda kv: -kv[1])]),
             "", "## Cross-dataset, zero-shot (Ekman-7 view, one label per utterance)", "",
             markdown_table(["test set", "turns", "accuracy", "weighted-F1", "macro-F1",
                             "micro-F1 w/o neutral"],
                            [[k, v["n"], f"{v['accuracy']:.4f}", f"{v['weighted_f1']:.4f}",
                              f"{v['macro_f1']:.4f}", f"{v['micro_f1_without_neutral']:.4f}"]
                             for k, v in r["cross_dataset_zero_shot_ekman"].items()])]
    for k, v in r["cross_dataset_zero_shot_ekman"].items():
        parts += ["", f"{k}: of {v['neutral_turns']} neutral turns, read as "
                  + ", ".join(f"{g} {n}" for g, n in v["neutral_turns_read_as"].items())
                  + "; their top fine label: "
                  + ", ".join(f"{g} {n}" for g, n in v["neutral_turns_top_fine_label"].items()) + "."]
    return "\n".join(parts)


if __name__ == "__main__":
    main()
