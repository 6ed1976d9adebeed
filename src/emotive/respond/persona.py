"""The reply's emotion from a persona's personality (the personality-affected emotion
transition idea of Wen et al. 2021, "Automatically Select Emotion for Response via
Personality-affected Emotion Transition", Findings of ACL).

Given the persona's Big Five (OCEAN, 0-1), the persona's own preceding emotion and the
other speaker's emotion (the 7 MELD labels), two linear heads trained on PELD (``emotive
train respond``) predict the change in valence, arousal and dominance from the persona's
preceding emotion, and the reply's emotion (divided by the training prior to a power tuned
on dev, so rarer emotions are not drowned by neutral). The turns' text is not an input: on
PELD dev it made the heads worse (they overfit), see the recipe. PELD has only six
personalities (the Friends main characters), so OCEAN vectors far from theirs extrapolate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from emotive._errors import ConfigError
from emotive.datasets.peld import EMOTIONS, OCEAN
from emotive.models import LinearHead, SentenceEncoder
from emotive.taxonomy import vad_anchors


@dataclass(frozen=True)
class Persona:
    """A name and Big Five traits in 0-1: openness, conscientiousness, extraversion,
    agreeableness, neuroticism.

    >>> Persona("calm", (0.6, 0.6, 0.4, 0.7, 0.2)).traits()["neuroticism"]
    0.2
    """

    name: str
    big_five: tuple[float, float, float, float, float]
    description: str = ""

    def __post_init__(self) -> None:
        if len(self.big_five) != 5 or not all(0.0 <= float(x) <= 1.0 for x in self.big_five):
            raise ConfigError(f"persona {self.name!r}: big_five must be 5 numbers in 0-1 "
                              f"({', '.join(OCEAN)}), got {self.big_five!r}")

    def traits(self) -> dict[str, float]:
        return dict(zip(OCEAN, self.big_five))


# A warm listener, inside the range PELD's six personalities span (low neuroticism,
# the highest openness and agreeableness seen there).
SUPPORTIVE = Persona("supportive", (0.72, 0.61, 0.52, 0.66, 0.36),
                     "warm, steady listener (default)")


def persona_from(value: str | Persona | Sequence[float] | None, presets: dict[str, Persona]) -> Persona:
    """A persona from a preset name, OCEAN numbers or a ``Persona`` (default: supportive)."""
    if value is None:
        return SUPPORTIVE
    if isinstance(value, Persona):
        return value
    if isinstance(value, str):
        key = value.lower()
        if key in presets:
            return presets[key]
        raise ConfigError(f"unknown persona {value!r}; choose one of: {', '.join(sorted(presets))} "
                          "or give five OCEAN numbers in 0-1")
    nums = tuple(float(x) for x in value)
    if len(nums) != 5:
        raise ConfigError(f"a persona needs 5 OCEAN numbers, got {len(nums)}")
    return Persona("custom", (nums[0], nums[1], nums[2], nums[3], nums[4]))


def emotion_vad(label: str) -> np.ndarray:
    return np.asarray(vad_anchors()[label], dtype=np.float64)


def transition_features(ocean: Sequence[float] | None, own: str, other: str) -> np.ndarray:
    """The heads' input: both emotions one-hot, their pairs, the traits and the traits x each
    emotion; ``ocean=None`` gives the no-personality variant (traits zeroed)."""
    o = np.zeros(5) if ocean is None else np.asarray(ocean, dtype=np.float64)
    one = np.eye(len(EMOTIONS))
    a, b = one[EMOTIONS.index(own)], one[EMOTIONS.index(other)]
    return np.concatenate([a, b, np.outer(a, b).ravel(), o, np.outer(o, a).ravel(), np.outer(o, b).ravel()])


@dataclass(frozen=True)
class ReplyEmotion:
    """The planned emotion of the reply, its probabilities and the predicted VAD move."""

    emotion: str
    probs: dict[str, float]
    vad: tuple[float, float, float]
    delta: tuple[float, float, float]
    persona: Persona

    def to_dict(self) -> dict[str, Any]:
        return {"emotion": self.emotion, "persona": self.persona.name,
                "probs": {k: round(v, 4) for k, v in sorted(self.probs.items(), key=lambda kv: -kv[1])},
                "vad": dict(zip("vad", (round(x, 3) for x in self.vad))),
                "delta_vad": dict(zip("vad", (round(x, 3) for x in self.delta)))}


class EmotionTransition:
    """Predicts the reply's emotion for a persona (``personality=False``: the head trained
    without the traits, for comparison).

    >>> et = EmotionTransition()  # doctest: +SKIP
    >>> et.predict("supportive", own="neutral", other="sadness").emotion  # doctest: +SKIP
    'sadness'
    """

    def __init__(self, encoder: SentenceEncoder | None = None, *, personality: bool = True):
        self.encoder = encoder or SentenceEncoder()
        m = self.encoder.manifest
        self.personality = personality
        self.emotion_head = LinearHead.load(m.file("persona_emotion" if personality else "persona_emotion_nopers"))
        self.delta_head = LinearHead.load(m.file("persona_delta"))
        spec = m.extra.get("persona", {})
        self.prior = np.asarray(spec.get("prior", [1.0] * len(EMOTIONS)), dtype=np.float64)
        self.prior_power = float(spec.get("prior_power" if personality else "prior_power_no_personality", 0.0))
        presets = m.extra.get("personas", {})
        self.presets = {k.lower(): Persona(k, tuple(v)) for k, v in presets.items()}
        self.presets[SUPPORTIVE.name] = SUPPORTIVE

    def predict(self, persona: str | Persona | Sequence[float] | None, *, own: str, other: str) -> ReplyEmotion:
        """``own``: the persona's preceding emotion; ``other``: the other speaker's."""
        p = persona_from(persona, self.presets)
        for label in (own, other):
            if label not in EMOTIONS:
                raise ConfigError(f"unknown emotion {label!r}; expected one of: {', '.join(EMOTIONS)}")
        x = transition_features(p.big_five if self.personality else None, own, other)[None]
        probs = self.emotion_head(x)[0]
        scores = probs / np.power(self.prior, self.prior_power)
        delta = self.delta_head(x)[0]
        vad = np.clip(emotion_vad(own) + delta, 1.0, 5.0)
        return ReplyEmotion(EMOTIONS[int(np.argmax(scores))], dict(zip(EMOTIONS, map(float, probs))),
                            (float(vad[0]), float(vad[1]), float(vad[2])),
                            (float(delta[0]), float(delta[1]), float(delta[2])), p)
