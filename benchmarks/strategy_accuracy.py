"""ESConv test strategy prediction: accuracy, proficiency Q and preference bias B.

A thin caller of the ``strategy`` suite of ``emotive.evaluate`` (``emotive eval strategy
--backend none --n 0``: its reference rows, no LLM), which holds the protocol; this script
writes them in the shape of ``benchmarks/results/strategy_accuracy.{json,md}``, each metric
with its bootstrap 95% interval over turns.

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
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, log, machine_info, markdown_table, utc_now, write_results  # noqa: E402

from emotive.evaluate import evaluate  # noqa: E402

METRICS = ("accuracy", "proficiency_q", "preference_bias_b")
TARGET = "accuracy >= 0.35 with B lower than the strategy prior's"


def row(block: dict[str, Any]) -> dict[str, Any]:
    """One predictor in the results file's shape, each metric's interval beside it."""
    out: dict[str, Any] = {m: block[m]["value"] for m in METRICS}
    out.update({f"{m}_ci95": [block[m]["low"], block[m]["high"]] for m in METRICS})
    out.update(top_strategy_share=block["top_strategy_share"], top_strategy=block["top_strategy"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="respond model directory (default: shipped)")
    parser.add_argument("--data", default=None)
    parser.add_argument("--results", default=None, help="results folder (default: benchmarks/results)")
    args = parser.parse_args()
    log("strategy suite, reference rows on every ESConv test supporter turn")
    with tempfile.TemporaryDirectory() as tmp:
        report = evaluate("strategy", backend=None, data=args.data, n=0, planner_model=args.model, out=tmp).data
    rows = {name: row(block) for name, block in report["reference"].items()}
    n = report["reference"]["always the most frequent"]["accuracy"]["n"]
    anchor = report["notes"][0].removeprefix("Anchor: ").rstrip(".")
    planner = report["data"]["planner"]
    payload = {"benchmark": "strategy_accuracy", "date": utc_now(), "command": command_line(),
               "model": planner["model"], "n": n, "anchor": anchor, "target": TARGET, "guard": planner["guard"],
               "results": rows, "machine": machine_info(["onnxruntime"])}
    table = markdown_table(["predictor", "accuracy [95% CI]", "Q (macro-F1)", "B (bias)", "top strategy (share)"],
                           [(k, f"{v['accuracy']} [{v['accuracy_ci95'][0]}, {v['accuracy_ci95'][1]}]",
                             v["proficiency_q"], v["preference_bias_b"],
                             f"{v['top_strategy']} ({v['top_strategy_share']:.0%})") for k, v in rows.items()])
    md = (f"# ESConv test: strategy prediction ({n} supporter turns)\n\n{table}\n\n"
          f"Anchor: {anchor}.\nQ and B as in Kang et al. 2024; B here uses strengths scaled to mean 1.\n"
          "Intervals: bootstrap 95% over turns.\n\n"
          f"Command: `{payload['command']}`\n")
    write_results("strategy_accuracy", payload, md, args.results)
    print(md)


if __name__ == "__main__":
    main()
