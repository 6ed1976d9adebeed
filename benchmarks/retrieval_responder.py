"""The offline retrieval responder on EmpatheticDialogues test.

Writes ``benchmarks/results/retrieval_responder.{json,md}``.

1. P@1,100 (the protocol of Rashkin et al. 2019, "Towards Empathetic Open-domain
   Conversation Models"): for every listener turn of ED test, its true reply is ranked
   among 100 candidates (itself + 99 other ED test replies drawn at random, seed 0) by the
   retrieval scorer (``RetrievalBackend.rank``: cosine of the context and reply
   embeddings of the frozen all-MiniLM-L6-v2; emotive trains nothing for this).
2. Replies to ``--n`` ED test conversations (seeded sample; context = every turn before the
   first listener reply), chosen from the train index of ED + ESConv, with and without
   emotive's guidance: Distinct-1/2 (Li et al. 2016); emotion fit, the share of replies
   whose own detected emotion (GoEmotions model, Ekman-7) is the planned reply emotion;
   situation match, the share drawn from a train conversation with the test one's gold
   emotion label (the retrieval counterpart of HEF's emotion accuracy).

    python benchmarks/retrieval_responder.py [--n 500]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, log, machine_info, markdown_table, utc_now, write_results  # noqa: E402

from emotive._metrics import distinct_n  # noqa: E402
from emotive.backends import GenerateOptions, get_backend  # noqa: E402
from emotive.backends.retrieval_index import context_text  # noqa: E402
from emotive.datasets import empatheticdialogues  # noqa: E402
from emotive.respond import Responder, Steps  # noqa: E402
from emotive.schema import Conversation, Utterance  # noqa: E402


def examples(data: str | None) -> list[tuple[Conversation, int]]:
    """(conversation, index of a listener turn) for every listener turn of ED test."""
    return [(c, i) for c in empatheticdialogues.read("test", data) for i, t in enumerate(c.turns)
            if i > 0 and t.speaker == "listener"]


def p_at_1_100(backend, items, seed: int = 0) -> float:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    replies = [c.turns[i].text for c, i in items]
    enc = backend.encoder
    ctx = enc.encode([context_text([t.text for t in c.turns[:i]]) for c, i in items])
    rep = enc.encode(replies)
    hits = 0
    for k in range(len(items)):
        others = rng.sample(range(len(items) - 1), 99)
        cands = [k] + [j if j < k else j + 1 for j in others]
        hits += int(np.argmax(rep[cands] @ ctx[k]) == 0)
    return round(hits / len(items), 4)


def replies(responder: Responder, backend, convs: list[Conversation], guided: bool) -> dict:  # type: ignore[no-untyped-def]
    texts, fit, situation = [], [], []
    for conv in convs:
        g = responder.guide(conv)
        plan = g.plan() if guided else g.plan().unguided()
        result = backend.generate(g.messages, GenerateOptions(plan=plan))
        texts.append(result.text)
        fit.append(result.metadata["emotion"] == (g.reply_emotion.emotion if g.reply_emotion else None))
        situation.append(result.metadata["label"] == conv.annotations["emotion"])
    return {"distinct_1": distinct_n(texts, 1), "distinct_2": distinct_n(texts, 2),
            "emotion_fit": round(float(np.mean(fit)), 4), "situation_match": round(float(np.mean(situation)), 4),
            "examples": [{"context": c.turns[-1].text, "reply": r} for c, r in list(zip(convs, texts))[:5]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=500, help="conversations for the reply metrics")
    parser.add_argument("--data", default=None)
    args = parser.parse_args()
    backend = get_backend("retrieval", data=args.data, index="corpora")  # the full index, as reported
    items = examples(args.data)
    log(f"P@1,100 over {len(items)} ED test listener turns")
    p1 = p_at_1_100(backend, items)
    log("building / loading the retrieval index")
    backend.prepare(lambda what, done, total: log(f"index: {what} {done}/{total}") if done == total else None)
    first = {}
    for c, i in items:
        first.setdefault(c.id, (c, i))
    sample = random.Random(0).sample(sorted(first.values(), key=lambda x: x[0].id), min(args.n, len(first)))
    convs = [Conversation(c.id, tuple(Utterance(t.text, "user" if t.speaker == "speaker" else "assistant")
                                      for t in c.turns[:i]), annotations=dict(c.annotations)) for c, i in sample]
    responder = Responder(backend, steps=Steps(two_stage=False))
    rows = {}
    variants = (("guided (strategy, reply emotion, user emotion)", True), ("unguided (similarity only)", False))
    for label, guided in variants:
        log(f"{label}: {len(convs)} replies")
        rows[label] = replies(responder, backend, convs, guided)
    payload = {"benchmark": "retrieval_responder", "date": utc_now(), "command": command_line(),
               "p_at_1_100": p1, "n_p_at_1": len(items), "n_replies": len(convs), "results": rows,
               "anchor": "P@1,100 protocol of Rashkin et al. 2019 (ACL), Table 3; their retrieval models "
                         "are trained on Reddit and/or ED, this scorer is not trained on ED at all",
               "index": {"candidates": len(backend.prepare().candidates)}, "machine": machine_info(["onnxruntime"])}
    table = markdown_table(["replies", "Distinct-1", "Distinct-2", "emotion fit", "situation match"],
                           [(k, v["distinct_1"], v["distinct_2"], v["emotion_fit"], v["situation_match"])
                            for k, v in rows.items()])
    md = (f"# Retrieval responder on EmpatheticDialogues test\n\nP@1,100: **{p1}** over {len(items)} listener turns "
          f"(frozen all-MiniLM-L6-v2, no ED training; protocol of Rashkin et al. 2019).\n\n"
          f"Replies to {len(convs)} test conversations from an index of {payload['index']['candidates']} "
          f"human-written ED + ESConv train replies:\n\n{table}\n\nCommand: `{payload['command']}`\n")
    write_results("retrieval_responder", payload, md)
    print(md)


if __name__ == "__main__":
    main()
