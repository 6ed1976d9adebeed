"""Emotion causes and trigger words: accuracy and speed of the shipped cause heads.

Writes ``benchmarks/results/causes_accuracy.{json,md}``.

- Causal emotion entailment (every emotional turn x every turn up to it) and causal span
  extraction on RECCON-DD test and, cross-dataset, RECCON-IEMOCAP test (never trained
  on), at the threshold tuned on RECCON-DD valid. Definitions in
  ``emotive/training/_cause_data.py`` (Pos-F1, Neg-F1, macro-F1; EM, Pos-F1, F1).
- Trigger words of a single text: for RECCON-DD test turns whose annotated cause span lies
  in the turn itself, token-level F1 between that span and (a) emotive's occlusion triggers
  (``Analyzer.explain``, top 3 words), (b) the NRC lexicon's emotion words (NRCLex), (c)
  the whole turn.
  The main rows use the shipped cause finder's window (candidates more than ``WINDOW``
  turns back are never scored, so they count as "not a cause"); the "every candidate" rows
  score all pairs.
- Speed: ``CauseFinder.causes`` for 10-turn RECCON-DD test conversations (gold emotions;
  every emotional turn scores itself and the ``WINDOW`` turns before it), single
  conversation p50/p95 on 2 threads.

    python benchmarks/causes_accuracy.py [--model DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, log, machine_info, markdown_table, percentile, set_f1, utc_now, words, write_results  # noqa: E402

from emotive import Analyzer  # noqa: E402
from emotive.analyze._causes import CauseFinder  # noqa: E402
from emotive.datasets import reccon  # noqa: E402
from emotive.models import OnnxModel, resolve_model  # noqa: E402
from emotive.training._cause_data import TO7, evaluate, pairs  # noqa: E402

NAME = "emotive.conversation-minilm.v1"  # its cause and span heads
ANCHORS = {"cee": "RoBERTa-base 64.28 / 88.74 / 76.51, RoBERTa-large 66.23 / 87.89 / 77.06 "
                  "(Pos-F1 / Neg-F1 / macro-F1; Poria et al. 2021)",
           "span": "SpanBERT EM 34.64, Pos-F1 60.00, F1 75.71 (Poria et al. 2021)"}
TARGETS = {"cee_macro_f1": 0.76, "span_pos_f1": 0.60, "p95_ms": 100.0}


def trigger_agreement(analyzer: Analyzer) -> dict:
    from nrclex import NRCLex

    rows = []
    for conv in reccon.read("dailydialog_test"):
        for k, turn in enumerate(conv.turns):
            spans = dict(zip(turn.annotations["cause_turns"], turn.annotations["cause_spans"]))
            if turn.annotations["emotion"] != "neutral" and (k + 1) in spans:
                rows.append((turn.text, words(spans[k + 1])))
    scores = {"emotive occlusion (top 3 words)": [], "NRC lexicon words (NRCLex)": [], "whole turn": []}
    for text, gold in rows:
        found = sorted(analyzer.explain(text, top_n=3), key=lambda t: -t.score)
        scores["emotive occlusion (top 3 words)"].append(set_f1({w for t in found[:3] for w in words(t.text)}, gold))
        lex = NRCLex()
        lex.load_token_list(sorted(words(text)))
        hits = {w for w, a in lex.affect_dict.items() if set(a) - {"positive", "negative"}}
        scores["NRC lexicon words (NRCLex)"].append(set_f1(hits, gold))
        scores["whole turn"].append(set_f1(words(text), gold))
    return {"turns": len(rows), **{k: float(np.mean(v)) for k, v in scores.items()}}


def gold_emotions(turns) -> list[str]:  # type: ignore[no-untyped-def]
    """RECCON's annotated emotions in the 7 labels of the in-context model."""
    return [TO7.get(t.annotations["emotion"], t.annotations["emotion"]) for t in turns]


def speed(finder: CauseFinder, split: str = "dailydialog_test") -> dict:
    """Latency of the causes of a 10-turn conversation (gold emotions), one at a time."""
    convs = [c for c in reccon.read(split) if len(c.turns) >= 10]
    timings = []
    for conv in convs[:1] + convs:  # the first is a warm-up
        turns = conv.turns[:10]
        emotions = gold_emotions(turns)
        start = time.perf_counter()
        finder.causes(turns, emotions)
        timings.append((time.perf_counter() - start) * 1000)
    timings = timings[1:]
    return {"conversations": len(convs), "p50_ms": round(percentile(timings, 50), 2),
            "p95_ms": round(percentile(timings, 95), 2)}


