"""``strategy``: ESConv test, the backend chooses the supporter's next strategy among the
eight (Liu et al. 2021), beside emotive's planner on the same turns.

Every supporter turn after the first is a question: the conversation so far (its last
``CONTEXT_TURNS`` turns, each supporter turn tagged with its gold strategy) and the eight
strategies with short definitions. Guided, the system message adds emotive's reading of the
last turn and its planner's choice. A backend that writes no choice but says which
strategy its reply uses (``metadata["strategy"]``: the templates and retrieval backends)
is scored on that.

Metrics after Kang et al. 2024 ("Can Large Language Models be Good Emotional Supporter?
Mitigating Preference Bias on Emotional Support Conversation", ACL): accuracy, proficiency
Q (macro-F1 over the 8 strategies) and preference bias B (the standard deviation of the
Bradley-Terry strengths fitted to the confusion matrix, scaled to mean 1: compare B within
one report rather than with the paper's). The reference rows, on the same turns: the planner
with and without its anti-preference guard, with gold and with tagged history, and three
baselines (the most frequent strategy, a draw from the training prior over 5 seeds, the
most frequent next strategy after the previous one).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from emotive._metrics import f1_per_label, preference_bias
from emotive.datasets import esconv
from emotive.evaluate._parse import parse_choice
from emotive.evaluate._prompts import Reader, guidance_lines, mc_messages, reading_dict
from emotive.evaluate._stats import Estimate, bootstrap_stats
from emotive.evaluate._suite import Suite
from emotive.evaluate._types import GUIDED, Answer, Scored, Task

STRATEGIES = esconv.STRATEGIES
DEFAULT_N = 300
CONTEXT_TURNS = 10
DEFINITIONS = {
    "Question": "ask an open question that helps the seeker say more about the problem",
    "Restatement or Paraphrasing": "restate what the seeker said more concisely, so they see it clearly",
    "Reflection of feelings": "name and reflect the feelings the seeker is expressing",
    "Self-disclosure": "share a similar experience or feeling of your own, briefly",
    "Affirmation and Reassurance": "affirm the seeker's strengths, motivation and efforts; reassure them",
    "Providing Suggestions": "suggest a concrete way forward, without telling them what to do",
    "Information": "give useful facts, data or resources",
    "Others": "exchange pleasantries or anything else",
}
SYSTEM = ("You are an expert in emotional support conversations. Given a conversation between a help seeker "
          "and a supporter, choose the support strategy the supporter should use in their next turn. Give the "
          "letter of the one best strategy on the last line, as `Answer: (x)`.")
QUESTION = "Which support strategy should the supporter use in the next turn?"
ANCHOR = ("MISC (Tu et al. 2022, ACL) 31.34% strategy accuracy on ESConv; its split is the same 70/15/15 random "
          "split idea but not necessarily the same dialogues")


@dataclass(frozen=True)
class Step:
    """One supporter turn to predict: the turns before it, the gold strategies so far."""

    id: str
    turns: tuple[tuple[str, str], ...]  # (usr | sys, text)
    history: tuple[str, ...]
    gold: str


def steps(split: str, data: str | None) -> list[Step]:
    """Every supporter turn after the first of ``split``."""
    out = []
    for conv in esconv.read(split, data):
        hist: list[str] = []
        for i, turn in enumerate(conv.turns):
            if turn.speaker != "sys":
                continue
            strategy = turn.annotations["strategy"]
            if i > 0:
                out.append(Step(f"{conv.id}:{i}", tuple((t.speaker or "usr", t.text) for t in conv.turns[:i]),
                                tuple(hist), strategy))
            hist.append(strategy)
    return out


def transcript(step: Step) -> str:
    """The recent turns as text, supporter turns tagged with their strategy."""
    tags = iter(step.history)
    lines = []
    for role, text in step.turns:
        lines.append(f"Supporter ({next(tags)}): {text}" if role == "sys" else f"Seeker: {text}")
    recent = lines[-CONTEXT_TURNS:]
    return ("(earlier turns left out)\n" if len(lines) > len(recent) else "") + "\n".join(recent)


def scores(gold: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Accuracy, Q (macro-F1 over the 8; -1 in ``pred`` is no answer) and B."""
    k = len(STRATEGIES)
    valid = pred >= 0
    y = np.eye(k, dtype=bool)[gold]
    p = np.zeros_like(y)
    p[np.flatnonzero(valid), pred[valid]] = True
    conf = np.zeros((k, k))
    np.add.at(conf, (pred[valid], gold[valid]), 1)
    return {"accuracy": float((gold == pred).mean()), "proficiency_q": float(f1_per_label(y, p).mean()),
            "preference_bias_b": preference_bias(conf) if valid.any() else float("nan")}


