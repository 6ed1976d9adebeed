"""Strategy planning: which of ESConv's eight support strategies the next reply should use.

A softmax head on frozen sentence embeddings (the respond model's encoder) reads the last
seeker turn, the last supporter turn, the recent context and the strategies already used;
it was trained on ESConv train (``emotive train respond``). The planner then guards against
over-preferring one strategy, the failure Kang et al. (2024, "Can Large Language Models be
Good Emotional Supporter?") measured in LLMs: probabilities are divided by the training
prior to the power ``prior_power`` (frequent strategies lose their head start), and a
strategy used in the last ``repeat_window`` supporter turns is multiplied by
``repeat_penalty``. Both settings were tuned on ESConv valid and are stored in the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from emotive._errors import ConfigError
from emotive.datasets.esconv import STRATEGIES
from emotive.models import Head, LinearHead, Manifest, OnnxModel, SentenceEncoder
from emotive.respond._cache import EmbeddingCache

CONTEXT_TURNS = 4
# the fine-tuned planner reads its newest 128 tokens (trained on 160): on ESConv valid,
# accuracy 0.3388 vs 0.3396 at 160 and bias B 0.762 vs 0.843 (benchmarks/strategy_length.py)
MAX_TOKENS = 128
HISTORY_TAGGED = 6  # unknown strategies are tagged for the last 6 supporter turns (all the planner reads)
# A second strategy joins the plan (``max_strategies=2``) when its guarded score is at least
# this share of the first's: the set-F1 optimum on ESConv valid supporter blocks (0.3679 at
# 0.7, 0.3673 at 0.5, 0.351 for one strategy; 15% of blocks use more than one strategy;
# benchmarks/plan_quality.py, with the tagger reading each reply alone)
SEQUENCE_RATIO = 0.7
SEEKER, SUPPORTER = "usr", "sys"
Turn = tuple[str, str]  # (SEEKER | SUPPORTER, text)


@dataclass(frozen=True)
class StrategyPlan:
    """The chosen strategy, the head's probabilities and the guarded scores; ``sequence``:
    the strategies of the reply in order, the chosen one first (one unless the planner was
    asked for more: people often use several in one turn).

    >>> StrategyPlan("Question", {}, {}).sequence
    ('Question',)
    """

    strategy: str
    probs: dict[str, float]
    scores: dict[str, float]
    guard: dict[str, Any] = field(default_factory=dict)
    sequence: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.sequence:
            object.__setattr__(self, "sequence", (self.strategy,))
        elif self.sequence[0] != self.strategy:
            raise ConfigError(f"a plan's sequence starts with its strategy {self.strategy!r}, got {self.sequence}")

    def to_dict(self) -> dict[str, Any]:
        top = sorted(self.probs.items(), key=lambda kv: -kv[1])[:3]
        return {"strategy": self.strategy, "sequence": list(self.sequence),
                "top": [{"strategy": k, "prob": round(v, 4)} for k, v in top], "guard": self.guard}


def sequence_of(scores: np.ndarray, max_strategies: int = 1, ratio: float = SEQUENCE_RATIO) -> tuple[str, ...]:
    """The best strategy, then (up to ``max_strategies`` in all) the next ones whose score is
    at least ``ratio`` times the best's.

    >>> sequence_of(np.array([0.5, 0.1, 0.4, 0, 0, 0, 0, 0]), 2)
    ('Question', 'Reflection of feelings')
    >>> sequence_of(np.array([0.5, 0.2, 0.1, 0, 0, 0, 0, 0]), 2)
    ('Question',)
    """
    order = np.argsort(-scores, kind="stable")
    best = float(scores[order[0]])
    picked = [int(order[0])] + [int(k) for k in order[1:max_strategies] if best > 0 and scores[k] >= ratio * best]
    return tuple(STRATEGIES[k] for k in picked)


def step_texts(turns: Sequence[Turn]) -> tuple[str, str, str]:
    """The last seeker turn, the last supporter turn and the recent context ('' if none)."""
    seeker = next((t for r, t in reversed(turns) if r == SEEKER), "")
    supporter = next((t for r, t in reversed(turns) if r == SUPPORTER), "")
    return seeker, supporter, " ".join(t for _, t in turns[-CONTEXT_TURNS:])


def strategy_text(turns: Sequence[Turn], history: Sequence[str | None], max_turns: int = 6) -> str:
    """The fine-tuned planner's input: the last strategies, then the turns newest first, each
    supporter turn tagged with its strategy (so truncation drops the oldest words).

    >>> strategy_text([("usr", "hi"), ("sys", "hello"), ("usr", "I'm sad")], ["Others"])
    "previous strategies: Others | [seeker] I'm sad [supporter: Others] hello [seeker] hi"
    """
    tags = dict(zip([i for i, (r, _) in enumerate(turns) if r == SUPPORTER], history))
    parts = []
    for i in range(len(turns) - 1, max(-1, len(turns) - 1 - max_turns), -1):
        role, text = turns[i]
        parts.append(f"[{'seeker' if role != SUPPORTER else 'supporter: ' + str(tags.get(i))}] {text}")
    recent = ", ".join(str(x) for x in list(history)[-3:][::-1]) or "none"
    return f"previous strategies: {recent} | " + " ".join(parts)


def history_features(history: Sequence[str | None], n_turns: int) -> np.ndarray:
    """One-hot of the last two strategies (slot 8 = none/unknown), their counts, position."""
    def one_hot(k: int) -> np.ndarray:
        v = np.zeros(len(STRATEGIES) + 1)
        s = history[-k] if len(history) >= k else None
        v[STRATEGIES.index(s) if s in STRATEGIES else len(STRATEGIES)] = 1.0
        return v

    counts = np.zeros(len(STRATEGIES))
    for s in history:
        if s in STRATEGIES:
            counts[STRATEGIES.index(s)] += 1
    counts /= max(1, len(history))
    pos = [np.log1p(n_turns) / np.log(30), float(not history), len(history) / 20]
    return np.concatenate([one_hot(1), one_hot(2), counts, pos])


def features(embeddings: np.ndarray, history: Sequence[str | None], n_turns: int) -> np.ndarray:
    """The head's input: three embeddings (seeker, supporter, context) + history features."""
    parts = [embeddings[i] if i < len(embeddings) else np.zeros(embeddings.shape[1]) for i in range(3)]
    return np.concatenate([*parts, history_features(history, n_turns)])


