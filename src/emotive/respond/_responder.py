"""``Responder``: SEM-guided replies with any backend, in steps that can be switched off.

1. safety: phrase rules; a flagged message gets a safe, resource-pointing reply;
2. understanding: the SEMs read the user's last turn (emotions, VAD, trigger words, causes);
3. strategy: the planner picks one of ESConv's eight strategies, guarded against bias;
4. reply emotion: the persona's personality-affected emotion transition;
5. the prompt: built from 2-4 (two-stage emotion choice, cause perception), sent to the
   backend; the plan also goes to the backend as ``guidance`` (the retrieval backend uses it).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from emotive._errors import BackendError, ConfigError, InputError
from emotive.backends import Backend, GenerateOptions, get_backend
from emotive.respond import _prompt
from emotive.respond._reading import read_turn
from emotive.respond.safety import Safety
from emotive.schema import Conversation

ASSISTANT_NAMES = ("assistant", "sys", "listener", "supporter", "bot", "system")


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


@dataclass
class Guidance:
    """Everything the steps decided, and the prompt sent to the backend."""

    reading: dict[str, Any] | None = None
    strategy: dict[str, Any] | None = None
    reply_emotion: dict[str, Any] | None = None
    safety: dict[str, str] | None = None
    messages: list[dict[str, str]] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    turns: list[dict[str, str]] = field(default_factory=list)

    def plan(self) -> dict[str, Any]:
        """The compact plan a backend receives as ``GenerateOptions.guidance``."""
        return {"turns": self.turns,
                "strategy": (self.strategy or {}).get("strategy"),
                "reply_emotion": (self.reply_emotion or {}).get("emotion"),
                "user_emotion": (self.reading or {}).get("emotion7"),
                "user_candidates": [c["label"] for c in (self.reading or {}).get("candidates", [])[:3]]}

    def to_dict(self) -> dict[str, Any]:
        return {"reading": self.reading, "strategy": self.strategy, "reply_emotion": self.reply_emotion,
                "safety": self.safety, "messages": self.messages,
                "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()}}


@dataclass
class Reply:
    """The reply text, what guided it, and how it was made."""

    text: str
    guidance: Guidance
    backend: str
    flagged: bool = False
    emotion_choice: str | None = None  # the LLM's two-stage emotion choice, if it gave one
    fallback: str | None = None  # why the fallback backend answered instead

    def to_dict(self) -> dict[str, Any]:
        return {"reply": self.text, "flagged": self.flagged, "backend": self.backend,
                "emotion_choice": self.emotion_choice, "fallback": self.fallback,
                "guidance": self.guidance.to_dict()}


class Responder:
    """Guided replies. ``backend``: a registered name (``retrieval``, ``openai``,
    ``transformers``, ``mock``…) or a ``Backend``.

    >>> from emotive import Conversation, Utterance
    >>> r = Responder(backend="mock", steps=Steps(understanding=False, strategy=False, persona=False))
    >>> r.reply(Conversation("c", (Utterance("hi there", "user"),))).backend
    'mock'
    """

    def __init__(self, backend: str | Backend = "retrieval", *, persona: Any = None,
                 steps: Steps | None = None, safety: Safety | None = None,
                 fallback: str | Backend | None = None, assistant: str | None = None,
                 backend_options: dict[str, Any] | None = None, max_tokens: int = 256,
                 temperature: float = 0.7, analyzer: Any = None, encoder: Any = None):
        self.backend = backend if isinstance(backend, Backend) else get_backend(backend, **(backend_options or {}))
        self.fallback = get_backend(fallback) if isinstance(fallback, str) else fallback
        self.steps = steps or Steps()
        self.safety = safety or Safety()
        self.persona = persona
        self.assistant = assistant
        self.generate_options = GenerateOptions(max_tokens=max_tokens, temperature=temperature)
        self._analyzer, self._encoder = analyzer, encoder
        self._planner: Any = None
        self._transition: Any = None
        self._recipe = {"backend": backend, "persona": persona, "steps": steps, "safety": safety,
                        "fallback": fallback, "assistant": assistant, "backend_options": backend_options,
                        "max_tokens": max_tokens, "temperature": temperature, "analyzer": analyzer}

    def __getstate__(self) -> dict[str, Any]:
        """A responder pickles as its recipe (for Ray workers): backends given by name, and
        its analyzer as its own recipe; loaded parts are made again on the other side."""
        recipe = dict(self._recipe)
        if isinstance(recipe["backend"], Backend) or isinstance(recipe["fallback"], Backend):
            raise ConfigError("a Responder built around a backend instance cannot be sent to "
                              "another process; give the backend by name with backend_options")
        return recipe

    def __setstate__(self, recipe: dict[str, Any]) -> None:
        self.__init__(recipe.pop("backend"), **recipe)  # type: ignore[misc]

    # -- the parts, loaded on first use ------------------------------------------------
    @property
    def analyzer(self):  # noqa: ANN201
        if self._analyzer is None:
            from emotive.analyze import Analyzer

            self._analyzer = Analyzer()
        return self._analyzer

    @property
    def encoder(self):  # noqa: ANN201
        if self._encoder is None:
            from emotive.models import SentenceEncoder

            self._encoder = SentenceEncoder()
        return self._encoder

    @property
    def planner(self):  # noqa: ANN201
        if self._planner is None:
            from emotive.respond.strategy import StrategyPlanner

            self._planner = StrategyPlanner(self.encoder)
        return self._planner

    @property
    def transition(self):  # noqa: ANN201
        if self._transition is None:
            from emotive.respond.persona import EmotionTransition

            self._transition = EmotionTransition(self.encoder)
        return self._transition

    # -- the steps ---------------------------------------------------------------------
    def roles(self, conv: Conversation) -> list[tuple[str, str]]:
        """Each turn as ("user" | "assistant", text)."""
        if not conv.turns:
            raise InputError(f"conversation {conv.id!r} has no turns; nothing to reply to")
        names = {self.assistant} if self.assistant else set(ASSISTANT_NAMES)
        roles = [("assistant" if (t.speaker or "").lower() in names else "user", t.text) for t in conv.turns]
        if roles[-1][0] == "assistant":
            raise InputError(f"conversation {conv.id!r} ends with the assistant's turn; "
                             "the last turn must be the user's")
        return roles

    def guide(self, conv: Conversation) -> Guidance:
        """Run the enabled steps and build the prompt (no backend call)."""
        roles = self.roles(conv)
        g = Guidance(turns=[{"role": r, "text": t} for r, t in roles])
        last = conv.turns[-1].text
        if self.steps.safety:
            flag = self._timed(g, "safety", lambda: self.safety.check(last))
            if flag is not None:
                g.safety = flag.to_dict()
                return g
        if self.steps.understanding:
            reading = self._timed(g, "understanding", lambda: read_turn(
                self.analyzer, conv, len(conv.turns) - 1, causes=self.steps.causes,
                triggers=self.steps.causes))
            g.reading = reading.to_dict()
        if self.steps.strategy:
            turns = [("sys" if r == "assistant" else "usr", t) for r, t in roles]
            history = [t.annotations.get("strategy") for t, (r, _) in zip(conv.turns, roles) if r == "assistant"]
            g.strategy = self._timed(g, "strategy", lambda: self.planner.plan(turns, history)).to_dict()
        if self.steps.persona:
            g.reply_emotion = self._timed(g, "persona", lambda: self._reply_emotion(conv, roles, g)).to_dict()
        system = _prompt.system_prompt(g.to_dict(), self.steps.two_stage)
        g.messages = _prompt.messages(system, roles)
        return g

    def _reply_emotion(self, conv: Conversation, roles: list[tuple[str, str]], g: Guidance) -> Any:
        """The persona's own preceding emotion is its last turn's ``emotion`` annotation (as
        ``emotive chat`` records it), else neutral."""
        mine = [t for t, (r, _) in zip(conv.turns, roles) if r == "assistant"]
        own = mine[-1].annotations.get("emotion") if mine else None
        other = (g.reading or {}).get("emotion7") or "neutral"
        return self.transition.predict(self.persona, own=own if own in _prompt.TONE else "neutral", other=other)

    @staticmethod
    def _timed(g: Guidance, name: str, fn: Any) -> Any:
        start = time.perf_counter()
        out = fn()
        g.timings_ms[name] = (time.perf_counter() - start) * 1000
        return out

    # -- replies -----------------------------------------------------------------------
    def reply(self, conversation: Conversation) -> Reply:
        """The guided reply to the conversation's last (user) turn.

        If the backend fails and a ``fallback`` backend is set, the fallback answers and
        ``Reply.fallback`` says why; without a fallback the ``BackendError`` propagates.
        """
        g = self.guide(conversation)
        if g.safety is not None:
            return Reply(g.safety["reply"], g, "safety", flagged=True)
        opts = replace(self.generate_options, guidance=g.plan())
        try:
            raw, name, why = self.backend.generate(g.messages, opts), self.backend.name, None
        except BackendError as exc:
            if self.fallback is None:
                raise
            raw, name, why = self.fallback.generate(g.messages, opts), self.fallback.name, str(exc)
        text, choice = _prompt.parse(raw)
        return Reply(text or raw.strip(), g, name, emotion_choice=choice, fallback=why)

    def stream(self, conversation: Conversation) -> tuple[Guidance, Iterator[str]]:
        """The guidance, and the reply as text pieces (the `Emotion:` line is held back)."""
        g = self.guide(conversation)
        if g.safety is not None:
            return g, iter([g.safety["reply"]])
        opts = replace(self.generate_options, guidance=g.plan())
        return g, strip_answer_format(self.backend.stream(g.messages, opts))


def strip_answer_format(pieces: Iterator[str]) -> Iterator[str]:
    """Stream a two-stage answer without its ``Emotion:`` line and ``Reply:`` prefix.

    >>> "".join(strip_answer_format(iter(["Emo", "tion: sad\\nRep", "ly: so", "rry"])))
    'sorry'
    """
    buffer, started = "", False
    for piece in pieces:
        if started:
            yield piece
            continue
        buffer += piece
        if _ready(buffer):
            started = True
            text = _prompt.parse(buffer)[0]
            text += buffer[len(buffer.rstrip()):] if text else ""  # keep the space before the next piece
            if text:
                yield text
    if not started and buffer:
        yield _prompt.parse(buffer)[0]


def _ready(buffer: str) -> bool:
    """Enough of the answer's start is in to strip its format lines."""
    head = buffer.lstrip().lower()
    if head.startswith("emotion") or (len(head) < 8 and "emotion:".startswith(head)):
        if "\n" not in head:
            return False
        head = head.split("\n", 1)[1].lstrip()
    return len(head) >= 7 or not "reply:".startswith(head[:6])
