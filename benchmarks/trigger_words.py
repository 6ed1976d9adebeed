"""Trigger words, one-pass head vs occlusion, on RECCON-DD **valid** (the head's check).

Writes ``benchmarks/results/trigger_words.{json,md}``. For every non-neutral turn whose
annotated causes include a span in the turn itself, the token F1 between that span and the
top-3 trigger words of ``Analyzer.explain``, with ``method="head"`` (the trigger head over
the analysis pass's token states) and ``method="occlusion"`` (one extra pass per word), and
the milliseconds per turn of each, side by side in one run. (``causes_accuracy.py`` reports
the same agreement on test.)

    python benchmarks/trigger_words.py [--threads 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, machine_info, markdown_table, set_f1, utc_now, words, write_results  # noqa: E402

from emotive import Analyzer  # noqa: E402
from emotive.datasets import reccon  # noqa: E402


def turns(split: str = "dailydialog_valid") -> list[tuple[str, set[str]]]:
    rows = []
    for conv in reccon.read(split):
        for k, turn in enumerate(conv.turns):
            spans = dict(zip(turn.annotations["cause_turns"], turn.annotations["cause_spans"]))
            if turn.annotations["emotion"] != "neutral" and (k + 1) in spans:
                rows.append((turn.text, words(spans[k + 1])))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", default=None, help="GoEmotions model directory (default: the shipped one)")
    parser.add_argument("--out", default=None, help="results folder (default benchmarks/results)")
    args = parser.parse_args()
    analyzer = Analyzer(args.model, threads=args.threads) if args.model else Analyzer(threads=args.threads)
    rows = turns()
    analyzer.explain(rows[0][0])  # load the session first
    results = {}
    for method in ("head", "occlusion"):
        scores, start = [], time.perf_counter()
        for text, gold in rows:
            found = analyzer.explain(text, top_n=3, method=method)
            scores.append(set_f1({w for t in found[:3] for w in words(t.text)}, gold))
        ms = (time.perf_counter() - start) / len(rows) * 1000
        results[method] = {"token_f1": round(float(np.mean(scores)), 4), "ms_per_turn": round(ms, 1)}
    payload = {"benchmark": "trigger_words", "date": utc_now(), "command": command_line(),
               "split": "RECCON dailydialog_valid", "turns": len(rows), "results": results,
               "machine": machine_info(["onnxruntime"])}
    table = markdown_table(["method", "token F1 (top 3)", "ms per turn"],
                           [(m, r["token_f1"], r["ms_per_turn"]) for m, r in results.items()])
    md = (f"# Trigger words vs RECCON-DD valid same-turn cause spans ({len(rows)} turns)\n\n{table}\n\n"
          f"Command: `{payload['command']}`\n")
    write_results("trigger_words", payload, md, args.out)
    print(md)


if __name__ == "__main__":
    main()