def guarded(probs: np.ndarray, prior: np.ndarray, history: Sequence[str | None], *,
            prior_power: float, repeat_penalty: float, repeat_window: int) -> np.ndarray:
    """Scores after the anti-preference guard (see the module docstring).

    >>> guarded(np.array([0.6, 0.4]), np.array([0.75, 0.25]), [], prior_power=1.0,
    ...         repeat_penalty=1.0, repeat_window=1).round(2).tolist()
    [0.8, 1.6]
    """
    scores = probs / np.power(prior, prior_power)
    recent = [s for s in history[-repeat_window:] if s in STRATEGIES] if repeat_window else []
    for s in set(recent):
        scores[..., STRATEGIES.index(s)] *= repeat_penalty
    return scores


class StrategyPlanner:
    """Predicts the next supporter strategy from the conversation so far.

    >>> planner = StrategyPlanner()  # doctest: +SKIP
    >>> planner.plan([("usr", "I lost my job and I feel useless.")]).strategy  # doctest: +SKIP
    'Question'
    """

    def __init__(self, encoder: SentenceEncoder | None = None, *, guard: bool = True,
                 max_length: int | None = MAX_TOKENS, max_strategies: int = 1,
                 sequence_ratio: float = SEQUENCE_RATIO):
        if max_strategies < 1:
            raise ConfigError(f"max_strategies must be at least 1, got {max_strategies}")
        self.encoder = encoder or SentenceEncoder()
        m = self.encoder.manifest
        self.model = _finetuned(m, self.encoder.model.threads, max_length)
        self.head = None if self.model is not None else LinearHead.load(m.file("strategy"))
        self._tagger: LinearHead | None = None
        self._embeddings = EmbeddingCache(1024)  # a stateless client resends its history every turn
        spec = m.extra.get("strategy", {})
        self.prior = np.asarray(spec.get("prior", [1.0 / len(STRATEGIES)] * len(STRATEGIES)))
        self.settings: dict[str, Any] = {"prior_power": float(spec.get("prior_power", 0.0)),
                         "repeat_penalty": float(spec.get("repeat_penalty", 1.0)),
                         "repeat_window": int(spec.get("repeat_window", 0))}
        self.guard = guard
        self.max_strategies, self.sequence_ratio = max_strategies, sequence_ratio

    def plan(self, turns: Sequence[Turn], history: Sequence[str | None] | None = None) -> StrategyPlan:
        """Plan the next supporter turn. ``history``: the strategies of the supporter turns so
        far (None where unknown: the tagger reads them from the turn's text)."""
        hist = self.fill_history(turns, history)
        probs = self.probs([turns], [hist])[0]
        scores = guarded(probs, self.prior, hist, **self.settings) if self.guard else probs
        sequence = sequence_of(scores, self.max_strategies, self.sequence_ratio)
        return StrategyPlan(sequence[0], dict(zip(STRATEGIES, map(float, probs))),
                            dict(zip(STRATEGIES, map(float, scores))),
                            {"on": self.guard, **self.settings} if self.guard else {"on": False}, sequence)

    def fill_history(self, turns: Sequence[Turn], history: Sequence[str | None] | None) -> list[str | None]:
        """The strategy of every supporter turn: as given, else (for the last six) tagged
        from its text; older unknown ones stay None."""
        said = [t for r, t in turns if r == SUPPORTER]
        hist: list[str | None] = list(history) if history is not None else [None] * len(said)
        if len(hist) != len(said):
            raise ConfigError(f"history has {len(hist)} strategies for {len(said)} supporter turns")
        recent = range(max(0, len(hist) - HISTORY_TAGGED), len(hist))
        unknown = [i for i in recent if hist[i] not in STRATEGIES]
        if unknown:
            for i, tag in zip(unknown, self.tag([said[i] for i in unknown])):
                hist[i] = tag
        return hist

    def tag(self, replies: Sequence[str]) -> list[str]:
        """The strategy each supporter reply uses, read from its text by the tagger head
        (trained on ESConv train supporter turns); it also tells whether a reply followed a plan.

        >>> StrategyPlanner().tag(["How long have you felt this way?"])  # doctest: +SKIP
        ['Question']
        """
        if not replies:
            return []
        if self._tagger is None:
            self._tagger = LinearHead.load(self.encoder.manifest.file("strategy_tagger"))
        vecs = self._embeddings.get("tagger", list(replies), self.encoder.encode_each)
        return [STRATEGIES[int(t)] for t in self._tagger(vecs).argmax(1)]

    def probs(self, steps: Sequence[Sequence[Turn]], histories: Sequence[Sequence[str | None]]) -> np.ndarray:
        """The planner's probabilities for many steps at once (batched)."""
        if self.model is not None:
            texts = [strategy_text(t, h) for t, h in zip(steps, histories)]
            return self.model.predict(texts).outputs["strategy"]
        assert self.head is not None
        return self.head(feature_matrix(self.encoder, steps, histories))


