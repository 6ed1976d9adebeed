"""Typed records that flow between the layers: frozen dataclasses, no pydantic.

``Utterance`` and ``Conversation`` are inputs (dataset readers yield them too, with the
gold annotations in ``annotations``); ``EmotionScore`` and ``Analysis`` are outputs;
``Turn`` and ``Plan`` are what the respond job hands an LLM backend (``GenerateOptions.plan``).
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
    over their threshold, best first, never empty (the best-scoring label when none
    passes); ``truncated`` says the text was longer than the model reads.

    ``top`` is the best-scoring label *that passes its threshold* (the best of ``labels``),
    or the best score overall when none passes, so ``top`` is always one of ``labels``: a
    label with a higher score under a stricter threshold does not become ``top``. Every
    output (``to_dict``, the CLI, conversation turns) reads this one property.

    ``language`` is the ISO 639-1 code of the text's language, or None when the text is
    too short or too mixed to tell (emoji, "ok", "lol"); ``supported`` is False only when
    the language is known and the model was not trained on it (its scores are a guess).

    >>> a = Analysis("ugh", {"sadness": 0.6, "disappointment": 0.4}, ("disappointment",))
    >>> a.top
    'disappointment'
    >>> Analysis("hm", {"joy": 0.2, "neutral": 0.3}, ()).top
    'neutral'
    """

    text: str
    scores: Mapping[str, float]
    labels: tuple[str, ...]
    scheme: str = "goemotions"
    truncated: bool = False
    language: str | None = None
    supported: bool = True

    @property
    def top(self) -> str:
        """The best-scoring label among ``labels`` (those over their threshold), or the
        best-scoring label overall when ``labels`` is empty."""
        pool = [lab for lab in self.labels if lab in self.scores] or list(self.scores)
        return max(pool, key=self.scores.__getitem__)

    def ranked(self, top_k: int | None = None) -> list[EmotionScore]:
        """Scores best first, cut to ``top_k``."""
        return [EmotionScore(k, v) for k, v in self._best_first(top_k)]

    def _best_first(self, top_k: int | None) -> list[tuple[str, float]]:
        return sorted(self.scores.items(), key=lambda kv: -kv[1])[:top_k]

    def to_pipeline(self, top_k: int | None = None) -> list[dict[str, float | str]]:
        """The transformers text-classification pipeline shape ``[{"label", "score"}]``."""
        return [{"label": s.label, "score": s.score} for s in self.ranked(top_k)]

    def to_dict(self, top_k: int | None = None) -> dict[str, Any]:
        """A JSON-ready dict: ``text``, ``labels``, ``scores`` (best first), ``top``,
        ``language``, ``supported``."""
        out: dict[str, Any] = {
            "text": self.text,
            "labels": list(self.labels),
            "scores": {k: round(v, 4) for k, v in self._best_first(top_k)},
            "top": self.top,
            "language": self.language,
            "supported": self.supported,
        }
        if self.truncated:
            out["truncated"] = True
        return out


@dataclass(frozen=True)
class Turn:
    """One turn as a backend sees it: ``role`` is ``user`` or ``assistant``.

    >>> Turn("user", "hi").to_dict()
    {'role': 'user', 'text': 'hi'}
    """

    role: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "text": self.text}


@dataclass(frozen=True)
class Plan:
    """What emotive planned for the next reply, as a backend receives it.

    LLM backends read the prompt in the messages instead; backends that use the plan
    directly (the offline retrieval backend) read it here. ``user_candidates``: the user's
    most likely EmpatheticDialogues-32 emotions, best first; ``strategies``: the planned
    strategies in order (``strategy`` first) when the planner gave several.

    >>> Plan((Turn("user", "I passed!"),), strategy="Question").to_dict()["strategy"]
    'Question'
    """

    turns: tuple[Turn, ...] = ()
    strategy: str | None = None
    reply_emotion: str | None = None
    user_emotion: str | None = None
    user_candidates: tuple[str, ...] = ()
    strategies: tuple[str, ...] = ()

    def unguided(self) -> Plan:
        """The same turns with nothing planned (the similarity-only baseline)."""
        return Plan(self.turns)

    def to_dict(self) -> dict[str, Any]:
        return {"turns": [t.to_dict() for t in self.turns], "strategy": self.strategy,
                "reply_emotion": self.reply_emotion, "user_emotion": self.user_emotion,
                "user_candidates": list(self.user_candidates), "strategies": list(self.strategies)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        """The inverse of :meth:`to_dict` (for plans that arrive as JSON)."""
        turns = tuple(Turn(str(t["role"]), str(t["text"])) for t in data.get("turns") or ())
        return cls(turns, data.get("strategy"), data.get("reply_emotion"), data.get("user_emotion"),
                   tuple(data.get("user_candidates") or ()), tuple(data.get("strategies") or ()))
