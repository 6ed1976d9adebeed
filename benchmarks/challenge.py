"""The text people really write: a challenge set per phenomenon, and zero-shot transfer.

1. **Challenge set** (benchmarks/data/challenge.jsonl, written for this benchmark: 105
   texts, 15 per phenomenon: sarcasm, emoji-only, emoji-heavy, negation, slang, very short,
   typos; each with the GoEmotions labels a careful reader would give). Per phenomenon:
   - *top-1*: the model's ``top`` is one of the reader's labels;
   - *any*: the model's ``labels`` share at least one label with the reader's;
   - *Ekman top-1*: ``top`` and the reader's labels agree in the Ekman-7 view;
   - *sentiment*: ``top``'s sentiment (positive/negative/ambiguous/neutral) is that of the
     reader's first label.
2. **Zero-shot cross-domain** (the GoEmotions model never trained on these): MELD test and
   DailyDialog test in the Ekman-7 view (``goemotions_accuracy.cross_dataset``, reused),
   and EmpatheticDialogues test *situations* (the speaker's own description of what
   happened), whose 32 emotions are mapped to GoEmotions labels by the taxonomy's
   documented ``ed32.to_goemotions`` mapping (afraid -> fear, devastated -> grief, content
   -> relief, ...; the 5 emotions without a counterpart: faithful, jealous, nostalgic,
   prepared, sentimental, are left out). Reported: the fine label top-1 accuracy and macro-F1
   over the mapped labels (argmax of the 28 scores), and the Ekman view's accuracy and
   macro-F1 over its 6 emotions (the gold is never neutral; predicting neutral is an error).

    python benchmarks/challenge.py [--model DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO_ROOT, command_line, log, machine_info, markdown_table, scheme_scores, utc_now, write_results  # noqa: E402
from goemotions_accuracy import cross_dataset  # noqa: E402

from emotive import Analyzer, _metrics  # noqa: E402
from emotive.datasets import empatheticdialogues  # noqa: E402
from emotive.taxonomy import get_scheme  # noqa: E402

CHALLENGE = REPO_ROOT / "benchmarks" / "data" / "challenge.jsonl"


def group_of(scheme: str, label: str) -> str:
    sch = get_scheme(scheme)
    return next(g for g in sch.labels if label in sch.groups[g])


def challenge(analyzer: Analyzer) -> dict[str, Any]:
    items = [json.loads(line) for line in CHALLENGE.read_text(encoding="utf-8").splitlines() if line.strip()]
    results = analyzer.analyze([it["text"] for it in items])
    per: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    examples = []
    for it, res in zip(items, results):
        gold = set(it["labels"])
        hits = {"top1": res.top in gold, "any": bool(gold & set(res.labels)),
                "ekman_top1": group_of("ekman", res.top) in {group_of("ekman", g) for g in gold},
                "sentiment": group_of("sentiment", res.top) == group_of("sentiment", it["labels"][0])}
        for key, ok in hits.items():
            per[it["phenomenon"]][key].append(ok)
            per["all"][key].append(ok)
        examples.append({"phenomenon": it["phenomenon"], "text": it["text"], "gold": it["labels"],
                         "top": res.top, "labels": list(res.labels), "top_score": round(res.scores[res.top], 3)})
    order = [ph for ph in per if ph != "all"] + ["all"]
    table = {ph: {k: round(float(np.mean(v)), 3) for k, v in per[ph].items()} | {"n": len(per[ph]["top1"])}
             for ph in order}
    return {"per_phenomenon": table, "predictions": examples}


def empathetic_situations(analyzer: Analyzer) -> dict[str, Any]:
    """Zero-shot on ED test situations through ``ed32.to_goemotions``."""
    mapping = get_scheme("ed32").to_goemotions
    rows = [(c.annotations["situation"], mapping[c.annotations["emotion"]])
            for c in empatheticdialogues.read("test") if mapping.get(c.annotations["emotion"])]
    fine = analyzer.labels
    probs = analyzer.model.predict([text for text, _ in rows]).outputs["goemotions"]
    gold = np.array([fine.index(g) for _, g in rows])
    pred = probs.argmax(1)
    mapped = np.array(sorted(set(gold.tolist())))
    per_label = _metrics.f1_per_label(gold[:, None] == mapped, pred[:, None] == mapped)
    ek = get_scheme("ekman")
    ek_pred = scheme_scores(probs, fine).argmax(1)
    ek_gold = np.array([ek.labels.index(group_of("ekman", g)) for _, g in rows])
    eye = np.eye(len(ek.labels), dtype=bool)
    ek_f1 = _metrics.f1_per_label(eye[ek_gold], eye[ek_pred])
    six = [i for i, lab in enumerate(ek.labels) if lab != "neutral"]  # the gold is never neutral
    return {"situations": len(rows), "mapped_labels": len(mapped),
            "fine_top1_accuracy": round(float((pred == gold).mean()), 4),
            "fine_macro_f1_over_mapped": round(float(per_label.mean()), 4),
            "predicted_neutral_share": round(float((pred == fine.index("neutral")).mean()), 4),
            "ekman_accuracy": round(float((ek_pred == ek_gold).mean()), 4),
            "ekman_macro_f1_6_emotions": round(float(ek_f1[six].mean()), 4)}


def render(p: dict[str, Any]) -> str:
    ch = p["challenge"]["per_phenomenon"]
    rows = [[ph, r["n"], r["top1"], r["any"], r["ekman_top1"], r["sentiment"]] for ph, r in ch.items()]
    cd = p["cross_domain_zero_shot"]
    ek_rows = [[name, r["accuracy"], r["weighted_f1"], r["macro_f1"]] for name, r in cd["ekman7"].items()]
    ed = cd["empatheticdialogues_situations"]
    return (f"# Challenge set and zero-shot cross-domain transfer\n\n`{p['command']}` ({p['model']})\n\n"
            "## Challenge set (written for this benchmark, 15 texts per phenomenon)\n\n"
            + markdown_table(["phenomenon", "n", "top-1", "any label", "Ekman top-1", "sentiment"], rows)
            + "\n\n## Zero-shot, Ekman-7 view (one label per utterance)\n\n"
            + markdown_table(["test set", "accuracy", "weighted-F1", "macro-F1"], ek_rows)
            + f"\n\n## Zero-shot, EmpatheticDialogues test situations ({ed['situations']} with a mapped label)\n\n"
            + markdown_table(["metric", "value"], [[k, v] for k, v in ed.items()]) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="model directory (default: the shipped one)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    analyzer = Analyzer(args.model, threads=2)
    log("challenge set")
    result: dict[str, Any] = {"challenge": challenge(analyzer)}
    log("MELD, DailyDialog (Ekman-7)")
    ekman = {name: {k: round(v, 4) if isinstance(v, float) else v for k, v in r.items() if k != "per_label_f1"}
             for name, r in cross_dataset(analyzer.model).items()}
    log("EmpatheticDialogues situations")
    result["cross_domain_zero_shot"] = {"ekman7": ekman,
                                        "empatheticdialogues_situations": empathetic_situations(analyzer)}
    payload = {"model": analyzer.model.manifest.name, "model_version": analyzer.model.manifest.version,
               "date": utc_now(), "command": command_line(), "machine": machine_info(["onnxruntime"]), **result}
    write_results("challenge", payload, render(payload), args.out)
    print(render(payload))


if __name__ == "__main__":
    main()
