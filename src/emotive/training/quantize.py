"""Requantize a model directory's int8 graphs with static (batch-independent) scales.

Every shipped graph was first quantized dynamically; this step rebuilds its fp32 twin from
the int8 weights (``_quantize.dequantize``; a static graph of an older method is rebuilt
the same way), calibrates static activation scales on the
recipe's own *training* inputs and writes the QDQ int8 graph back, with the manifest's
sha256 and a ``quantization`` note updated. New training runs quantize the same way
(``_base.quantize_int8`` with calibration inputs), so ``emotive train ...`` and this step
produce graphs of the same kind.

    python -m emotive.training.quantize src/emotive/models/goemotions-minilm-v1

Needs onnx + onnxruntime; the calibration inputs come from ``$EMOTIVE_DATA``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from emotive._errors import ConfigError
from emotive.models import load_manifest, load_tokenizer, write_manifest
from emotive.training._quantize import CALIBRATION_TEXTS, dequantize, drop_nan_guards, quantize_static_int8

SEED = 13
METHOD = ("static QDQ int8 (u8 x s7): per-channel 7-bit int8 weights (8-bit embedding tables, rows "
          "dequantized after the lookup), uint8 activations with min/max "
          "scales calibrated once on {n} training inputs (seed {seed}); only the inputs of weight "
          "MatMuls rounded (biases fused into them), MatMul results, the residual stream and "
          "attention products fp32")
METHOD_NOTE = METHOD.format(n=CALIBRATION_TEXTS, seed=SEED)  # what a manifest says of a static graph


def sample_inputs(items: Sequence[Any], n: int = CALIBRATION_TEXTS, seed: int = SEED) -> list[Any]:
    """``n`` of ``items`` in a seeded random order (the calibration set of a graph)."""
    items = list(items)
    random.Random(seed).shuffle(items)
    return items[:n]


def goemotions_inputs(data: str | None = None, limit: int | None = None) -> list[Any]:
    """GoEmotions train texts (the first ``limit`` rows when given: smoke tests)."""
    from emotive.datasets import goemotions

    return sample_inputs([r.text for r in goemotions.read("train", data)][:limit])


def conversation_inputs(data: str | None = None, limit: int | None = None) -> list[Any]:
    """Training pairs of every conversation head: in-context turns, ED-32, EmoBank, causes."""
    from emotive.training._cause_data import pairs
    from emotive.training._conv_data import Config, context_examples, ed_examples, vad_examples

    cfg = Config(limit=limit)
    quarter = CALIBRATION_TEXTS // 4
    parts = [context_examples("train", "train", cfg, data)[0].inputs,
             ed_examples("train", cfg, data).inputs, vad_examples("train", cfg, data).inputs,
             [ex.inputs for ex in pairs("dailydialog_train", data, limit)]]
    return [x for part in parts for x in sample_inputs(part, quarter)]


def strategy_inputs(data: str | None = None, limit: int | None = None) -> list[Any]:
    """The planner's inputs (``strategy_text``) on ESConv train."""
    from emotive.respond.strategy import strategy_text
    from emotive.training.respond import strategy_steps

    steps, histories, _, _ = strategy_steps("train", data, limit)
    return sample_inputs([strategy_text(t, h) for t, h in zip(steps, histories)])


def encoder_inputs(data: str | None = None, limit: int | None = None) -> list[Any]:
    """Sentences the respond encoder reads: ESConv turns (seeker and supporter)."""
    from emotive.datasets import esconv

    convs = list(esconv.read("train", data))[:limit]
    return sample_inputs([t.text for conv in convs for t in conv.turns])


# (manifest name, files key) -> calibration inputs
GRAPHS = {
    ("emotive.goemotions-minilm.v1", "model"): goemotions_inputs,
    ("emotive.conversation-minilm.v1", "model"): conversation_inputs,
    ("emotive.respond-minilm.v1", "model"): encoder_inputs,
    ("emotive.respond-minilm.v1", "strategy_model"): strategy_inputs,
}


# graphs left as they are unless asked for by key: the respond encoder stays dynamic (its
# model card says why); the planner stays static of the method before this one, which did
# better on ESConv valid (guarded accuracy + Q 0.5989 against 0.5921 requantized; the card's
# "Quantization and batch-mates")
KEEP = {("emotive.respond-minilm.v1", "model"), ("emotive.respond-minilm.v1", "strategy_model")}


def is_static(path: str | os.PathLike[str]) -> bool:
    """True when a graph has no run-time (per batch) activation quantization."""
    import onnx

    return not any(n.op_type == "DynamicQuantizeLinear" for n in onnx.load(str(path)).graph.node)


def max_length_of(folder: Path, key: str) -> int:
    raw = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if key == "strategy_model":
        return int(raw.get("strategy", {}).get("max_length", raw["max_length"]))
    return int(raw["max_length"])


