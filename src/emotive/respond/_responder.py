"""``Responder``: SEM-guided replies with any backend, in steps that can be switched off.

1. safety: the safety rules on the user's recent turns; a flagged message gets a safe,
   resource-pointing reply;
2. understanding: the SEMs read the user's last turn (emotions, VAD, trigger words, causes);
3. strategy: the planner picks one of ESConv's eight strategies, guarded against bias;
4. reply emotion: the persona's personality-affected emotion transition;
5. the prompt: the client's system turns first, then guidance built from 2-4 (two-stage
   emotion choice, cause perception), sent to the backend; the typed plan also goes to the
   backend (``GenerateOptions.plan``; the retrieval backend uses it).

``reply`` and ``stream`` share one path to the backend: the main backend, and the fallback
when it fails (for a stream: before its first piece). ``areply`` and ``astream`` are the same
for ``asyncio`` code: the steps run in a worker thread, the backend's async form writes the reply.
The parts (safety rules, analyzer, encoder, planner, transition) load once, on first use, even
when several threads ask at once. Steps 1-3 do not depend on each other: with ``parallel``
(the default) they run at the same time, in two shared worker threads besides the caller's
(a flagged message still gets only the safe reply). On a quiet 2-core machine that cut the
guidance's p50 by 29% and its p95 by 18% (``benchmarks/guidance_latency.py``); on cores that
other work keeps busy it was slower, so the server, whose concurrent requests fill the cores,
passes ``parallel=False``.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from emotive._errors import BackendError, ConfigError
from emotive.backends import AsyncBackend, Backend, GenerateOptions, GenerateResult, get_backend
from emotive.respond import _prompt
from emotive.respond._reading import Reading, read_turn
from emotive.respond._roles import Roled, Roles, split_roles
from emotive.respond._stream import AsyncReplyStream, ReplyStream, astart_stream, start_stream
from emotive.respond._types import AssistantState, Guidance, Reply, Steps
from emotive.respond.safety import Safety, SafetyFlag
from emotive.schema import Conversation

if TYPE_CHECKING:
    from emotive.respond.persona import ReplyEmotion
    from emotive.respond.strategy import StrategyPlan

_T = TypeVar("_T")


class Responder:
    """Guided replies. ``backend``: a registered name (``retrieval``, ``openai``,
    ``transformers``, ``mock``…) or a ``Backend``; ``roles``: which speakers are the user,
    the assistant and the system (``assistant="agent"`` is short for
    ``Roles.named(assistant="agent")``).

    >>> from emotive import Conversation, Utterance
    >>> r = Responder(backend="mock", steps=Steps(understanding=False, strategy=False, persona=False))
    >>> r.reply(Conversation("c", (Utterance("hi there", "user"),))).backend
    'mock'
    """

    def __init__(self, backend: str | Backend = "retrieval", *, persona: Any = None,
                 steps: Steps | None = None, safety: Safety | None = None,
                 fallback: str | Backend | None = None, assistant: str | None = None,
                 roles: Roles | None = None, backend_options: dict[str, Any] | None = None,
                 max_tokens: int = 256, temperature: float = 0.7, analyzer: Any = None, encoder: Any = None,
                 planner: Any = None, parallel: bool = True):
        if roles is not None and assistant is not None:
            raise ConfigError("give roles or assistant, not both")
        self.backend = backend if isinstance(backend, Backend) else get_backend(backend, **(backend_options or {}))
        self.fallback = get_backend(fallback) if isinstance(fallback, str) else fallback
        self.steps = steps or Steps()
        self._safety = safety
        self.persona = persona
        self.roles = roles or (Roles.named(assistant=assistant) if assistant else Roles())
        self.generate_options = GenerateOptions(max_tokens=max_tokens, temperature=temperature)
        self._analyzer, self._encoder = analyzer, encoder
        self._planner: Any = planner
        self._transition: Any = None
        self._loading = threading.RLock()
        self.parallel = parallel
        self._recipe = {"backend": backend, "persona": persona, "steps": steps, "safety": safety,
                        "fallback": fallback, "assistant": assistant, "roles": roles,
                        "backend_options": backend_options, "max_tokens": max_tokens,
                        "temperature": temperature, "analyzer": analyzer, "parallel": parallel}

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
    def safety(self) -> Safety:
        safety: Safety = self._loaded("_safety", Safety)
        return safety

    @property
    def analyzer(self):  # noqa: ANN201
        def make():  # noqa: ANN202
            from emotive.analyze import Analyzer

            return Analyzer()
        return self._loaded("_analyzer", make)

    @property
    def encoder(self):  # noqa: ANN201
        def make():  # noqa: ANN202
            from emotive.models import SentenceEncoder

            return SentenceEncoder()
        return self._loaded("_encoder", make)

    @property
    def planner(self):  # noqa: ANN201
        def make():  # noqa: ANN202
            from emotive.respond.strategy import StrategyPlanner

            return StrategyPlanner(self.encoder)
        return self._loaded("_planner", make)

    @property
    def transition(self):  # noqa: ANN201
        def make():  # noqa: ANN202
            from emotive.respond.persona import EmotionTransition

            return EmotionTransition(self.encoder)
        return self._loaded("_transition", make)

    def _loaded(self, attr: str, make: Callable[[], Any]) -> Any:
        """``self.<attr>``, made on first use under a lock: threads asking at once load it once."""
        value = getattr(self, attr)
        if value is None:
            with self._loading:
                value = getattr(self, attr)
                if value is None:
                    value = make()
                    setattr(self, attr, value)
        return value

    # -- the steps ---------------------------------------------------------------------
    def guide(self, conversation: Conversation, *, state: AssistantState | None = None,
              roles: Roles | None = None) -> Guidance:
        """Run the enabled steps and build the prompt (no backend call).

        ``state``: the assistant's own state (default: read from the assistant turns'
        ``strategy`` and ``emotion`` annotations); ``roles``: default ``self.roles``.
        """
        split = split_roles(conversation, roles or self.roles)
        timings: dict[str, float] = {}
        g = Guidance(turns=split.turns, instructions=split.instructions, timings_ms=timings)
        own = state if state is not None else AssistantState.from_annotations(
            split.conversation.turns, [t.role for t in split.turns])
        last = len(split.turns) - 1
        steps: dict[str, Callable[[], Any]] = {}
        if self.steps.understanding:  # first: the longest runs in this thread
            steps["understanding"] = lambda: read_turn(self.analyzer, split.conversation, last,
                                                       causes=self.steps.causes, triggers=self.steps.causes)
        if self.steps.safety:
            steps["safety"] = lambda: self._check_safety(split)
        if self.steps.strategy:
            steps["strategy"] = lambda: self._plan_strategy(split, own)
        done = _run_steps(steps, timings, self.parallel)
        if done.get("safety") is not None:  # flagged: the other steps' results (or errors) are not used
            return replace(g, safety=done["safety"])
        for outcome in done.values():
            if isinstance(outcome, BaseException):
                raise outcome
        g = replace(g, reading=done.get("understanding"), strategy=done.get("strategy"))
        if self.steps.persona:
            g = replace(g, reply_emotion=_timed(timings, "persona", lambda: self._reply_emotion(own, g.reading)))
        return replace(g, messages=_prompt.messages(_prompt.system_prompt(g, self.steps.two_stage), split.turns))

    def _check_safety(self, split: Roled) -> SafetyFlag | None:
        """The safety rules on the user's turns, oldest first, when they read several
        (``check_turns``: they pick the recent ones), else on the last one."""
        said = [t.text for t in split.turns if t.role == "user"]
        check_turns = getattr(self.safety, "check_turns", None)
        if callable(check_turns):
            flag: SafetyFlag | None = check_turns(said)
            return flag
        return self.safety.check(said[-1])

    def _plan_strategy(self, split: Roled, own: AssistantState) -> StrategyPlan:
        turns = [("sys" if t.role == "assistant" else "usr", t.text) for t in split.turns]
        mine = sum(t.role == "assistant" for t in split.turns)
        if len(own.strategies) != mine:
            raise ConfigError(f"the assistant's state has {len(own.strategies)} strategies for {mine} assistant "
                              "turns; give one per assistant turn (None where unknown)")
        plan: StrategyPlan = self.planner.plan(turns, list(own.strategies))
        return plan

    def _reply_emotion(self, own: AssistantState, reading: Reading | None) -> ReplyEmotion:
        """The persona's reply emotion from its own preceding emotion (neutral if unknown)
        and the user's."""
        mine = own.emotion if own.emotion in _prompt.TONE else "neutral"
        other = reading.emotion7 if reading is not None else "neutral"
        emotion: ReplyEmotion = self.transition.predict(self.persona, own=mine, other=other)
        return emotion

    # -- replies -----------------------------------------------------------------------
    def reply(self, conversation: Conversation, *, state: AssistantState | None = None,
              roles: Roles | None = None) -> Reply:
        """The guided reply to the conversation's last (user) turn.

        If the backend fails and a ``fallback`` backend is set, the fallback answers and
        ``Reply.fallback`` says why; without a fallback the ``BackendError`` propagates.
        """
        g = self.guide(conversation, state=state, roles=roles)
        if g.safety is not None:
            return _safe_reply(g)
        options = self._options(g)
        result, backend, why = self._with_fallback(
            lambda b: GenerateResult.of(b.generate(g.messages, options)))
        return _finished(g, result, backend, why)

    async def areply(self, conversation: Conversation, *, state: AssistantState | None = None,
                     roles: Roles | None = None) -> Reply:
        """:meth:`reply` for ``asyncio`` code: the steps run in a worker thread, the backend's
        async form (``Backend.async_form()``) writes the reply; the same safety and fallback rules.

        >>> import asyncio
        >>> from emotive import Conversation, Utterance
        >>> r = Responder(backend="mock", steps=Steps(understanding=False, strategy=False, persona=False))
        >>> asyncio.run(r.areply(Conversation("c", (Utterance("hi there", "user"),)))).text
        'I hear you. Tell me more about how you feel.'
        """
        g = await asyncio.to_thread(self.guide, conversation, state=state, roles=roles)
        if g.safety is not None:
            return _safe_reply(g)
        options = self._options(g)

        async def generate(form: AsyncBackend) -> GenerateResult:
            return GenerateResult.of(await form.generate(g.messages, options))
        result, backend, why = await self._awith_fallback(generate)
        return _finished(g, result, backend, why)

    def stream(self, conversation: Conversation, *, state: AssistantState | None = None,
               roles: Roles | None = None, on_reply: Callable[[Reply], None] | None = None) -> ReplyStream:
        """The reply as it is written: ``.guidance`` at once, the text pieces by iterating
        (the ``Emotion:`` line held back), ``.reply`` at the end (``on_reply`` is called
        with it). The fallback answers when the backend fails before its first piece.
        """
        g = self.guide(conversation, state=state, roles=roles)
        if g.safety is not None:
            return ReplyStream(g, reply=_safe_reply(g), on_reply=on_reply)
        options = self._options(g)
        return ReplyStream(g, lambda: self._with_fallback(lambda b: start_stream(b, g.messages, options)),
                           on_reply=on_reply)

    async def astream(self, conversation: Conversation, *, state: AssistantState | None = None,
                      roles: Roles | None = None, on_reply: Callable[[Reply], None] | None = None
                      ) -> AsyncReplyStream:
        """:meth:`stream` for ``asyncio`` code: returns once the guidance is ready (``.guidance``);
        ``async for piece in stream`` gives the text (the ``Emotion:`` line held back), ``.reply``
        the end; ``await stream.aclose()`` stops early. The fallback answers when the backend
        fails before its first piece.

        >>> import asyncio
        >>> from emotive import Conversation, Utterance
        >>> r = Responder(backend="mock", steps=Steps(understanding=False, strategy=False, persona=False))
        >>> async def main():
        ...     stream = await r.astream(Conversation("c", (Utterance("hi there", "user"),)))
        ...     return "".join([piece async for piece in stream]), stream.reply.backend
        >>> asyncio.run(main())
        ('I hear you. Tell me more about how you feel.', 'mock')
        """
        g = await asyncio.to_thread(self.guide, conversation, state=state, roles=roles)
        if g.safety is not None:
            return AsyncReplyStream(g, reply=_safe_reply(g), on_reply=on_reply)
        options = self._options(g)
        return AsyncReplyStream(g, lambda: self._awith_fallback(lambda b: astart_stream(b, g.messages, options)),
                                on_reply=on_reply)

    def _options(self, g: Guidance) -> GenerateOptions:
        return replace(self.generate_options, plan=g.plan())

    def _with_fallback(self, call: Callable[[Backend], _T]) -> tuple[_T, Backend, str | None]:
        """``call`` on the backend; on a ``BackendError``, on the fallback (if any), with why."""
        try:
            return call(self.backend), self.backend, None
        except BackendError as exc:
            fallback = self._fallback_for(exc)
            return call(fallback), fallback, str(exc)

    async def _awith_fallback(self, call: Callable[[AsyncBackend], Awaitable[_T]]
                              ) -> tuple[_T, Backend, str | None]:
        """:meth:`_with_fallback` with the backends' async forms."""
        try:
            return await call(self.backend.async_form()), self.backend, None
        except BackendError as exc:
            fallback = self._fallback_for(exc)
            return await call(fallback.async_form()), fallback, str(exc)

    def _fallback_for(self, exc: BackendError) -> Backend:
        """The fallback backend, or ``exc`` raised again when there is none."""
        if self.fallback is None:
            raise exc
        return self.fallback


