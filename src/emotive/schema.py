"""Typed records that flow between the layers: frozen dataclasses, no pydantic.

``Utterance`` and ``Conversation`` are inputs (dataset readers yield them too, with the
gold annotations in ``annotations``); ``EmotionScore`` and ``Analysis`` are outputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

UNKNOWN_SPEAKER = "unknown"  # the speaker of a turn that names none


@dataclass(frozen=True)
class Utterance:
    """One text or conversation turn.

    >>> Utterance("I lost my keys again", speaker="A").speaker
    'A'
    """

    text: str
    speaker: str | None = None
    id: str | None = None
    annotations: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Conversation:
    """An ordered list of turns with an id."""

    id: str
    turns: tuple[Utterance, ...]
    annotations: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def speakers(self) -> list[str]:
        """Distinct speakers in order of first appearance."""
        seen: dict[str, None] = {}
        for t in self.turns:
            if t.speaker is not None:
                seen.setdefault(t.speaker, None)
        return list(seen)


@dataclass(frozen=True)
class EmotionScore:
    """A label and its probability."""

    label: str
    score: float


@dataclass(frozen=True)
class Analysis:
    """The emotions of one text.

    ``scores`` maps every label of ``scheme`` to a probability; ``labels`` are the labels
    over their threshold, best first, never empty (the top label when none passes);
    ``truncated`` says the text was longer than the model reads.
    """

    text: str
    scores: Mapping[str, float]
    labels: tuple[str, ...]
    scheme: str = "goemotions"
    truncated: bool = False

    @property
    def top(self) -> str:
        """The label with the highest score."""
        return max(self.scores, key=self.scores.__getitem__)

    def ranked(self, top_k: int | None = None) -> list[EmotionScore]:
        """Scores best first, cut to ``top_k``."""
        items = sorted(self.scores.items(), key=lambda kv: -kv[1])[:top_k]
        return [EmotionScore(k, v) for k, v in items]

    def to_pipeline(self, top_k: int | None = None) -> list[dict[str, float | str]]:
        """The transformers text-classification pipeline shape ``[{"label", "score"}]``."""
        return [{"label": s.label, "score": s.score} for s in self.ranked(top_k)]

    def to_dict(self, top_k: int | None = None) -> dict[str, Any]:
        """A JSON-ready dict: ``text``, ``labels``, ``scores`` (best first), ``top``."""
        out: dict[str, Any] = {
            "text": self.text,
            "labels": list(self.labels),
            "scores": {s.label: round(s.score, 4) for s in self.ranked(top_k)},
            "top": self.top,
        }
        if self.truncated:
            out["truncated"] = True
        return out
