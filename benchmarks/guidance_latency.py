"""Latency the guidance adds per turn, before any LLM call, on this machine's CPU.

Writes ``benchmarks/results/guidance_latency.{json,md}``.

``Responder.guide`` (safety, understanding with trigger words and causes, strategy plan,
reply emotion, prompt) on single conversations, one at a time: ESConv test dialogues cut
before a seeker turn (the last turn is the user's; up to 10 turns) and EmpatheticDialogues
test conversations cut the same way. Reported: p50/p95 of the whole and of each step, and
the same with causes and trigger words switched off. Target: p95 <= 50 ms. The embedding
caches (which spare a chat's earlier turns) are emptied before every call: each measurement
is a conversation met for the first time.

Side by side in the same run, on the same conversations, interleaved (each conversation
through every variant in turn): the steps one after another and in parallel (the default),
and **today's guidance as of session 3** (trigger words by occlusion over every word and
symbol run, a second GoEmotions pass for the labels, the planner reading 160 tokens), so the
speed-up is a ratio measured on one machine at one time (this workplace's CPUs differ by about 2.4x in int8 speed).

    python benchmarks/guidance_latency.py [--n 200] [--threads 2]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, log, machine_info, markdown_table, percentile, utc_now, write_results  # noqa: E402

from emotive.analyze import Analyzer, occluded  # noqa: E402
from emotive.analyze._explain import rank, units  # noqa: E402
from emotive.backends import get_backend  # noqa: E402
from emotive.datasets import empatheticdialogues, esconv  # noqa: E402
from emotive.models import SentenceEncoder  # noqa: E402
from emotive.respond import Responder, Steps, StrategyPlanner  # noqa: E402
from emotive.respond import safety as safety_module  # noqa: E402
from emotive.schema import Conversation, Utterance  # noqa: E402

USER = {"usr", "speaker"}


class SessionThreeAnalyzer(Analyzer):
    """The guidance's reading as of session 3: occlusion triggers (every unit, one extra
    input per unit) and a second GoEmotions pass for the labels."""

    def read(self, text, labels=None, top_n=3, method=None):  # type: ignore[no-untyped-def]
        spans = units(text)
        probs = self.model.predict([text, *occluded(text, spans)]).outputs["goemotions"]
        base = self._analyze([text], None, None, None)[0]
        wanted = [x for x in base.labels if x != "neutral"]
        index = {lab: i for i, lab in enumerate(self.labels)}
        found = rank(text, spans, probs[0], probs[1:], wanted, index, top_n) if spans else []
        return self.analyze(text), found


def conversations(n: int, data: str | None) -> list[Conversation]:
    rng = random.Random(0)
    out = []
    for reader in (esconv.read, empatheticdialogues.read):
        convs = list(reader("test", data))
        for conv in rng.sample(convs, min(n // 2, len(convs))):
            cuts = [i for i, t in enumerate(conv.turns[:10]) if t.speaker in USER]
            k = rng.choice(cuts)
            out.append(Conversation(conv.id, tuple(Utterance(t.text, "user" if t.speaker in USER else "assistant")
                                                   for t in conv.turns[:k + 1])))
    return out


def forget(responder: Responder) -> None:
    """Empty the embedding caches (the safety check's, the planner's tagger's), so that a
    variant does not reuse what the one before it encoded for the same conversation."""
    safety_module._EMBEDDINGS.clear()
    responder.planner._embeddings.clear()


def run(responders: dict[str, Responder], convs: list[Conversation]) -> dict[str, dict]:
    """Each responder's guidance on every conversation, interleaved (conversation by
    conversation, the responders in turn), so a busy moment of the machine falls on all."""
    for r in responders.values():
        r.guide(convs[0])  # load every model first
    total: dict[str, list[float]] = {k: [] for k in responders}
    steps: dict[str, dict[str, list[float]]] = {k: {} for k in responders}
    for conv in convs:
        for name, responder in responders.items():
            forget(responder)  # every variant meets the conversation cold, as a new chat would
            start = time.perf_counter()
            g = responder.guide(conv)
            total[name].append((time.perf_counter() - start) * 1000)
            for step, ms in g.timings_ms.items():
                steps[name].setdefault(step, []).append(ms)
    return {name: {"p50_ms": round(percentile(total[name], 50), 2), "p95_ms": round(percentile(total[name], 95), 2),
                   "steps_p95_ms": {k: round(percentile(v, 95), 2) for k, v in steps[name].items()}}
            for name in responders}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data", default=None)
    args = parser.parse_args()
    convs = conversations(args.n, args.data)
    analyzer = Analyzer(threads=args.threads)
    old_analyzer = SessionThreeAnalyzer(threads=args.threads)
    encoder = SentenceEncoder(threads=args.threads)
    planner, old_planner = StrategyPlanner(encoder), StrategyPlanner(encoder, max_length=None)
    mock = get_backend("mock")
    rows = {}
    for label, steps in (("all steps", Steps()), ("without causes and trigger words", Steps(causes=False))):
        log(f"{label}: {len(convs)} conversations, three responders interleaved")
        variants = {f"{label} (now, steps in turn)": Responder(mock, steps=steps, analyzer=analyzer, encoder=encoder,
                                                               planner=planner, parallel=False),
                    f"{label} (now, steps in parallel)": Responder(mock, steps=steps, analyzer=analyzer,
                                                                   encoder=encoder, planner=planner, parallel=True),
                    f"{label} (session 3)": Responder(mock, steps=steps, analyzer=old_analyzer, encoder=encoder,
                                                      planner=old_planner, parallel=False)}
        rows.update(run(variants, convs))
        for name in list(variants)[:2]:
            rows[name]["p95_ratio_session3_over_now"] = round(
                rows[f"{label} (session 3)"]["p95_ms"] / rows[name]["p95_ms"], 2)
    turns = sum(len(c.turns) for c in convs) / len(convs)
    payload = {"benchmark": "guidance_latency", "date": utc_now(), "command": command_line(), "n": len(convs),
               "mean_turns": round(turns, 2), "threads": args.threads, "target": "p95 <= 50 ms",
               "results": rows, "machine": machine_info(["onnxruntime"])}
    table = markdown_table(["guidance", "p50 ms", "p95 ms", "p95 per step (ms)"],
                           [(k, v["p50_ms"], v["p95_ms"], ", ".join(f"{s} {ms}" for s, ms in v["steps_p95_ms"].items()))
                            for k, v in rows.items()])
    ratios = ", ".join(f"{k}: {v['p95_ratio_session3_over_now']}x" for k, v in rows.items()
                       if "p95_ratio_session3_over_now" in v)
    md = (f"# Guidance latency per turn ({len(convs)} conversations, {turns:.1f} turns on average, "
          f"{args.threads} threads)\n\n{table}\n\nTarget: p95 <= 50 ms before the LLM call, and >= 6x "
          f"faster than session 3's guidance. p95 speed-up, same run: {ratios}.\n\n"
          f"Command: `{payload['command']}`\n")
    write_results("guidance_latency", payload, md)
    print(md)


if __name__ == "__main__":
    main()