def cause_model_from_args(doc: str | None) -> tuple[argparse.Namespace, Any, OnnxModel, float]:
    """``--model`` / ``--out`` arguments, the model (2 threads) and its tuned threshold."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=NAME, help="model with cause heads: name or directory")
    ap.add_argument("--out", default=None, help="results folder (default benchmarks/results)")
    args = ap.parse_args()
    manifest = resolve_model(args.model)
    return args, manifest, OnnxModel(manifest, threads=2), manifest.heads["cause"].thresholds[0]


def main() -> None:
    args, manifest, model, threshold = cause_model_from_args(__doc__)
    if importlib.util.find_spec("nrclex") is None:  # the trigger-word baseline, asked for before any work
        sys.exit("benchmarks/causes_accuracy.py needs the bench extra: pip install '.[bench]' (nrclex)")
    result = {}
    sets = (("RECCON-DD test", "dailydialog_test"), ("RECCON-IEMOCAP test (cross-dataset)", "iemocap_test"))
    window = CauseFinder(model).window
    for name, split in sets:
        log(name)
        examples = pairs(split)
        result[name] = evaluate(model, examples, threshold, window)
        result[f"{name}, every candidate"] = evaluate(model, examples, threshold)
    log("trigger words")
    result["triggers"] = trigger_agreement(Analyzer(threads=2))
    log("speed")
    result["speed"] = speed(CauseFinder(model))
    dd = result["RECCON-DD test"]
    met = {"cee_macro_f1": dd["cee_macro_f1"] >= TARGETS["cee_macro_f1"],
           "span_pos_f1": dd["span_pos_f1"] >= TARGETS["span_pos_f1"],
           "p95_ms": result["speed"]["p95_ms"] <= TARGETS["p95_ms"]}
    payload = {"model": manifest.name, "window": window, "date": utc_now(), "command": command_line(),
               "machine": machine_info(["onnxruntime"]), "anchors": ANCHORS, "targets": TARGETS,
               "target_met": met, "results": result}
    paths = write_results("causes_accuracy", payload, render(payload), args.out)
    print(paths[1].read_text())


def render(p: dict) -> str:
    r = p["results"]
    sets = [k for k in r if k.startswith("RECCON") and "every candidate" not in k]
    every = [k for k in r if "every candidate" in k]
    keys = ["cee_pos_f1", "cee_neg_f1", "cee_macro_f1", "span_exact_match", "span_pos_f1", "span_f1"]
    rows = [[k] + [f"{r[s][k]:.4f}" for s in sets] for k in keys]
    t = r["triggers"]
    trig = [[k, f"{v:.4f}"] for k, v in t.items() if k != "turns"]
    s = r["speed"]
    met = p["target_met"]
    return "\n".join([
        f"# Emotion causes: {p['model']}", "", f"`{p['command']}` on {p['date']}", "",
        f"Threshold {r[sets[0]]['threshold']} (tuned on RECCON-DD valid); candidates: the target turn and the "
        f"{p['window']} before it (the shipped cause finder's window).", "",
        markdown_table(["metric", *sets], rows), "",
        "Every candidate scored (the RECCON protocol, no window): "
        + "; ".join(f"{k}: entailment macro-F1 {r[k]['cee_macro_f1']:.4f}, span Pos-F1 {r[k]['span_pos_f1']:.4f}"
                    for k in every) + ".", "",
        f"Targets: CEE macro-F1 >= {p['targets']['cee_macro_f1']} ({'met' if met['cee_macro_f1'] else 'missed'}), "
        f"span Pos-F1 >= {p['targets']['span_pos_f1']} ({'met' if met['span_pos_f1'] else 'missed'}).",
        f"Anchors: CEE {p['anchors']['cee']}; span {p['anchors']['span']}.", "",
        f"## Trigger words vs RECCON same-turn cause spans ({t['turns']} turns, token-set F1)", "",
        markdown_table(["method", "token F1"], trig), "",
        "## Speed", "",
        f"Causes of a 10-turn conversation ({s['conversations']} RECCON-DD test conversations): "
        f"p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms (target p95 <= {p['targets']['p95_ms']} ms: "
        f"{'met' if met['p95_ms'] else 'missed'}).",
    ])


if __name__ == "__main__":
    main()
