"""How many tokens the strategy planner reads, chosen on ESConv **valid**.

Writes ``benchmarks/results/strategy_length.{json,md}``: accuracy, proficiency Q and
preference bias B (planner + guard, gold history) and the batched milliseconds per step at
each length, side by side in one run. The shipped default (``strategy.MAX_TOKENS``) is the
shortest length that keeps the accuracy within 0.002 of the model's own length.

    python benchmarks/strategy_length.py [--lengths 160,128,96,64]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, log, machine_info, markdown_table, utc_now, write_results  # noqa: E402
from strategy_accuracy import scores  # noqa: E402

from emotive.models import SentenceEncoder  # noqa: E402
from emotive.respond.strategy import StrategyPlanner, guarded  # noqa: E402
from emotive.training.respond import strategy_steps  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lengths", default="160,128,96,64")
    parser.add_argument("--data", default=None)
    args = parser.parse_args()
    encoder = SentenceEncoder(threads=2)
    steps, hists, gold, _ = strategy_steps("valid", args.data, None)
    gold = np.asarray(gold)
    rows = {}
    for length in (int(x) for x in args.lengths.split(",")):
        log(f"{length} tokens: {len(gold)} valid steps")
        planner = StrategyPlanner(encoder, max_length=length)
        start = time.perf_counter()
        probs = planner.probs(steps, hists)
        ms = (time.perf_counter() - start) / len(steps) * 1000
        pred = np.array([int(np.argmax(guarded(p, planner.prior, h, **planner.settings)))
                         for p, h in zip(probs, hists)])
        rows[length] = {**scores(gold, pred), "ms_per_step_batched": round(ms, 2)}
    payload = {"benchmark": "strategy_length", "date": utc_now(), "command": command_line(),
               "split": "ESConv valid", "n": int(len(gold)), "results": rows,
               "machine": machine_info(["onnxruntime"])}
    table = markdown_table(["tokens", "accuracy", "Q (macro-F1)", "B (bias)", "ms per step (batched)"],
                           [(k, v["accuracy"], v["proficiency_q"], v["preference_bias_b"],
                             v["ms_per_step_batched"]) for k, v in rows.items()])
    md = (f"# ESConv valid: the planner's input length ({len(gold)} supporter turns, planner + guard, "
          f"gold history)\n\n{table}\n\nCommand: `{payload['command']}`\n")
    write_results("strategy_length", payload, md)
    print(md)


if __name__ == "__main__":
    main()
