"""Emotion-eliciting words of a single text.

Units are words (a run of word characters, apostrophes inside words kept) and runs of
other non-space symbols (emoji; plain punctuation is never a trigger, nor are stop words).
A unit's score for a label is how much the label's probability drops without it:

- **head** (one forward pass, the default where the model has it): a linear trigger head
  over the token states that the analysis pass gives anyway, fitted to predict occlusion's
  drops (``emotive train triggers``; closer to RECCON's annotated cause words than
  occlusion itself, ``benchmarks/causes_accuracy.py``);
- **occlusion** (one extra model input per unit): each unit is removed in turn and the
  text run again.

The units with the largest drops are the triggers. Offsets are Python string indices into
the original text (code points), so ``text[start:end]`` is always the trigger, whatever
the emoji or combining characters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np

UNIT = re.compile(r"\w+(?:['’]\w+)*[\u0300-\u036f]*|[^\w\s]+")
MIN_DROP = 0.02
STOP_WORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further
had has have having he her here hers herself him himself his how i i'm i've i'd i'll if in
into is it it's its itself just let's me more most my myself of off on once only or other
our ours ourselves out over own same she should so some such than that that's the their
theirs them themselves then there these they this those through to too under until up us
very was we were what when where which while who whom why will with would you your yours
yourself yourselves im ive id youre thats dont s t d ll m re ve
""".split())


@dataclass(frozen=True)
class Trigger:
    """A span of the text that drives ``label``: ``text[start:end]``, with its drop in score."""

    label: str
    start: int
    end: int
    text: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "start": self.start, "end": self.end, "text": self.text,
                "score": round(self.score, 4)}


def units(text: str) -> list[tuple[int, int]]:
    """Character spans of the words and symbol runs of ``text``.

    >>> units("I love 🍕, café!")
    [(0, 1), (2, 6), (7, 9), (10, 14), (14, 15)]
    """
    return [m.span() for m in UNIT.finditer(text)]


def candidates(text: str) -> list[tuple[int, int]]:
    """The units that can be triggers: no stop word, no run of plain punctuation.

    >>> text = "I love my 🍕, the café!"
    >>> [text[s:e] for s, e in candidates(text)]
    ['love', '🍕', 'café']
    """
    out = []
    for s, e in units(text):
        word = text[s:e]
        if word.lower().replace("’", "'") in STOP_WORDS:
            continue
        if not any(ch.isalnum() or unicodedata.category(ch) in ("So", "Sk") for ch in word):
            continue
        while unicodedata.category(text[s]).startswith("P"):  # "🍕," -> "🍕"
            s += 1
        while unicodedata.category(text[e - 1]).startswith("P"):
            e -= 1
        out.append((s, e))
    return out


def unit_features(enc, states: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The trigger head's input for each unit (units, 2 x dim): the mean state of the
    unit's tokens and the mean state of the text."""
    mean = states.mean(0)
    feats = np.zeros((len(spans), 2 * states.shape[1]), dtype=np.float32)
    for u, (s, e) in enumerate(spans):
        mine = [k for k, off in enumerate(enc.offsets) if _inside(off, s, e)]
        feats[u] = np.concatenate([states[mine].mean(0) if mine else mean, mean])
    return feats


def head_drops(enc, states: np.ndarray, weight: np.ndarray, bias: np.ndarray,
               spans: list[tuple[int, int]]) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Each unit's predicted probability drop (units, labels) from one text's token states
    (tokens, dim), by the linear trigger head."""
    return unit_features(enc, states, spans) @ weight + bias


def _inside(offset: tuple[int, int], s: int, e: int) -> bool:
    a, b = offset
    return b > a and a >= s and b <= e


def dedupe(triggers: list[Trigger]) -> list[Trigger]:
    """One trigger per (label, word), the best-scored one, best first."""
    best: dict[tuple[str, str], Trigger] = {}
    for t in sorted(triggers, key=lambda t: -t.score):
        best.setdefault((t.label, t.text.lower()), t)
    return sorted(best.values(), key=lambda t: -t.score)


def occluded(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """``text`` without each span in turn (the surrounding spaces collapsed)."""
    out = []
    for s, e in spans:
        rest = (text[:s].rstrip() + " " + text[e:].lstrip()).strip()
        out.append(rest or ".")
    return out


def rank(text: str, spans: list[tuple[int, int]], base: np.ndarray, masked: np.ndarray,
         labels: list[str], index: dict[str, int], top_n: int) -> list[Trigger]:
    """The ``top_n`` units per label with the largest probability drop (at least MIN_DROP)."""
    found = []
    for lab in labels:
        j = index[lab]
        drops = base[j] - masked[:, j]
        for i in np.argsort(-drops)[:top_n]:
            if drops[i] >= MIN_DROP:
                s, e = spans[i]
                found.append(Trigger(lab, s, e, text[s:e], float(drops[i])))
    return found
