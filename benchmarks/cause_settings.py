"""Inference settings of the cause finder, chosen on RECCON-DD **valid** (never test).

Writes ``benchmarks/results/cause_settings.{json,md}``.

- ``window``: how many turns before an emotional turn are scored as candidate causes.
  A cause further back than the window is missed; every extra candidate costs one more
  (target, candidate) pass. For each window: CEE and span metrics on valid (pairs outside
  the window count as predicted "not a cause") and the latency of the causes of a 10-turn
  valid conversation (p50/p95, 2 threads, one conversation at a time).
- ``max_span_tokens``: the longest span the span decoder may return.
- Throughput: causes of a whole split, one conversation at a time vs all conversations'
  pairs in shared batches (``CauseFinder.causes_many``, what ``emotive analyze`` does).

The model's threshold (tuned on valid by the recipe) is kept for every setting.

    python benchmarks/cause_settings.py [--model DIR]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, log, machine_info, markdown_table, utc_now, write_results  # noqa: E402
from causes_accuracy import cause_model_from_args, gold_emotions, speed  # noqa: E402

from emotive.analyze._causes import CauseFinder, best_span  # noqa: E402
from emotive.datasets import reccon  # noqa: E402
from emotive.models import OnnxModel  # noqa: E402
from emotive.training._cause_data import cee_scores, pairs, span_scores  # noqa: E402

WINDOWS = (1, 2, 3, 4, 5, 6, 8, 12)
SPAN_TOKENS = (10, 20, 30, 50, 80, 128)


def score_pairs(model: OnnxModel, examples: list) -> tuple[np.ndarray, dict[int, list[tuple[int, int]]]]:
    """Cause probability of every pair, and its span for each ``max_span_tokens``."""
    probs = np.zeros(len(examples))
    spans: dict[int, list[tuple[int, int]]] = {m: [(0, 0)] * len(examples) for m in SPAN_TOKENS}
    for idx, batch in model.preprocess([ex.inputs for ex in examples]):
        res = model.forward(batch)
        for r, i in enumerate(idx):
            ex = examples[i]
            probs[i] = res["cause"][r, 0]
            for m in SPAN_TOKENS:
                spans[m][i] = best_span(batch.encodings[r], res["span_start"][r], res["span_end"][r],
                                        ex.offset, len(ex.inputs[1]) - ex.offset, m)
    return probs, spans


def metrics(examples: list, keep: np.ndarray, spans: list[tuple[int, int]]) -> dict[str, float]:
    gold = [ex.label for ex in examples]
    texts = [ex.inputs[1][ex.offset:][s:e] if k else "" for ex, (s, e), k in zip(examples, spans, keep)]
    out = {f"cee_{k}": round(v, 4) for k, v in cee_scores(gold, list(keep.astype(int))).items()}
    out.update({f"span_{k}": round(v, 4) for k, v in span_scores(examples, texts).items()})
    return out


def throughput(model: OnnxModel, convs: list) -> dict[str, float]:
    finder = CauseFinder(model)
    jobs = [(c.turns, gold_emotions(c.turns), None) for c in convs]
    turns = sum(len(c.turns) for c in convs)
    start = time.perf_counter()
    one = [finder.causes(*job) for job in jobs]
    alone = time.perf_counter() - start
    start = time.perf_counter()
    shared = finder.causes_many(jobs)
    together = time.perf_counter() - start
    same = sum(len(a) == len(b) and [c.turn for c in a] == [c.turn for c in b]
               for x, y in zip(one, shared) for a, b in zip(x, y)) / turns
    return {"conversations": len(convs), "turns": turns,
            "one_at_a_time_turns_per_s": round(turns / alone, 1),
            "shared_batches_turns_per_s": round(turns / together, 1),
            "speedup": round(alone / together, 2), "same_cause_turns": round(same, 4)}


def main() -> None:
    args, manifest, model, threshold = cause_model_from_args(__doc__)
    examples = pairs("dailydialog_valid")
    log(f"scoring {len(examples)} valid pairs")
    probs, spans = score_pairs(model, examples)
    over = probs >= threshold
    distance = np.array([ex.target - ex.candidate for ex in examples])
    default_tokens = CauseFinder.__init__.__kwdefaults__["max_span_tokens"]
    windows = {}
    for w in WINDOWS:
        log(f"window {w}")
        latency = speed(CauseFinder(model, window=w), "dailydialog_valid")
        latency_convs = latency.pop("conversations")
        windows[w] = {**metrics(examples, over & (distance <= w), spans[default_tokens]),
                      "gold_causes_outside": round(float(np.mean([d > w for d, ex in zip(distance, examples)
                                                                  if ex.label])), 4),
                      **latency}
    span_rows = {m: metrics(examples, over, spans[m]) for m in SPAN_TOKENS}
    log("throughput")
    rate = throughput(model, list(reccon.read("dailydialog_valid")))
    payload = {"model": manifest.name, "date": utc_now(), "command": command_line(),
               "machine": machine_info(["onnxruntime"]), "threshold": threshold,
               "default_max_span_tokens": default_tokens,
               "latency_conversations": latency_convs,
               "results": {"window": windows, "max_span_tokens": span_rows, "throughput": rate}}
    paths = write_results("cause_settings", payload, render(payload), args.out)
    print(paths[1].read_text())


def render(p: dict) -> str:
    r = p["results"]
    wkeys = ["cee_macro_f1", "cee_pos_f1", "span_pos_f1", "gold_causes_outside", "p50_ms", "p95_ms"]
    wrows = [[w] + [v[k] for k in wkeys] for w, v in r["window"].items()]
    skeys = ["span_exact_match", "span_pos_f1", "span_f1"]
    srows = [[m] + [v[k] for k in skeys] for m, v in r["max_span_tokens"].items()]
    t = r["throughput"]
    return "\n".join([
        f"# Cause finder settings on RECCON-DD valid: {p['model']}", "",
        f"`{p['command']}` on {p['date']}; threshold {p['threshold']}.", "",
        f"## Window (latency: {p['latency_conversations']} valid conversations cut to 10 turns)", "",
        markdown_table(["window", *wkeys], wrows), "",
        "## Longest span (all candidates)", "",
        markdown_table(["max_span_tokens", *skeys], srows), "",
        "## Throughput over the whole valid split", "",
        f"{t['turns']} turns in {t['conversations']} conversations: {t['one_at_a_time_turns_per_s']} turns/s "
        f"one conversation at a time, {t['shared_batches_turns_per_s']} turns/s with shared batches "
        f"({t['speedup']}x); {t['same_cause_turns']} of turns get the same cause turns both ways.",
    ])


if __name__ == "__main__":
    main()