def _finished(g: Guidance, result: GenerateResult, backend: Backend, why: str | None) -> Reply:
    """The ``Reply`` of a whole answer: the two-stage format parsed off."""
    text, choice = _prompt.parse(result.text)
    return Reply(text or result.text.strip(), g, backend.name, emotion_choice=choice, fallback=why,
                 metadata=result.metadata)


def _safe_reply(g: Guidance) -> Reply:
    assert g.safety is not None
    return Reply(g.safety.reply, g, "safety", flagged=True)


def _timed(timings: dict[str, float], name: str, fn: Callable[[], _T]) -> _T:
    start = time.perf_counter()
    out = fn()
    timings[name] = (time.perf_counter() - start) * 1000
    return out


_POOL: list[ThreadPoolExecutor] = []
_POOL_LOCK = threading.Lock()
os.register_at_fork(after_in_child=_POOL.clear)  # a forked child has none of the parent's threads


def _pool() -> ThreadPoolExecutor:
    """The worker threads the independent steps share (made on first use)."""
    with _POOL_LOCK:
        if not _POOL:
            _POOL.append(ThreadPoolExecutor(max_workers=2, thread_name_prefix="emotive-step"))
        return _POOL[0]


def _run_steps(steps: Mapping[str, Callable[[], Any]], timings: dict[str, float],
               parallel: bool) -> dict[str, Any]:
    """Each step's result, or the exception it raised. With ``parallel``, the first step runs
    in this thread while the others run in worker threads (the SEMs' ONNX sessions release
    the GIL, so the steps overlap); an exception never escapes before every step has ended.

    >>> _run_steps({"a": lambda: 1, "b": lambda: 1 / 0}, {}, parallel=True)["b"].__class__.__name__
    'ZeroDivisionError'
    """
    def call(name: str, fn: Callable[[], Any]) -> Any:
        try:
            return _timed(timings, name, fn)
        except Exception as exc:  # noqa: BLE001 - handed to the caller, which decides
            return exc

    names = list(steps)
    if not parallel or len(names) < 2:
        return {name: call(name, steps[name]) for name in names}
    futures = {name: _pool().submit(call, name, steps[name]) for name in names[1:]}
    out = {names[0]: call(names[0], steps[names[0]])}
    return {**out, **{name: f.result() for name, f in futures.items()}}