def requantize(folder: str | os.PathLike[str], data: str | None = None,
               keys: Sequence[str] | None = None, twin: str | os.PathLike[str] | None = None) -> list[str]:
    """Rewrite ``folder``'s dynamic int8 graphs (and static ones made by an older method) as
    static ones of this method; returns the file keys changed (a graph of this method made
    before the NaN guards went loses them, and is named with that note). ``twin``: the fp32 graph to
    quantize from, for a single graph (``keys`` of one, or a folder with one graph), redone
    even when it is static of this method already (default: the graph itself, dequantized).

    >>> requantize("src/emotive/models/goemotions-minilm-v1")  # doctest: +SKIP
    ['model']
    """
    folder = Path(folder)
    manifest = load_manifest(folder)
    selected = [(key, inputs) for (name, key), inputs in GRAPHS.items()
                if name == manifest.name and key in manifest.files and (key in keys if keys else
                                                                         (name, key) not in KEEP)]
    if twin is not None and not Path(twin).is_file():
        raise ConfigError(f"--twin {twin}: no such file")
    if twin is not None and len(selected) != 1:
        raise ConfigError(f"--twin is one fp32 graph; {folder} has {len(selected)} graphs to redo: name one with --key")
    done: list[str] = []
    unguarded: list[str] = []
    for key, inputs in selected:
        graph = manifest.file(key)
        if twin is None and is_static(graph) and \
                manifest.extra.get("quantization", {}).get(manifest.files[key]) == METHOD_NOTE:
            # made by this method already (an older static method is redone), perhaps before
            # the NaN guards went: dropping them gives the same scores, so nothing is re-measured
            if drop_nan_guards(graph):
                unguarded.append(key)
            continue
        tok = load_tokenizer(manifest.file("tokenizer"), max_length_of(folder, key),
                             manifest.file("emoji") if "emoji" in manifest.files else None)
        with tempfile.TemporaryDirectory() as tmp:
            fp32, out = Path(twin) if twin else Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
            if twin is None:
                dequantize(graph, fp32)
            quantize_static_int8(fp32, out, inputs(data), tok)
            shutil.move(str(out), str(graph))
        done.append(key)
    # a graph kept as it is (KEEP) still loses its NaN guards: the same scores either way
    for name, key in sorted(KEEP):
        if name == manifest.name and key in manifest.files and key not in dict(selected) \
                and drop_nan_guards(manifest.file(key)):
            unguarded.append(key)
    if done:
        _note(folder, done)
        remeasure(folder, data)
    elif unguarded:
        write_manifest(folder, json.loads((folder / "manifest.json").read_text(encoding="utf-8")))  # sha256
    return done + [f"{key} (NaN guards dropped: the same scores)" for key in unguarded]


def remeasure(folder: str | os.PathLike[str], data: str | None = None) -> str | None:
    """What a model's recipe measures after its graph changed: GoEmotions thresholds re-tuned
    and test measured, conversation test metrics, the planner's guard and test metrics.
    Returns one line that says what came out (None for a model with nothing to re-measure)."""
    name = load_manifest(folder).name
    if name == "emotive.goemotions-minilm.v1":
        return f"test macro-F1 {retune_goemotions(folder, data)['macro_f1']}"
    if name == "emotive.conversation-minilm.v1":
        m = remeasure_conversation(folder, data)
        return (f"MELD test weighted-F1 {m['meld_test']['weighted_f1']}, "
                f"DailyDialog micro-F1 {m['dailydialog_test']['micro_f1_without_neutral']}")
    if name == "emotive.respond-minilm.v1":
        m = remeasure_planner(folder, data)
        return (f"ESConv test strategy accuracy {m['strategy_test']['accuracy']}, "
                f"guarded {m['strategy_test_guarded']['accuracy']}")
    return None


def remeasure_conversation(folder: str | os.PathLike[str], data: str | None = None) -> dict[str, Any]:
    """The conversation recipe's test metrics (``_conv_data.test_metrics``), measured once
    with the (new) graph and written to the manifest; its dev-tuned neutral prior and cause
    threshold are kept. Returns the metrics."""
    import dataclasses

    from emotive.models import OnnxModel
    from emotive.training._conv_data import Config, test_metrics

    folder = Path(folder)
    raw = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    names = {f.name for f in dataclasses.fields(Config)}
    cfg = Config(**{k: v for k, v in raw.get("training", {}).items() if k in names})
    raw["metrics"] = test_metrics(OnnxModel(folder), cfg, data)
    write_manifest(folder, raw)
    if (folder / "README.md").exists():
        from emotive.training._card import refresh_test_metrics

        refresh_test_metrics(folder)
    return raw["metrics"]


