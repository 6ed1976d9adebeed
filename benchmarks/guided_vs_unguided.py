"""Guided vs unguided replies on EmpatheticDialogues test, against any backend (the
protocol of the Hybrid Empathetic Framework: Yang et al. 2024, "Enhancing Empathetic
Response Generation by Augmenting LLMs with Small-scale Empathetic Models").

A thin caller of the ``hef`` suite of ``emotive.evaluate`` (``emotive eval hef``), which
holds the protocol; this script writes its numbers in the shape of
``benchmarks/results/guided_vs_unguided[-SUFFIX].{json,md}``:
for ``--n`` ED test conversations (seeded sample; context = the turns before the first
listener reply) the backend answers guided (every emotive step, the two-stage emotion
choice) and unguided (no reading, no plan; one stage among the 32 labels). Measured: emotion
accuracy of the backend's choice against the gold label (for the retrieval backend, the
label of the conversation its reply comes from) with its bootstrap 95% interval,
Distinct-1/2, failures, and the SEM's own top-1 accuracy for reference.

    python benchmarks/guided_vs_unguided.py --backend openai -O base_url=http://localhost:11434/v1 \\
        -O model=llama3.1 --suffix llama3.1
    python benchmarks/guided_vs_unguided.py --backend retrieval
    python benchmarks/guided_vs_unguided.py --backend transformers -O path=DIR --suffix tiny
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, log, machine_info, markdown_table, utc_now, write_results  # noqa: E402

from emotive.cli._respond_options import backend_options  # noqa: E402
from emotive.evaluate import evaluate  # noqa: E402

ROWS = {"guided (all steps)": "guided", "unguided": "unguided"}


def row(report: dict[str, Any], condition: str) -> dict[str, Any]:
    """One condition in the results file's shape (the accuracy's interval beside it)."""
    block, suite = report["conditions"][condition], report["suite_metrics"][condition]
    acc = block["metrics"]["correct"]
    mine = [t for t in report["transcripts"] if t["condition"] == condition]
    answered = [t for t in mine if t["error"] is None]
    return {"emotion_accuracy": acc["value"], "emotion_accuracy_ci95": [acc["low"], acc["high"]],
            "sem_top1_accuracy": suite["sem_top1_accuracy"]["value"],
            "distinct_1": suite["distinct_1"]["value"], "distinct_2": suite["distinct_2"]["value"],
            "answered": len(answered), "failed": block["failed"], "unparsable": block["unparsable"],
            "examples": [{"context": t["meta"]["context"], "reply": t["answer"]} for t in answered[:3]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default="retrieval")
    parser.add_argument("-O", "--option", action="append", default=[], help="backend option KEY=VALUE")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--suffix", default=None, help="results file suffix (default: the backend name)")
    parser.add_argument("--data", default=None)
    parser.add_argument("--out", default=None, help="keep the eval run (store and report) here (default: temporary)")
    parser.add_argument("--results", default=None, help="results folder (default: benchmarks/results)")
    args = parser.parse_args()
    options = backend_options(args.option)
    log(f"hef suite: {args.n} conversations with {args.backend}, guided and unguided")
    with tempfile.TemporaryDirectory() as tmp:
        report = evaluate("hef", backend=args.backend, options=options, data=args.data, n=args.n,
                          modes=("guided", "unguided"), temperature=0.7, out=args.out or tmp).data
    rows = {label: row(report, cond) for label, cond in ROWS.items()}
    n = report["conditions"]["guided"]["items"]
    payload = {"benchmark": "guided_vs_unguided", "date": utc_now(), "command": command_line(),
               "backend": args.backend, "options": {k: v for k, v in options.items() if "key" not in k.lower()},
               "n": n, "results": rows, "difference_guided_minus_unguided": report["differences"]["guided - unguided"],
               "eval_run": report["run_id"], "machine": machine_info(["onnxruntime"])}
    table = markdown_table(["replies", "emotion accuracy [95% CI]", "SEM top-1", "Distinct-1", "Distinct-2", "failed"],
                           [(k, f"{v['emotion_accuracy']} [{v['emotion_accuracy_ci95'][0]}, "
                                f"{v['emotion_accuracy_ci95'][1]}]", v["sem_top1_accuracy"], v["distinct_1"],
                             v["distinct_2"], v["failed"]) for k, v in rows.items()])
    d = payload["difference_guided_minus_unguided"]
    md = (f"# Guided vs unguided on EmpatheticDialogues test: backend `{args.backend}` ({n} "
          f"conversations, 32 emotions)\n\n{table}\n\nGuided - unguided emotion accuracy (paired bootstrap 95%): "
          f"{d['value']} [{d['low']}, {d['high']}]\n\nCommand: `{payload['command']}`\n")
    write_results(f"guided_vs_unguided-{args.suffix or args.backend}", payload, md, args.results)
    print(md)


if __name__ == "__main__":
    main()
