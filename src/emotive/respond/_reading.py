"""Step 1 of a guided reply: what the small emotion models read in the user's last turn.

Only that turn is analyzed (not the whole conversation), so the guidance stays fast: its
fine GoEmotions labels and trigger words (one batch with the occluded copies), its 7-way
emotion in context and VAD, the ED-32 candidates of the user's words for the two-stage
emotion choice, and the causes among the earlier turns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from emotive.analyze import Analyzer, Cause, CauseFinder, Trigger, context_input
from emotive.schema import Conversation
from emotive.taxonomy import get_scheme


@dataclass(frozen=True)
class Reading:
    """The user's last turn as the SEMs read it.

    ``turn`` and each cause's ``turn`` index the conversation's user and assistant turns
    (system turns are not read).

    >>> Reading(0, (("joy", 0.9),), "joy", (4.1, 3.5, 3.2), (("proud", 0.6),), (), ()).top_candidates()
    ('proud',)
    """

    turn: int
    emotions: tuple[tuple[str, float], ...]  # GoEmotions labels over threshold, best first
    emotion7: str  # anger, disgust, fear, joy, neutral, sadness or surprise, in context
    vad: tuple[float, float, float]  # EmoBank 1-5 scale
    candidates: tuple[tuple[str, float], ...]  # ED-32 emotions, best first (two-stage choice)
    triggers: tuple[Trigger, ...]  # emotion-eliciting words of the turn
    causes: tuple[Cause, ...]  # earlier (or the same) turns that caused the emotion

    def top_candidates(self, k: int = 3) -> tuple[str, ...]:
        """The ``k`` most likely ED-32 emotions."""
        return tuple(label for label, _ in self.candidates[:k])

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "turn": self.turn,
            "emotions": [{"label": k, "score": round(v, 4)} for k, v in self.emotions],
            "emotion7": self.emotion7, "vad": dict(zip("vad", (round(x, 3) for x in self.vad))),
            "candidates": [{"label": k, "score": round(v, 4)} for k, v in self.candidates],
            "triggers": [t.to_dict() for t in self.triggers],
            "causes": [c.to_dict() for c in self.causes]}
        return out


def read_turn(analyzer: Analyzer, conv: Conversation, k: int, *, top_candidates: int = 32,
              triggers: bool = True, causes: bool = True, cause_window: int = 4) -> Reading:
    """Analyze turn ``k`` of ``conv`` in its context; causes are looked for in the turn and
    the ``cause_window`` turns before it (the analyzer's own default is 8: this is faster)."""
    turn = conv.turns[k]
    if triggers:
        fine, found = analyzer.read(turn.text)  # one pass for both with a trigger head
    else:
        fine, found = analyzer.analyze(turn.text), []
    model = analyzer.conversation_model
    spec = model.manifest.extra.get("input", {})
    pair = context_input(conv.turns, k, window=spec.get("window", 3), speakers=spec.get("speakers", True))
    out = model.predict([pair, turn.text]).outputs
    labels7 = model.manifest.heads["context7"].labels
    emotion7 = labels7[int(np.argmax(out["context7"][0]))]
    ed_labels = model.manifest.heads["ed32"].labels
    ed = sorted(zip(ed_labels, map(float, out["ed32"][1])), key=lambda kv: -kv[1])[:top_candidates]
    vad = tuple(float(x) for x in np.clip(out["vad"][0, :3], 1.0, 5.0))
    cause_list: list[Cause] = []
    felt = emotion7 if emotion7 != "neutral" else _coarse(fine.labels)
    if causes and felt != "neutral" and analyzer.has_cause_model():
        emotions = ["neutral"] * len(conv.turns)
        emotions[k] = felt
        finder = analyzer.cause_finder
        finder = CauseFinder(finder.model, window=cause_window, max_span_tokens=finder.max_span_tokens)
        cause_list = finder.causes(conv.turns, emotions, targets=[k])[k]
    return Reading(turn=k, emotions=tuple((s.label, s.score) for s in fine.ranked() if s.label in fine.labels),
                   emotion7=emotion7, vad=(vad[0], vad[1], vad[2]), candidates=tuple(ed),
                   triggers=tuple(found), causes=tuple(cause_list))


def _coarse(labels: tuple[str, ...]) -> str:
    """The Ekman-7 group of the strongest non-neutral fine label (``neutral`` if none): the
    causes are still looked for when the in-context model says neutral but the fine one
    does not."""
    ekman = get_scheme("ekman")
    for label in labels:
        groups = sorted(ekman.map_labels([label]) - {"neutral"})
        if groups:
            return groups[0]
    return "neutral"