def remeasure_planner(folder: str | os.PathLike[str], data: str | None = None) -> dict[str, Any]:
    """The respond recipe's planner steps after its graph changed (``respond.planner_metrics``:
    the anti-preference guard re-tuned on ESConv valid with the new graph, then test measured
    once, with and without it). The other heads' metrics are kept. Returns the planner's
    metrics."""
    import numpy as np

    from emotive.models import SentenceEncoder
    from emotive.respond.strategy import StrategyPlanner
    from emotive.training.respond import planner_metrics, strategy_steps

    folder = Path(folder)
    raw = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    planner = StrategyPlanner(SentenceEncoder(folder), guard=False)
    sets = {k: strategy_steps(k, data, raw.get("training", {}).get("limit")) for k in ("valid", "test")}
    metrics, guard = planner_metrics({k: planner.probs(v[0], v[1]) for k, v in sets.items()}, sets,
                                     np.array(raw["strategy"]["prior"]))
    raw["strategy"].update(guard)
    raw["metrics"].update(metrics)
    write_manifest(folder, raw)
    if (folder / "README.md").exists():
        from emotive.training._card import refresh_test_metrics

        refresh_test_metrics(folder)
    return metrics


def _note(folder: Path, keys: list[str]) -> None:
    raw = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    note = raw.setdefault("quantization", {})
    for key in keys:
        note[raw["files"][key]] = METHOD_NOTE
    write_manifest(folder, raw)


def retune_goemotions(folder: str | os.PathLike[str], data: str | None = None) -> dict[str, Any]:
    """Tune the per-label thresholds on dev with the (new) int8 graph, then measure test
    once, as the recipe does after quantizing; the manifest gets both. Returns the metrics."""
    from emotive import _metrics
    from emotive.datasets import goemotions
    from emotive.models import OnnxModel
    from emotive.training.goemotions import load_split, test_metrics

    folder = Path(folder)
    labels = goemotions.labels(data)
    model = OnnxModel(folder)

    def split(name: str):
        texts, y = load_split(name, data, labels)
        return model.predict(texts).outputs["goemotions"], y

    dev_probs, dev_y = split("dev")
    th = _metrics.tune_thresholds(dev_y, dev_probs)
    test_probs, test_y = split("test")
    raw = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    raw["heads"]["goemotions"]["thresholds"] = [float(t) for t in th]
    raw["metrics"].update(test_metrics(test_y, test_probs, th, labels))
    write_manifest(folder, raw)
    if (folder / "README.md").exists():
        refresh_metrics_card(folder)
    return raw["metrics"]


def write_card_section(folder: str | os.PathLike[str], title: str, body: str) -> None:
    """Put ``## title`` with ``body`` into the model card (README.md), replacing an older one."""
    card = Path(folder) / "README.md"
    text = card.read_text(encoding="utf-8") if card.exists() else ""
    head = f"## {title}\n"
    if head in text:
        start = text.index(head)
        end = text.find("\n## ", start + len(head))
        text = text[:start] + text[end + 1:] if end >= 0 else text[:start]
    card.write_text(text.rstrip("\n") + f"\n\n{head}{body.strip()}\n", encoding="utf-8")


def refresh_metrics_card(folder: str | os.PathLike[str]) -> None:
    """Rewrite the card's GoEmotions test-metric and per-label rows from the manifest."""
    import re

    folder = Path(folder)
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["metrics"]
    card = folder / "README.md"
    text = card.read_text(encoding="utf-8")
    for key in ("macro_f1", "macro_f1_at_0.5", "micro_f1"):
        text = re.sub(rf"^\| {re.escape(key)} \| [0-9.]+ \|$", f"| {key} | {m[key]} |", text, flags=re.M)
    rows = "\n".join(f"| {k} | {v} |" for k, v in sorted(m["per_label_f1"].items(), key=lambda kv: -kv[1]))
    table = r"(## Per-label F1\n\| label \| F1 \|\n\|---\|---\|\n)(?:\|.*\|\n)+"
    text = re.sub(table, lambda mt: mt.group(1) + rows + "\n", text)
    card.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folders", nargs="+", help="model directories to requantize in place")
    ap.add_argument("--data", default=None, help="corpora folder (default: $EMOTIVE_DATA)")
    ap.add_argument("--twin", default=None,
                    help="fp32 graph to quantize from (one folder with one graph, or --key); default: the "
                         "graph itself, dequantized")
    ap.add_argument("--key", action="append", default=None, help="files key of the graph to redo (default: all)")
    ap.add_argument("--retune", action="store_true",
                    help="re-tune a GoEmotions model's thresholds on dev (a conversation model: re-measure "
                         "its test metrics; a respond model: re-tune the planner's guard and re-measure it) "
                         "even when its graph is already static")
    args = ap.parse_args(argv)
    for folder in args.folders:
        try:
            done = requantize(folder, args.data, args.key, args.twin)
        except ConfigError as exc:
            raise SystemExit(str(exc)) from exc
        print(f"{folder}: {', '.join(done) or 'already static'}")
        if args.retune and not done and (line := remeasure(folder, args.data)):
            print(f"{folder}: {line}")


if __name__ == "__main__":
    main()
