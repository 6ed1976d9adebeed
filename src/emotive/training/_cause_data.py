"""Examples and test metrics of the cause recipe (no torch: benchmarks import this).

RECCON (Poria et al. 2021) annotates, for every emotional turn of a DailyDialog (or
IEMOCAP) conversation, which turns up to and including it caused the emotion and the
causal span in each. Every (emotional target turn k, candidate turn j <= k) pair is one
example: label 1 when j is a cause; for positive pairs the span is located in turn j's
text (character offsets). The emotion word in the input uses the 7 labels of the
in-context model (happiness/happy/excited → joy, frustrated → anger).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from emotive._metrics import f1_per_label
from emotive.analyze import CauseFinder, cause_input
from emotive.datasets import reccon

TO7 = {"happiness": "joy", "happy": "joy", "excited": "joy", "frustrated": "anger",
       "sad": "sadness", "angry": "anger", "surprised": "surprise"}


@dataclass(frozen=True)
class CausePair:
    """One (target, candidate) example."""

    conversation: str
    target: int
    candidate: int
    inputs: tuple[str, str]
    offset: int  # where the candidate's text starts in inputs[1]
    label: int
    span: tuple[int, int] | None  # char offsets of the cause span in the candidate's text
    answer: str  # the annotated span text ("" for negative pairs)


def pairs(split: str, data: str | None = None, limit: int | None = None) -> list[CausePair]:
    """Every (emotional turn, earlier-or-same turn) pair of a RECCON split."""
    out: list[CausePair] = []
    for n, conv in enumerate(reccon.read(split, data)):
        if limit is not None and n >= limit:
            break
        for k, turn in enumerate(conv.turns):
            emotion = TO7.get(turn.annotations["emotion"], turn.annotations["emotion"])
            if emotion == "neutral":
                continue
            causes = dict(zip(turn.annotations["cause_turns"], turn.annotations["cause_spans"]))
            for j in range(k + 1):
                out.append(_pair(conv, k, j, emotion, causes.get(j + 1)))
    return out


def _pair(conv, k: int, j: int, emotion: str, span_text: str | None) -> CausePair:  # type: ignore[no-untyped-def]
    a, b, offset = cause_input(conv.turns, k, j, emotion)
    span = None
    if span_text:
        start = conv.turns[j].text.find(span_text.strip())
        if start >= 0:
            span = (start, start + len(span_text.strip()))
    return CausePair(conv.id, k, j, (a, b), offset, int(span_text is not None), span,
                     span_text or "")


def cee_scores(gold: Sequence[int], pred: Sequence[int]) -> dict[str, float]:
    """Causal emotion entailment: F1 of the positive class, of the negative, and their mean."""
    y = np.eye(2, dtype=bool)[np.asarray(gold, dtype=int)]
    p = np.eye(2, dtype=bool)[np.asarray(pred, dtype=int)]
    neg, pos = f1_per_label(y, p)
    return {"pos_f1": float(pos), "neg_f1": float(neg), "macro_f1": float((pos + neg) / 2)}


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def token_f1(pred: str, gold: str) -> float:
    """SQuAD-style token F1 of two strings.

    >>> round(token_f1("the refund was denied", "refund was denied twice"), 3)
    0.75
    """
    p, g = _tokens(pred), _tokens(gold)
    common = sum((Counter(p) & Counter(g)).values())
    if not p or not g:
        return float(p == g)
    if common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


def span_scores(examples: Sequence[CausePair], predicted: Sequence[str]) -> dict[str, float]:
    """RECCON span extraction: exact match and token F1 over the positive pairs (EM, Pos-F1),
    and F1 over all pairs where a negative pair counts 1 when no span is predicted (F1)."""
    pos = [(ex, pr) for ex, pr in zip(examples, predicted) if ex.label]
    em = np.mean([_tokens(pr) == _tokens(ex.answer) for ex, pr in pos]) if pos else 0.0
    pos_f1 = np.mean([token_f1(pr, ex.answer) for ex, pr in pos]) if pos else 0.0
    every = [token_f1(pr, ex.answer) if ex.label else float(pr == "")
             for ex, pr in zip(examples, predicted)]
    return {"exact_match": float(em), "pos_f1": float(pos_f1), "f1": float(np.mean(every))}


def evaluate(model, examples: list[CausePair], threshold: float | None = None,  # type: ignore[no-untyped-def]
             window: int | None = None) -> dict[str, Any]:
    """CEE and span metrics of a cause model on pairs, at ``threshold``; without one, the
    threshold that maximizes CEE macro-F1 on these pairs is found (use that on dev only).
    With ``window``, a candidate more than ``window`` turns before its target is predicted
    "not a cause", as ``CauseFinder.causes`` never scores it; without, every pair is scored
    (the RECCON protocol)."""
    finder = CauseFinder(model)
    scored = finder.score([ex.inputs for ex in examples], [ex.offset for ex in examples],
                          [_candidate_text(ex) for ex in examples])
    near = np.array([window is None or ex.target - ex.candidate <= window for ex in examples])
    probs = np.array([p for p, _ in scored]) * near
    gold = [ex.label for ex in examples]
    if threshold is None:
        grid = np.arange(0.05, 0.96, 0.01)
        threshold = float(max(grid, key=lambda t: cee_scores(gold, list(probs >= t))["macro_f1"]))
    pred = (probs >= threshold).astype(int)
    spans = [(_candidate_text(ex)[s:e] if keep else "") for ex, (_, (s, e)), keep
             in zip(examples, scored, pred)]
    return {"pairs": len(examples), "threshold": round(threshold, 2),
            **{f"cee_{k}": round(v, 4) for k, v in cee_scores(gold, list(pred)).items()},
            **{f"span_{k}": round(v, 4) for k, v in span_scores(examples, spans).items()}}


def _candidate_text(ex: CausePair) -> str:
    return ex.inputs[1][ex.offset:]
