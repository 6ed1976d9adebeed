"""Guided vs unguided replies on EmpatheticDialogues test, against any backend (the
protocol of the Hybrid Empathetic Framework: Yang et al. 2024, "Enhancing Empathetic
Response Generation by Augmenting LLMs with Small-scale Empathetic Models").

Writes ``benchmarks/results/guided_vs_unguided[-SUFFIX].{json,md}``.

For ``--n`` ED test conversations (seeded sample; context = the turns before the first
listener reply) the backend answers twice:
- guided: every emotive step (the SEM's top ED-32 emotions first in a two-stage choice,
  trigger words and causes, the planned strategy and reply emotion);
- unguided: no SEM reading and no plan; the model still names the user's emotion, in one
  stage among the 32 labels.
Measured: emotion accuracy of the backend's choice against the gold ED label (for the
retrieval backend, the label of the conversation its reply comes from), Distinct-1/2, and
backend failures. The SEM's own top-1 accuracy is given for reference.

Run it on a real LLM, for example a local Ollama or vLLM server:

    python benchmarks/guided_vs_unguided.py --backend openai -O base_url=http://localhost:11434/v1 \\
        -O model=llama3.1 --suffix llama3.1
    python benchmarks/guided_vs_unguided.py --backend retrieval
    python benchmarks/guided_vs_unguided.py --backend transformers -O path=DIR --suffix tiny
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, log, machine_info, markdown_table, utc_now, write_results  # noqa: E402

from emotive._errors import BackendError  # noqa: E402
from emotive._metrics import distinct_n  # noqa: E402
from emotive.backends import get_backend  # noqa: E402
from emotive.cli._respond_options import backend_options  # noqa: E402
from emotive.datasets import empatheticdialogues  # noqa: E402
from emotive.respond import Responder, Steps  # noqa: E402
from emotive.schema import Conversation, Utterance  # noqa: E402

UNGUIDED = Steps(understanding=False, causes=False, strategy=False, persona=False)


def sample(n: int, data: str | None) -> list[Conversation]:
    convs = [c for c in empatheticdialogues.read("test", data) if len(c.turns) > 1]
    picked = random.Random(0).sample(convs, min(n, len(convs)))
    out = []
    for c in picked:
        k = next(i for i, t in enumerate(c.turns) if t.speaker == "listener")
        out.append(Conversation(c.id, tuple(Utterance(t.text, "user" if t.speaker == "speaker" else "assistant")
                                            for t in c.turns[:k]), annotations=dict(c.annotations)))
    return [c for c in out if c.turns]


def run(responder: Responder, convs: list[Conversation]) -> dict:
    texts, right, sem_right, failed = [], [], [], 0
    for n, conv in enumerate(convs, 1):
        try:
            reply = responder.reply(conv)
        except BackendError as exc:
            failed += 1
            log(f"backend failed on {conv.id}: {exc}")
            continue
        choice = reply.emotion_choice or reply.metadata.get("label")
        texts.append(reply.text)
        right.append(choice == conv.annotations["emotion"])
        reading = reply.guidance.reading
        if reading is not None and reading.candidates:
            sem_right.append(reading.candidates[0][0] == conv.annotations["emotion"])
        if n % 50 == 0:
            log(f"{n}/{len(convs)}")
    return {"emotion_accuracy": round(float(np.mean(right)), 4) if right else None,
            "sem_top1_accuracy": round(float(np.mean(sem_right)), 4) if sem_right else None,
            "distinct_1": distinct_n(texts, 1), "distinct_2": distinct_n(texts, 2),
            "answered": len(texts), "failed": failed,
            "examples": [{"context": c.turns[-1].text, "reply": t} for c, t in list(zip(convs, texts))[:3]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default="retrieval")
    parser.add_argument("-O", "--option", action="append", default=[], help="backend option KEY=VALUE")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--suffix", default=None, help="results file suffix (default: the backend name)")
    parser.add_argument("--data", default=None)
    args = parser.parse_args()
    backend = get_backend(args.backend, **backend_options(args.option))
    convs = sample(args.n, args.data)
    rows = {}
    for label, steps in (("guided (all steps)", Steps()), ("unguided", UNGUIDED)):
        log(f"{label}: {len(convs)} conversations with {args.backend}")
        rows[label] = run(Responder(backend, steps=steps), convs)
    name = f"guided_vs_unguided-{args.suffix or args.backend}"
    payload = {"benchmark": "guided_vs_unguided", "date": utc_now(), "command": command_line(),
               "backend": args.backend, "options": {k: v for k, v in backend_options(args.option).items()
                                                    if "key" not in k.lower()},
               "n": len(convs), "results": rows, "machine": machine_info(["onnxruntime"])}
    table = markdown_table(["replies", "emotion accuracy", "SEM top-1", "Distinct-1", "Distinct-2", "failed"],
                           [(k, v["emotion_accuracy"], v["sem_top1_accuracy"], v["distinct_1"], v["distinct_2"],
                             v["failed"]) for k, v in rows.items()])
    md = (f"# Guided vs unguided on EmpatheticDialogues test: backend `{args.backend}` ({len(convs)} "
          f"conversations, 32 emotions)\n\n{table}\n\nCommand: `{payload['command']}`\n")
    write_results(name, payload, md)
    print(md)


if __name__ == "__main__":
    main()
