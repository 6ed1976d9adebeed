"""ESConv test strategy prediction: accuracy, proficiency Q and preference bias B.

Writes ``benchmarks/results/strategy_accuracy.{json,md}``.

Every supporter turn after the first of ESConv test is predicted from the turns before it.
Metrics follow Kang et al. 2024 ("Can Large Language Models be Good Emotional Supporter?
Mitigating Preference Bias on Emotional Support Conversation", ACL): proficiency Q is the
macro-F1 over the 8 strategies; preference bias B is the standard deviation of the
Bradley-Terry preference strengths fitted to the confusion matrix (``emotive._metrics``;
strengths scaled to mean 1, so compare B within this table rather than with the paper's).

Side by side, in one run: emotive's planner with and without its anti-preference guard,
with the gold strategy history (the usual protocol) and with history tagged from the
supporter turns' text (what a deployed system has); and three baselines: always the most
frequent strategy, a draw from the training prior (mean of 5 seeds), and the most
frequent next strategy after the previous one (a Markov chain on train).

    python benchmarks/strategy_accuracy.py [--model DIR]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, log, machine_info, markdown_table, utc_now, write_results  # noqa: E402

from emotive._metrics import preference_bias, single_label_scores  # noqa: E402
from emotive.models._encoder import SentenceEncoder  # noqa: E402
from emotive.respond.strategy import STRATEGIES, StrategyPlanner, guarded  # noqa: E402
from emotive.training.respond import strategy_steps  # noqa: E402

ANCHOR = ("MISC (Tu et al. 2022, ACL) 31.34% strategy accuracy on ESConv; its split is the "
          "same 70/15/15 random split idea but not necessarily the same dialogues")


def scores(gold: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    conf = np.zeros((len(STRATEGIES),) * 2)
    np.add.at(conf, (pred, gold), 1)
    s = single_label_scores(gold, pred, STRATEGIES)
    share = np.bincount(pred, minlength=len(STRATEGIES)) / len(pred)
    return {"accuracy": round(float((gold == pred).mean()), 4), "proficiency_q": round(s["macro_f1"], 4),
            "preference_bias_b": round(preference_bias(conf), 4),
            "top_strategy_share": round(float(share.max()), 4),
            "top_strategy": STRATEGIES[int(share.argmax())]}


def planner_rows(planner: StrategyPlanner, steps, hists, gold) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    out = {}
    tagged = [planner.fill_history(t, [None] * len(h)) for t, h in zip(steps, hists)]
    for label, histories in (("gold history", hists), ("tagged history", tagged)):
        probs = planner.probs(steps, histories)
        out[f"planner, no guard, {label}"] = scores(gold, probs.argmax(1))
        pred = np.array([int(np.argmax(guarded(p, planner.prior, h, **planner.settings)))
                         for p, h in zip(probs, histories)])
        out[f"planner + guard, {label}"] = scores(gold, pred)
    return out


def baselines(train_y: np.ndarray, train_h, gold: np.ndarray, hists) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    prior = np.bincount(train_y, minlength=len(STRATEGIES)) / len(train_y)
    out = {"always the most frequent": scores(gold, np.full(len(gold), int(prior.argmax())))}
    runs = [scores(gold, np.random.default_rng(seed).choice(len(STRATEGIES), len(gold), p=prior))
            for seed in range(5)]
    out["draw from the training prior (5 seeds)"] = {
        k: round(float(np.mean([r[k] for r in runs])), 4) if k != "top_strategy" else runs[0][k] for k in runs[0]}
    follow: dict[str | None, Counter] = {}
    for h, y in zip(train_h, train_y):
        follow.setdefault(h[-1] if h else None, Counter())[int(y)] += 1
    pred = np.array([follow.get(h[-1] if h else None, Counter({int(prior.argmax()): 1})).most_common(1)[0][0]
                     for h in hists])
    out["Markov: most frequent after the previous strategy"] = scores(gold, pred)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="respond model directory (default: shipped)")
    parser.add_argument("--data", default=None)
    args = parser.parse_args()
    planner = StrategyPlanner(SentenceEncoder(args.model))
    log("reading ESConv")
    steps, hists, gold, _ = strategy_steps("test", args.data, None)
    _, train_h, train_y, _ = strategy_steps("train", args.data, None)
    log(f"{len(gold)} test supporter turns; predicting")
    rows = {**planner_rows(planner, steps, hists, gold), **baselines(train_y, train_h, gold, hists)}
    payload = {"benchmark": "strategy_accuracy", "date": utc_now(), "command": command_line(),
               "model": planner.encoder.manifest.name, "n": int(len(gold)), "anchor": ANCHOR,
               "target": "accuracy >= 0.35 with B lower than the strategy prior's",
               "guard": planner.settings, "results": rows, "machine": machine_info(["onnxruntime"])}
    table = markdown_table(["predictor", "accuracy", "Q (macro-F1)", "B (bias)", "top strategy (share)"],
                           [(k, v["accuracy"], v["proficiency_q"], v["preference_bias_b"],
                             f"{v['top_strategy']} ({v['top_strategy_share']:.0%})") for k, v in rows.items()])
    md = (f"# ESConv test: strategy prediction ({len(gold)} supporter turns)\n\n{table}\n\n"
          f"Anchor: {ANCHOR}.\nQ and B as in Kang et al. 2024; B here uses strengths scaled to mean 1.\n\n"
          f"Command: `{payload['command']}`\n")
    write_results("strategy_accuracy", payload, md)
    print(md)


if __name__ == "__main__":
    main()
