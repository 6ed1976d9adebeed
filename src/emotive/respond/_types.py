"""The respond job's typed records: which steps run, the assistant's own state, what the
steps decided (``Guidance``) and the reply. They become dicts only at the edges
(``to_dict``: JSON output, the CLI, the server).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from emotive._errors import ConfigError
from emotive.schema import Plan, Turn, Utterance

if TYPE_CHECKING:
    from emotive.respond._reading import Reading
    from emotive.respond.persona import ReplyEmotion
    from emotive.respond.safety import SafetyFlag
    from emotive.respond.strategy import StrategyPlan


@dataclass(frozen=True)
class Steps:
    """Which steps run; each can be switched off (``Steps(strategy=False)``)."""

    safety: bool = True
    understanding: bool = True
    two_stage: bool = True
    causes: bool = True
    strategy: bool = True
    persona: bool = True

    @classmethod
    def without(cls, names: Sequence[str]) -> Steps:
        """All steps but ``names``.

        >>> Steps.without(["causes"]).causes
        False
        """
        known = [f.name for f in fields(cls)]
        bad = [n for n in names if n not in known]
        if bad:
            raise ConfigError(f"unknown step(s) {bad}; choose from: {', '.join(known)}")
        return cls(**{n: n not in names for n in known})


@dataclass(frozen=True)
class AssistantState:
    """The assistant's own state: the strategy of each of its turns so far (None where
    unknown: the planner tags it from the turn's text) and the emotion of its last turn
    (the persona's preceding emotion; None: neutral).

    >>> AssistantState().after("Question", "sadness").after(None, None)
    AssistantState(strategies=('Question', None), emotion=None)
    """

    strategies: tuple[str | None, ...] = ()
    emotion: str | None = None

    def after(self, strategy: str | None, emotion: str | None) -> AssistantState:
        """The state once the assistant has said one more turn."""
        return AssistantState((*self.strategies, strategy), emotion)

    @classmethod
    def from_annotations(cls, turns: Sequence[Utterance], roles: Sequence[str]) -> AssistantState:
        """The state written on the assistant turns as ``strategy`` and ``emotion``
        annotations, as corpus readers give them (``roles``: each turn's role)."""
        mine = [t for t, r in zip(turns, roles) if r == "assistant"]
        return cls(tuple(t.annotations.get("strategy") for t in mine),
                   mine[-1].annotations.get("emotion") if mine else None)


@dataclass(frozen=True)
class Guidance:
    """Everything the steps decided, and the prompt sent to the backend.

    ``turns``: the user's and the assistant's turns; ``instructions``: the conversation's
    system turns (first in the system message). A step that did not run leaves None.
    """

    turns: tuple[Turn, ...] = ()
    instructions: tuple[str, ...] = ()
    reading: Reading | None = None
    strategy: StrategyPlan | None = None
    reply_emotion: ReplyEmotion | None = None
    safety: SafetyFlag | None = None
    messages: tuple[dict[str, str], ...] = ()
    timings_ms: Mapping[str, float] = field(default_factory=dict)

    def plan(self) -> Plan:
        """The typed plan a backend receives as ``GenerateOptions.plan``."""
        r = self.reading
        return Plan(self.turns, self.strategy.strategy if self.strategy else None,
                    self.reply_emotion.emotion if self.reply_emotion else None,
                    r.emotion7 if r else None, r.top_candidates(3) if r else (),
                    self.strategy.sequence if self.strategy else ())

    def to_dict(self) -> dict[str, Any]:
        def as_dict(x: Any) -> Any:
            return None if x is None else x.to_dict()

        return {"reading": as_dict(self.reading), "strategy": as_dict(self.strategy),
                "reply_emotion": as_dict(self.reply_emotion), "safety": as_dict(self.safety),
                "messages": [dict(m) for m in self.messages],
                "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()}}


@dataclass(frozen=True)
class Reply:
    """The reply text, what guided it, and how it was made (``metadata``: what the backend
    said about its reply, e.g. the retrieval backend's chosen candidate)."""

    text: str
    guidance: Guidance
    backend: str
    flagged: bool = False
    emotion_choice: str | None = None  # the LLM's two-stage emotion choice, if it gave one
    fallback: str | None = None  # why the fallback backend answered instead
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def strategy(self) -> str | None:
        return self.guidance.strategy.strategy if self.guidance.strategy else None

    @property
    def reply_emotion(self) -> str | None:
        return self.guidance.reply_emotion.emotion if self.guidance.reply_emotion else None

    def to_dict(self) -> dict[str, Any]:
        return {"reply": self.text, "flagged": self.flagged, "backend": self.backend,
                "emotion_choice": self.emotion_choice, "fallback": self.fallback,
                "metadata": dict(self.metadata), "guidance": self.guidance.to_dict()}
