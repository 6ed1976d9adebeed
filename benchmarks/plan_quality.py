"""Plan quality: strategy sequences, and whether replies follow the plan.

Writes ``benchmarks/results/plan_quality.{json,md}``.

1. **Sequences.** Supporters often use several strategies in one turn: ESConv splits such a
   turn into consecutive supporter utterances, one strategy each (a "block"). At the start
   of every block (the turn before it is the seeker's; gold strategy history), the planner's
   guarded scores give the first strategy, and ``max_strategies=2`` adds the runner-up when
   its score is at least ``ratio`` times the best's. The ratio is tuned on ESConv valid for
   the set-F1 of the planned vs the block's strategies; test is reported once, one strategy
   vs the tuned sequence: first-strategy accuracy, set precision/recall/F1, exact set match.
2. **Does the reply follow the plan?** For ``--n`` ESConv test block starts (seeded sample),
   the offline retrieval backend (the packaged index a pip install has; ``--index corpora``
   for the full one) answers guided (the typed plan: strategy, reply emotion, user emotion)
   and unguided (similarity only). Match: the share of replies whose own strategy equals the
   planned first strategy, read two ways: the strategy tagger on the reply's text
   (``StrategyPlanner.tag``, the same reading works on any backend's reply), and the label the
   index stores for the reply (gold for ESConv replies, tagged for ED ones). The tagger's own
   accuracy on the gold supporter utterances of those blocks says how far to trust it, and the
   human supporter's reply gives the same match as a reference.

    python benchmarks/plan_quality.py [--n 400] [--index packaged|corpora]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, log, machine_info, markdown_table, utc_now, write_results  # noqa: E402

from emotive.backends import GenerateOptions, get_backend  # noqa: E402
from emotive.datasets import esconv  # noqa: E402
from emotive.respond import Responder, StrategyPlanner  # noqa: E402
from emotive.respond.strategy import STRATEGIES, guarded, sequence_of  # noqa: E402
from emotive.schema import Conversation, Utterance  # noqa: E402

RATIOS = (1.01, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.6, 0.5)


def blocks(split: str, data: str | None) -> list[tuple[Conversation, int, list[str], list[str], list[str]]]:
    """(dialogue, index of the block's first turn, gold history before it, the block's
    strategies, the block's texts) for every supporter block after the first turn."""
    out = []
    for conv in esconv.read(split, data):
        hist: list[str] = []
        i, turns = 0, conv.turns
        while i < len(turns):
            if turns[i].speaker != "sys":
                i += 1
                continue
            j = i
            while j < len(turns) and turns[j].speaker == "sys":
                j += 1
            said = [t.annotations["strategy"] for t in turns[i:j]]
            if i > 0:
                out.append((conv, i, list(hist), said, [t.text for t in turns[i:j]]))
            hist += said
            i = j
    return out


def guarded_scores(planner: StrategyPlanner, items) -> np.ndarray:  # type: ignore[no-untyped-def]
    steps = [[(t.speaker or "usr", t.text) for t in conv.turns[:i]] for conv, i, *_ in items]
    hists = [h for _, _, h, _, _ in items]
    probs = np.concatenate([planner.probs(steps[k:k + 64], hists[k:k + 64]) for k in range(0, len(steps), 64)])
    return np.stack([guarded(p, planner.prior, h, **planner.settings) for p, h in zip(probs, hists)])


def set_scores(scores: np.ndarray, gold: list[list[str]], max_strategies: int, ratio: float) -> dict[str, float]:
    tp = fp = fn = first = exact = 0
    for s, g in zip(scores, gold):
        pred = sequence_of(s, max_strategies, ratio)
        want, got = set(g), set(pred)
        tp, fp, fn = tp + len(want & got), fp + len(got - want), fn + len(want - got)
        first += pred[0] == g[0]
        exact += want == got
    p, r = tp / (tp + fp), tp / (tp + fn)
    return {"first_accuracy": round(first / len(gold), 4), "set_precision": round(p, 4), "set_recall": round(r, 4),
            "set_f1": round(2 * p * r / (p + r), 4), "exact_set": round(exact / len(gold), 4),
            "mean_planned": round(float(np.mean([len(sequence_of(s, max_strategies, ratio)) for s in scores])), 3)}


def sequences(planner: StrategyPlanner, data: str | None) -> dict:
    valid, test = blocks("valid", data), blocks("test", data)
    log(f"sequences: {len(valid)} valid and {len(test)} test blocks")
    sv, st = guarded_scores(planner, valid), guarded_scores(planner, test)
    gold_v, gold_t = [b[3] for b in valid], [b[3] for b in test]
    tuning = {str(r): set_scores(sv, gold_v, 2, r) for r in RATIOS}
    best = max(RATIOS, key=lambda r: tuning[str(r)]["set_f1"])
    multi = float(np.mean([len(set(g)) > 1 for g in gold_t]))
    return {"valid_tuning": tuning, "tuned_ratio": best, "test_multi_strategy_share": round(multi, 4),
            "test": {"one strategy": set_scores(st, gold_t, 1, best),
                     f"up to two (ratio {best})": set_scores(st, gold_t, 2, best)}, "n_valid": len(valid),
            "n_test": len(test)}


def conversation_of(conv: Conversation, i: int) -> Conversation:
    return Conversation(conv.id, tuple(Utterance(t.text, "user" if t.speaker == "usr" else "assistant",
                                                 annotations=dict(t.annotations)) for t in conv.turns[:i]))


def follow(responder: Responder, backend, planner: StrategyPlanner, items) -> dict:  # type: ignore[no-untyped-def]
    planned, replies, labels = [], {"guided": [], "unguided": []}, {"guided": [], "unguided": []}
    kept = []
    for item in items:
        conv, i, *_ = item
        g = responder.guide(conversation_of(conv, i))
        if g.strategy is None:  # the safety step answered (no plan, no backend call)
            continue
        kept.append(item)
        planned.append(g.strategy.strategy)
        for name, plan in (("guided", g.plan()), ("unguided", g.plan().unguided())):
            result = backend.generate(g.messages, GenerateOptions(plan=plan))
            replies[name].append(result.text)
            labels[name].append(result.metadata.get("strategy"))
    flagged, items = len(items) - len(kept), kept
    human = [texts[0] for *_, texts in items]
    gold = [said[0] for *_, said, _ in items]
    tagged = {name: planner.tag(texts) for name, texts in {**replies, "human": human}.items()}
    rows = {}
    for name in ("guided", "unguided"):
        rows[f"retrieval, {name}"] = {
            "match_tagged": _share(tagged[name], planned), "match_index_label": _share(labels[name], planned),
            "distinct_strategies_tagged": len(set(tagged[name]))}
    rows["human supporter (reference)"] = {"match_tagged": _share(tagged["human"], planned),
                                           "match_index_label": _share(gold, planned),
                                           "distinct_strategies_tagged": len(set(tagged["human"]))}
    return {"rows": rows, "flagged_by_safety": flagged, "n_planned": len(items),
            "tagger_accuracy_on_gold": _share(tagged["human"], gold),
            "planned_share": {s: round(planned.count(s) / len(planned), 4) for s in STRATEGIES},
            "examples": [{"seeker": conv.turns[i - 1].text, "planned": p, "guided": rg, "unguided": ru}
                         for (conv, i, *_), p, rg, ru in list(zip(items, planned, replies["guided"],
                                                                  replies["unguided"]))[:4]]}


def _share(got: list, want: list) -> float:  # type: ignore[type-arg]
    return round(float(np.mean([a == b for a, b in zip(got, want)])), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=400, help="ESConv test block starts for the reply match")
    parser.add_argument("--index", default="packaged", choices=("packaged", "corpora"))
    parser.add_argument("--data", default=None)
    args = parser.parse_args()
    planner = StrategyPlanner()
    seq = sequences(planner, args.data)
    backend = get_backend("retrieval", index=args.index, data=args.data)
    responder = Responder(backend, planner=planner, encoder=planner.encoder)
    sample = random.Random(0).sample(blocks("test", args.data), args.n)
    log(f"reply match: {len(sample)} test blocks, guided and unguided")
    fol = follow(responder, backend, planner, sample)
    payload = {"benchmark": "plan_quality", "date": utc_now(), "command": command_line(), "sequences": seq,
               "follow": {"n": len(sample), "index": args.index, **fol}, "machine": machine_info(["onnxruntime"])}
    seq_rows = [(k, v["first_accuracy"], v["set_precision"], v["set_recall"], v["set_f1"], v["exact_set"],
                 v["mean_planned"]) for k, v in seq["test"].items()]
    fol_rows = [(k, v["match_tagged"], v["match_index_label"], v["distinct_strategies_tagged"])
                for k, v in fol["rows"].items()]
    md = (f"# Plan quality\n\n## Strategy sequences (ESConv test, {seq['n_test']} supporter blocks; "
          f"{seq['test_multi_strategy_share']:.1%} use more than one strategy)\n\nRatio tuned on valid: "
          f"{seq['tuned_ratio']}.\n\n"
          + markdown_table(["plan", "first acc", "set P", "set R", "set F1", "exact set", "strategies/plan"], seq_rows)
          + f"\n\n## Do replies follow the plan? ({len(sample)} ESConv test block starts, {args.index} index)\n\n"
          + markdown_table(["replies", "match (tagger)", "match (index label)", "distinct strategies"], fol_rows)
          + f"\n\n{fol['flagged_by_safety']} of the {len(sample)} were answered by the safety step (no plan). "
            f"The tagger reads the gold strategy of the human supporter's first utterance with accuracy "
            f"{fol['tagger_accuracy_on_gold']}.\n\nCommand: `{payload['command']}`\n")
    write_results("plan_quality", payload, md)
    print(md)


if __name__ == "__main__":
    main()