def estimates(gold: np.ndarray, pred: np.ndarray, seed: int) -> dict[str, Any]:
    """The three metrics with bootstrap intervals over turns, and the most chosen strategy."""
    found = bootstrap_stats(len(gold), lambda idx: scores(gold[idx], pred[idx]), seed)
    out: dict[str, Any] = {name: est.to_dict() for name, est in found.items()}
    valid = pred[pred >= 0]
    share = np.bincount(valid, minlength=len(STRATEGIES)) / max(1, len(pred))
    out["top_strategy"] = STRATEGIES[int(share.argmax())]
    out["top_strategy_share"] = round(float(share.max()), 4)
    return out


class StrategySuite(Suite):
    """See the module docstring."""

    name = "strategy"
    needs_backend = False  # without one: the reference rows only

    def __init__(self, settings: Any):
        super().__init__(settings)
        self.reader = Reader()
        self.planner: Any = None
        self._steps: list[Step] | None = None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"corpus": "esconv", "split": "test", "n": self.size(DEFAULT_N),
                               "sample_seed": self.settings.seed}
        if self.planner is not None:
            out["planner"] = {"model": self.planner.encoder.manifest.name, "guard": self.planner.settings}
        return out

    def prepare(self, backend: Any, judge: Any) -> None:
        from emotive.models import SentenceEncoder
        from emotive.respond import StrategyPlanner

        self.planner = StrategyPlanner(SentenceEncoder(self.settings.planner_model))
        self.has_backend = backend is not None

    def turns(self) -> list[Step]:
        if self._steps is None:
            every = steps("test", self.settings.data)
            n = self.size(DEFAULT_N)
            if n is not None and n < len(every):
                keep = set(random.Random(self.settings.seed).sample(range(len(every)), n))
                every = [s for i, s in enumerate(every) if i in keep]
            self._steps = every
        return self._steps

    def tasks(self) -> list[Task]:
        if not getattr(self, "has_backend", True):
            return []
        from emotive.schema import Plan, Turn

        shown = [f"{name}: {DEFINITIONS[name]}" for name in STRATEGIES]
        tasks = []
        for step in self.turns():
            for mode in self.modes:
                guidance, plan, meta = [], Plan(tuple(Turn("assistant" if r == "sys" else "user", t)
                                                      for r, t in step.turns)), {}
                if mode == GUIDED:
                    reading = self.reader.read(step.turns[-1][1])
                    planned = self.planner.plan(list(step.turns), list(step.history))
                    guidance = [*guidance_lines(reading), f"- emotive's strategy planner suggests: {planned.strategy}"]
                    plan = Plan(plan.turns, strategy=planned.strategy,
                                user_emotion=reading.emotion7 if reading else None,
                                user_candidates=reading.top_candidates(3) if reading else ())
                    meta = {"reading": reading_dict(reading), "planner": planned.strategy}
                messages = mc_messages(transcript(step), QUESTION, shown, guidance=guidance, system=SYSTEM,
                                       guidance_head="emotive's guidance (it can be wrong):")
                tasks.append(Task(step.id, mode, messages, plan=plan, gold=step.gold, choices=STRATEGIES, meta=meta))
        return tasks

    def score(self, task: Task, answer: Answer, sample: int, judged: Answer | None = None) -> Scored:
        if answer.error is not None or answer.text is None:
            return Scored(task, sample, answer, None, {"correct": 0.0}, "failed")
        k = parse_choice(answer.text, STRATEGIES)
        choice = STRATEGIES[k] if k is not None else None
        note = None
        if choice is None and answer.metadata.get("strategy") in STRATEGIES:
            choice, note = str(answer.metadata["strategy"]), "from the backend's metadata"
        return Scored(task, sample, answer, choice, {"correct": float(choice == task.gold)},
                      note if choice is not None else "unparsable")

    def summary(self, scored: Sequence[Scored]) -> dict[str, Any]:
        seed = self.settings.seed
        out: dict[str, Any] = {}
        for mode in dict.fromkeys(s.task.condition for s in scored):
            mine = [s for s in scored if s.task.condition == mode]
            gold = np.array([STRATEGIES.index(s.task.gold) for s in mine])
            pred = np.array([STRATEGIES.index(s.parsed) if s.parsed in STRATEGIES else -1 for s in mine])
            out[mode] = estimates(gold, pred, seed)
        return {"suite_metrics": out, "reference": self.reference(), "notes": [
            f"Anchor: {ANCHOR}.", "Q and B as in Kang et al. 2024; B uses strengths scaled to mean 1."]}

    def reference(self) -> dict[str, Any]:
        """The planner's and the baselines' metrics on the same turns."""
        from emotive.respond.strategy import guarded

        planner, turns, seed = self.planner, self.turns(), self.settings.seed
        gold = np.array([STRATEGIES.index(s.gold) for s in turns])
        sts = [list(s.turns) for s in turns]
        hists: list[list[str | None]] = [list(s.history) for s in turns]
        tagged = [planner.fill_history(t, [None] * len(h)) for t, h in zip(sts, hists)]
        out: dict[str, Any] = {}
        for label, histories in (("gold history", hists), ("tagged history", tagged)):
            probs = planner.probs(sts, histories)
            out[f"planner, no guard, {label}"] = estimates(gold, probs.argmax(1), seed)
            pred = np.array([int(np.argmax(guarded(p, planner.prior, h, **planner.settings)))
                             for p, h in zip(probs, histories)])
            out[f"planner + guard, {label}"] = estimates(gold, pred, seed)
        return {**out, **self.baselines(gold, hists)}

    def baselines(self, gold: np.ndarray, hists: Sequence[Sequence[str | None]]) -> dict[str, Any]:
        train = steps("train", self.settings.data)
        train_y = np.array([STRATEGIES.index(s.gold) for s in train])
        prior = np.bincount(train_y, minlength=len(STRATEGIES)) / len(train_y)
        seed = self.settings.seed
        out = {"always the most frequent": estimates(gold, np.full(len(gold), int(prior.argmax())), seed)}
        draws = [estimates(gold, np.random.default_rng(k).choice(len(STRATEGIES), len(gold), p=prior), seed)
                 for k in range(5)]
        out["draw from the training prior (5 seeds)"] = _mean_of(draws)
        follow: dict[str | None, Counter[int]] = {}
        for s, y in zip(train, train_y):
            follow.setdefault(s.history[-1] if s.history else None, Counter())[int(y)] += 1
        default = Counter({int(prior.argmax()): 1})
        pred = np.array([follow.get(h[-1] if h else None, default).most_common(1)[0][0] for h in hists])
        out["Markov: most frequent after the previous strategy"] = estimates(gold, pred, seed)
        return out


def _mean_of(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, first in runs[0].items():
        if isinstance(first, dict):
            mean = {part: round(float(np.mean([r[key][part] for r in runs])), 4) for part in ("value", "low", "high")}
            out[key] = Estimate(mean["value"], mean["low"], mean["high"], first["n"]).to_dict()
        else:
            out[key] = first if key == "top_strategy" else round(float(np.mean([r[key] for r in runs])), 4)
    return out
