"""Conversation analysis: per-turn emotions in context, VAD, intensity, and the flow.

Per turn: the 28 fine-grained emotions of the turn alone (the GoEmotions model), the
7-way emotion *in context* (the turn, the turns before it and whether each was said by
the same speaker), valence/arousal/dominance on EmoBank's 1-5 scale (3 = neutral), and
an intensity in [0, 1]::

    intensity = 0.5 * (1 - P(neutral in context))
              + 0.5 * clip(max(|V - 3|, A - 3) / 1.5, 0, 1)

so a turn is intense when the in-context model is sure it is emotional and its valence is
far from neutral or its arousal is high. Per conversation: each speaker's trajectory, the
turns where a speaker's in-context emotion shifts, the turns where a speaker takes up the
emotion the other speaker just showed (contagion), and each speaker's dominant emotions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from emotive.analyze._causes import Cause
from emotive.analyze._context import context_input
from emotive.schema import UNKNOWN_SPEAKER, Analysis, Conversation


@dataclass(frozen=True)
class TurnAnalysis:
    """One turn: fine emotions alone, the 7-way emotion in context, VAD, intensity."""

    index: int
    speaker: str
    text: str
    fine: Analysis
    emotion: str
    context_scores: dict[str, float]
    vad: tuple[float, float, float]
    intensity: float
    truncated: bool = False
    causes: tuple[Cause, ...] | None = None  # None: causes were not computed

    def to_dict(self, top_k: int | None = None) -> dict[str, Any]:
        fine = self.fine.to_dict(top_k)
        out = {"turn": self.index, "speaker": self.speaker, "text": self.text,
               "emotion": self.emotion,
               "emotion_scores": {k: round(v, 4) for k, v in sorted(
                   self.context_scores.items(), key=lambda kv: -kv[1])},
               "labels": fine["labels"], "scores": fine["scores"], "top": fine["top"],
               "language": fine["language"], "supported": fine["supported"],
               "vad": dict(zip("vad", (round(x, 3) for x in self.vad))),
               "intensity": round(self.intensity, 4)}
        if self.causes is not None:
            out["causes"] = [c.to_dict() for c in self.causes]
        if self.truncated:
            out["truncated"] = True
        return out


@dataclass
class ConversationAnalysis:
    """A whole conversation: its turns and the flow between speakers."""

    id: str
    turns: list[TurnAnalysis]
    shifts: list[dict[str, Any]] = field(default_factory=list)
    contagion: list[dict[str, Any]] = field(default_factory=list)
    speakers: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self, top_k: int | None = None) -> dict[str, Any]:
        return {"id": self.id, "turns": [t.to_dict(top_k) for t in self.turns],
                "speakers": self.speakers, "shifts": self.shifts, "contagion": self.contagion}

    def turn_records(self, top_k: int | None = None) -> list[dict[str, Any]]:
        """One flat record per turn, with the flow marks of that turn."""
        shifted = {s["turn"]: s for s in self.shifts}
        caught = {c["turn"]: c for c in self.contagion}
        out = []
        for t in self.turns:
            rec = {"conversation": self.id, **t.to_dict(top_k)}
            rec["shift_from"] = shifted[t.index]["from"] if t.index in shifted else None
            rec["contagion_from_turn"] = caught[t.index]["from_turn"] if t.index in caught else None
            out.append(rec)
        return out


def intensity(p_neutral: float, v: float, a: float) -> float:
    """The documented intensity of a turn (module docstring).

    >>> intensity(0.0, 5.0, 3.0)
    1.0
    >>> intensity(1.0, 3.0, 3.0)
    0.0
    """
    extremity = min(max(max(abs(v - 3.0), a - 3.0) / 1.5, 0.0), 1.0)
    return 0.5 * (1.0 - p_neutral) + 0.5 * extremity


def context_inputs(conv: Conversation, window: int, speakers: bool) -> list[tuple[str, str]]:
    """The model input of every turn (see ``_context.context_input``)."""
    return [context_input(conv.turns, k, window=window, speakers=speakers)
            for k in range(len(conv.turns))]


def build_turns(conv: Conversation, fine: list[Analysis], ctx_probs: np.ndarray,
                vad: np.ndarray, labels7: tuple[str, ...], truncated: np.ndarray) -> list[TurnAnalysis]:
    n = labels7.index("neutral")
    turns = []
    for k, turn in enumerate(conv.turns):
        p = ctx_probs[k]
        v, a, d = (float(x) for x in np.clip(vad[k, :3], 1.0, 5.0))
        turns.append(TurnAnalysis(
            index=k, speaker=turn.speaker or UNKNOWN_SPEAKER, text=turn.text, fine=fine[k],
            emotion=labels7[int(p.argmax())], context_scores=dict(zip(labels7, map(float, p))),
            vad=(v, a, d), intensity=intensity(float(p[n]), v, a),
            truncated=bool(truncated[k]) or fine[k].truncated))
    return turns


def flow(conv_id: str, turns: list[TurnAnalysis]) -> ConversationAnalysis:
    """Shifts, contagion and per-speaker summaries of analyzed turns."""
    result = ConversationAnalysis(conv_id, turns)
    last: dict[str, TurnAnalysis] = {}
    for t in turns:
        prev_own = last.get(t.speaker)
        if prev_own is not None and prev_own.emotion != t.emotion:
            result.shifts.append({"turn": t.index, "speaker": t.speaker, "from": prev_own.emotion,
                                  "to": t.emotion, "from_turn": prev_own.index,
                                  "valence_change": round(t.vad[0] - prev_own.vad[0], 3)})
        before = turns[t.index - 1] if t.index > 0 else None
        if (before is not None and before.speaker != t.speaker and t.emotion != "neutral"
                and before.emotion == t.emotion
                and (prev_own is None or prev_own.emotion != t.emotion)):
            result.contagion.append({"turn": t.index, "speaker": t.speaker, "emotion": t.emotion,
                                     "from_turn": before.index, "from_speaker": before.speaker})
        last[t.speaker] = t
    result.speakers = {s: _speaker_summary([t for t in turns if t.speaker == s])
                       for s in dict.fromkeys(t.speaker for t in turns)}
    return result


def _speaker_summary(turns: list[TurnAnalysis]) -> dict[str, Any]:
    counts = Counter(t.emotion for t in turns if t.emotion != "neutral")
    vad = np.mean([t.vad for t in turns], 0)
    return {
        "turns": len(turns),
        "dominant": [{"emotion": e, "turns": c, "share": round(c / len(turns), 3)}
                     for e, c in counts.most_common(3)],
        "mean_vad": dict(zip("vad", (round(float(x), 3) for x in vad))),
        "trajectory": [{"turn": t.index, "valence": round(t.vad[0], 3), "emotion": t.emotion,
                        "top": t.fine.top, "intensity": round(t.intensity, 3)} for t in turns],
    }