def _finetuned(m: Manifest, threads: int, max_length: int | None = None) -> OnnxModel | None:
    """The fine-tuned planner graph (``strategy_model``) when the directory has one, reading
    at most ``max_length`` tokens (the model's own length when None)."""
    if "strategy_model" not in m.files:
        return None
    spec = m.extra.get("strategy", {})
    sub = replace(m, files={"model": m.files["strategy_model"], "tokenizer": m.files["tokenizer"]},
                  heads={"strategy": Head("strategy", STRATEGIES, "softmax")},
                  max_length=int(spec.get("max_length", m.max_length)))
    return OnnxModel(sub, threads=threads, max_length=max_length)


def feature_matrix(encoder: SentenceEncoder, steps: Sequence[Sequence[Turn]],
                   histories: Sequence[Sequence[str | None]]) -> np.ndarray:
    """The head's inputs for many steps; each distinct text is encoded once."""
    per_step = [step_texts(turns) for turns in steps]
    unique = sorted({t for texts in per_step for t in texts if t})
    vecs = encoder.encode(unique)
    zero = np.zeros(encoder.dim, dtype=np.float32)
    index = {t: vecs[i] for i, t in enumerate(unique)}
    rows = []
    for texts, hist, turns in zip(per_step, histories, steps):
        emb = np.stack([index[t] if t else zero for t in texts])
        rows.append(features(emb, hist, len(turns)))
    return np.stack(rows) if rows else np.zeros((0, 3 * encoder.dim + 29))
