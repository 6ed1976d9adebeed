"""Emotion-eliciting words of a single text, by occlusion.

Each word (a run of word characters, apostrophes inside words kept) and each run of other
non-space symbols (punctuation, emoji) is removed in turn; a unit's score for a label is
how much the label's probability drops without it. The units with the largest drops are
the triggers. Offsets are Python string indices into the original text (code points), so
``text[start:end]`` is always the trigger, whatever the emoji or combining characters.
Cost: one extra model input per unit (batched), so roughly ``words x`` the analysis cost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

UNIT = re.compile(r"\w+(?:['’]\w+)*[\u0300-\u036f]*|[^\w\s]+")
MIN_DROP = 0.02


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
