"""Accuracy and speed of the shipped conversation model, with ablations.

Writes ``benchmarks/results/conversation_accuracy.{json,md}``. Test sets, measured once:
MELD test weighted-F1 (7 classes, text only), DailyDialog test micro-F1 without neutral,
EmoBank test Pearson r (V, A, D; combined, reader and writer views), EmpatheticDialogues
test 32-way accuracy (from the situation, and from the speaker's opening turn).

Ablations of the in-context head: the shipped model fed without speaker marks and without
context (inference-time), and models *trained* without context / speakers when given
with ``--ablation DIR`` (``emotive train conversation --window 0 --tasks context7`` …).
Speed: turns/s of ``Analyzer.analyze_conversations`` (both models) on MELD test, without
and with emotion causes.

    python benchmarks/conversation_accuracy.py [--model DIR] [--ablation DIR ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, log, machine_info, markdown_table, utc_now, write_results  # noqa: E402

from emotive import Analyzer  # noqa: E402
from emotive.datasets import meld  # noqa: E402
from emotive.models import OnnxModel, resolve_model  # noqa: E402
from emotive.training._conv_data import Config, _metrics_single, context_examples, test_metrics  # noqa: E402

NAME = "emotive.conversation-minilm.v1"
TARGETS = {"meld_test_weighted_f1": 0.62, "dailydialog_test_micro_f1": 0.57,
           "emobank_test_r_v": 0.78, "ed32_test_accuracy_situation": 0.50}
ANCHORS = {
    "meld_test_weighted_f1": "EmoBERTa 65.61 (Kim & Vossen 2021, RoBERTa-large); COSMIC 65.21 (Ghosal et al. 2020)",
    "dailydialog_test_micro_f1": "COSMIC 58.48 (Ghosal et al. 2020); CESTa 63.12 (Wang et al. 2020)",
    "emobank_test_r_v": "(target from the issue)",
    "ed32_test_accuracy_situation": "MoEL 32.2 (Lin et al. 2019), CEM 39.1 (Sabour et al. 2022), "
                                    "CASE 40.2 (Zhou et al. 2023); dialogue-context classifiers",
}


def config_of(model: OnnxModel) -> Config:
    spec = model.manifest.extra.get("input", {})
    return Config(window=spec.get("window", 3), speakers=spec.get("speakers", True))


def context_only(model: OnnxModel, cfg: Config) -> dict:
    ctx, source = context_examples("test", "test", cfg, None)
    probs = model.predict(ctx.inputs).outputs["context7"]
    src = np.array(source)
    return {name: _metrics_single(ctx.targets[src == name], probs[src == name].argmax(1))
            for name in ("meld", "dailydialog")}


def ablations(model: OnnxModel, extra: list[Path]) -> dict:
    cfg = config_of(model)
    runs = {"shipped (context + speakers)": (model, cfg),
            "shipped, fed without speaker marks": (model, dataclasses.replace(cfg, speakers=False)),
            "shipped, fed without context": (model, dataclasses.replace(cfg, window=0))}
    for path in extra:
        m = OnnxModel(path, threads=2)
        spec = m.manifest.extra.get("input", {})
        alone = ", context7 head alone" if set(m.manifest.heads) == {"context7"} else ""
        runs[f"trained with window={spec.get('window')}, speakers={spec.get('speakers')}{alone}"] = (m, config_of(m))
    out = {}
    for label, (m, c) in runs.items():
        log(f"ablation: {label}")
        out[label] = context_only(m, c)
    return out


def speed(analyzer: Analyzer) -> dict:
    """Turns/s of the whole conversation analysis, without and with emotion causes."""
    convs = list(meld.read("test"))
    turns = sum(len(c.turns) for c in convs)
    analyzer.analyze_conversations(convs[:5])  # warm-up
    out = {"conversations": len(convs), "turns": turns}
    for causes in (False, True):
        start = time.perf_counter()
        analyzer.analyze_conversations(convs, causes=causes)
        seconds = time.perf_counter() - start
        key = "with_causes" if causes else "without_causes"
        out[key] = {"seconds": round(seconds, 2), "turns_per_s": round(turns / seconds, 1)}
    out["turns_per_s"] = out["without_causes"]["turns_per_s"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=NAME, help="conversation model name or directory")
    ap.add_argument("--ablation", type=Path, action="append", default=[],
                    help="a context7 model trained with other --window/--speakers settings")
    ap.add_argument("--out", default=None, help="results folder (default benchmarks/results)")
    args = ap.parse_args()
    manifest = resolve_model(args.model)
    model = OnnxModel(manifest, threads=2)
    log("test metrics")
    metrics = test_metrics(model, config_of(model), None)
    result = {"test": metrics, "ablations": ablations(model, args.ablation)}
    log("speed")
    result["speed"] = speed(Analyzer(threads=2, conversation_model=args.model))
    met = {k: (metrics.get(k), metrics.get(k) is not None and metrics[k] >= t) for k, t in TARGETS.items()}
    payload = {"model": manifest.name, "version": manifest.version, "date": utc_now(), "command": command_line(),
               "machine": machine_info(["onnxruntime"]), "targets": TARGETS, "anchors": ANCHORS,
               "target_met": {k: v[1] for k, v in met.items()}, "results": result}
    paths = write_results("conversation_accuracy", payload, render(payload), args.out)
    print(paths[1].read_text())


def render(p: dict) -> str:
    r = p["results"]
    t = r["test"]
    rows = [[k, f"{t[k]:.4f}" if k in t else "-", p["targets"][k],
             "met" if p["target_met"][k] else "missed", p["anchors"][k]] for k in p["targets"]]
    rows.append(["emobank_test_r_a / r_d", f"{t.get('emobank_test_r_a', 0):.4f} / {t.get('emobank_test_r_d', 0):.4f}",
                 "-", "-", "reported"])
    rows.append(["ed32_test_accuracy_opening", f"{t.get('ed32_test_accuracy_opening', 0):.4f}", "-", "-",
                 "from the speaker's first turn only"])
    abl = [[k, f"{v['meld']['weighted_f1']:.4f}", f"{v['dailydialog']['micro_f1_without_neutral']:.4f}"]
           for k, v in r["ablations"].items()]
    s = r["speed"]
    return "\n".join([
        f"# Conversation model: {p['model']}", "", f"`{p['command']}` on {p['date']}", "",
        "## Test sets (int8, measured once)", "",
        markdown_table(["metric", "value", "target", "", "anchors"], rows), "",
        "## Ablation of the in-context head (test)", "",
        markdown_table(["input", "MELD weighted-F1", "DailyDialog micro-F1 w/o neutral"], abl), "",
        "## Speed (2 threads, both models, MELD test)", "",
        f"{s['turns']} turns in {s['conversations']} conversations: {s['turns_per_s']} turns/s for emotions "
        f"in context, VAD, intensity and the 28 fine labels; "
        f"{s['with_causes']['turns_per_s']} turns/s with emotion causes as well "
        f"({p['model']} {p['version']}, {p['machine']['cpu_count']} cores). Turns/s "
        "depend on the CPU: compare models side by side in one run, not across runs.",
    ])


if __name__ == "__main__":
    main()
