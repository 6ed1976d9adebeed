"""Do cause themes recover what people are upset about? ESConv situations vs problem types.

Writes ``benchmarks/results/themes_esconv.{json,md}``.

ESConv (Liu et al. 2021, CC BY-NC 4.0) gives each support dialogue the seeker's situation
in their own words and one of a few problem types (job crisis, breakup, ...): the situation
is what causes the seeker's emotion, the problem type is a human grouping of those causes.
Both theme builders of ``emotive causes`` group the situations (leader clustering at a
cosine threshold; the largest 12 groups kept, the rest ``(other)``):

- ``words``: TF-IDF of content words and bigrams;
- ``meaning``: the shipped all-MiniLM-L6-v2 sentence encoder (``emotive.respond-minilm.v1``).

Agreement with the problem types: normalized mutual information (NMI) and purity, with
``(other)`` as one more group. Each builder's threshold is chosen on ESConv valid (the
highest threshold within 0.01 NMI of the best, so themes stay as fine as the data allows);
test is reported once.

    python benchmarks/themes_esconv.py
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, log, machine_info, markdown_table, utc_now, write_results  # noqa: E402

from emotive.datasets import esconv  # noqa: E402
from emotive.models._encoder import SentenceEncoder  # noqa: E402
from emotive.report import themes  # noqa: E402

GRID = {"words": (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4),
        "meaning": (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6)}
TOLERANCE = 0.01  # the highest threshold within this much valid NMI of the best (finer themes)


def nmi(a: list, b: list) -> float:
    """Normalized mutual information (arithmetic mean of the two entropies)."""
    n = len(a)
    ca, cb, cab = Counter(a), Counter(b), Counter(zip(a, b))
    mi = sum(c / n * np.log(c * n / (ca[x] * cb[y])) for (x, y), c in cab.items())
    h = [-sum(c / n * np.log(c / n) for c in cnt.values()) for cnt in (ca, cb)]
    return float(2 * mi / (h[0] + h[1])) if sum(h) else 1.0


def purity(groups: list, gold: list) -> float:
    by: dict = {}
    for g, y in zip(groups, gold):
        by.setdefault(g, Counter())[y] += 1
    return sum(c.most_common(1)[0][1] for c in by.values()) / len(gold)


def score(texts: list[str], gold: list[str], vectors, threshold: float) -> dict:
    found = themes(texts, threshold=threshold, vectors=vectors)
    group = [""] * len(texts)
    for t in found:
        for i in t.members:
            group[i] = t.name
    other = sum(len(t.members) for t in found if t.name == "(other)") / len(texts)
    return {"threshold": threshold, "nmi": round(nmi(group, gold), 4), "purity": round(purity(group, gold), 4),
            "themes": sum(t.name != "(other)" for t in found), "other_share": round(other, 4)}


def split(name: str, encoder: SentenceEncoder) -> tuple[list[str], list[str], np.ndarray]:
    convs = list(esconv.read(name))
    texts = [c.annotations["situation"] for c in convs]
    return texts, [c.annotations["problem_type"] for c in convs], encoder.encode(texts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=None, help="results folder (default benchmarks/results)")
    args = ap.parse_args()
    encoder = SentenceEncoder(threads=2)
    result = {}
    for method, grid in GRID.items():
        log(method)
        texts, gold, vec = split("valid", encoder)
        valid = [score(texts, gold, vec if method == "meaning" else None, t) for t in grid]
        top = max(r["nmi"] for r in valid)
        best = max((r for r in valid if r["nmi"] >= top - TOLERANCE), key=lambda r: r["threshold"])
        texts, gold, vec = split("test", encoder)
        test = score(texts, gold, vec if method == "meaning" else None, best["threshold"])
        result[method] = {"valid": valid, "test": test, "problem_types": len(set(gold)), "situations": len(texts)}
    payload = {"date": utc_now(), "command": command_line(), "machine": machine_info(["onnxruntime"]),
               "results": result}
    paths = write_results("themes_esconv", payload, render(payload), args.out)
    print(paths[1].read_text())


def render(p: dict) -> str:
    r = p["results"]
    keys = ["threshold", "nmi", "purity", "themes", "other_share"]
    test = [[m] + [v["test"][k] for k in keys] for m, v in r.items()]
    valid = [[m] + [row[k] for k in keys] for m, v in r.items() for row in v["valid"]]
    any_ = next(iter(r.values()))
    return "\n".join([
        "# Cause themes vs ESConv problem types", "", f"`{p['command']}` on {p['date']}", "",
        f"## Test ({any_['situations']} situations, {any_['problem_types']} problem types; threshold chosen on valid)",
        "", markdown_table(["themes by", *keys], test), "",
        "## Valid (threshold grid)", "", markdown_table(["themes by", *keys], valid),
    ])


if __name__ == "__main__":
    main()
