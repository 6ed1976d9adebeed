"""Asking a backend many questions: cached in the run store, in parallel up to a limit,
waiting when the endpoint rate-limits (HTTP 429), every failure recorded per question.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from typing import Any

from emotive._errors import BackendError
from emotive.backends import Backend, GenerateOptions, GenerateResult
from emotive.evaluate._store import RunStore
from emotive.evaluate._types import Answer
from emotive.schema import Plan

# options that change how a backend is reached, not what it answers: not part of a cache key
_OPERATIONAL = {"timeout", "connect_timeout", "retries", "backoff", "deadline", "api_key_env", "threads",
                "max_reply_bytes", "breaker_failures", "breaker_reset",
                "cache_dir", "api_key", "key"}


def backend_identity(backend: Backend) -> dict[str, Any]:
    """What names a backend's answers: its name and the options that change them (no keys,
    timeouts or thread counts).

    >>> from emotive.backends import get_backend
    >>> backend_identity(get_backend("mock", replies=["a"]))["name"]
    'mock'
    """
    options = backend.options.model_dump(mode="json") if hasattr(backend, "options") else {}
    out: dict[str, Any] = {"name": backend.name, "options": {k: v for k, v in sorted(options.items())
                                                             if k not in _OPERATIONAL and "key" not in k.lower()}}
    version = getattr(type(backend), "version", None)  # a backend whose answers change with its code
    if version is not None:
        out["version"] = str(version)
    return out


@dataclass(frozen=True)
class Call:
    """One request: the messages, the per-call settings, the typed plan, the sample number."""

    messages: tuple[Mapping[str, str], ...]
    options: GenerateOptions
    sample: int = 0

    def request(self, identity: Mapping[str, Any]) -> dict[str, Any]:
        o = self.options
        return {"backend": dict(identity), "messages": [dict(m) for m in self.messages],
                "max_tokens": o.max_tokens, "temperature": o.temperature, "extra": dict(o.extra),
                "plan": _plan_dict(o.plan), "sample": self.sample}

    def key(self, identity: Mapping[str, Any]) -> str:
        raw = json.dumps(self.request(identity), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _plan_dict(plan: Plan | None) -> dict[str, Any] | None:
    return None if plan is None else json.loads(json.dumps(asdict(plan), default=str))


def _status(exc: BaseException) -> int | None:
    for name in ("status", "status_code"):
        value = getattr(exc, name, None)
        if isinstance(value, int):
            return value
    return 429 if "HTTP 429" in str(exc) else None


class RateGate:
    """Shared by the workers: after a 429 every worker waits until the gate opens again;
    the wait doubles with each 429 in a row (up to ``max_wait``) and resets on success."""

    def __init__(self, first_wait: float = 1.0, max_wait: float = 30.0, sleep: Callable[[float], None] = time.sleep):
        self.first_wait, self.max_wait, self._sleep = first_wait, max_wait, sleep
        self._lock = threading.Lock()
        self._until = 0.0
        self._wait = first_wait

    def pass_through(self) -> None:
        with self._lock:
            delay = self._until - time.monotonic()
        if delay > 0:
            self._sleep(delay)

    def limited(self, retry_after: float | None = None) -> None:
        with self._lock:
            wait_s = min(self.max_wait, retry_after if retry_after is not None else self._wait)
            self._until = max(self._until, time.monotonic() + wait_s)
            self._wait = min(self.max_wait, self._wait * 2)

    def ok(self) -> None:
        with self._lock:
            self._wait = self.first_wait


class Caller:
    """Answers calls with one backend: from the store when asked before, else from the
    backend, ``concurrency`` at a time. A call that fails (any exception the backend
    raises) gets an ``Answer`` with its ``error``; the run goes on."""

    def __init__(self, backend: Backend, store: RunStore, run_id: str, *, concurrency: int = 4,
                 rate_limit_retries: int = 5, gate: RateGate | None = None):
        self.backend, self.store, self.run_id = backend, store, run_id
        self.identity = backend_identity(backend)
        self.concurrency = max(1, concurrency)
        self.retries = rate_limit_retries
        self.gate = gate or RateGate()
        self.asked = 0  # calls that went to the backend in this process

    def answer_all(self, calls: Sequence[Call], progress: Callable[[int], None] | None = None) -> list[Answer]:
        """The answers to ``calls``, in order; each new one is stored as soon as it arrives."""
        keys = [c.key(self.identity) for c in calls]
        answers: dict[str, Answer] = {}
        pending: dict[str, Call] = {}
        for key, call in zip(keys, calls):
            hit = self.store.get(key)
            if hit is not None:
                answers[key] = Answer(hit[0], hit[1])
            else:
                pending.setdefault(key, call)
        if progress:
            progress(len(calls) - len(pending))
        self._ask(pending, answers, progress)
        return [answers[k] for k in keys]

    def _ask(self, pending: dict[str, Call], answers: dict[str, Answer],
             progress: Callable[[int], None] | None) -> None:
        queue = list(pending.items())
        with ThreadPoolExecutor(self.concurrency) as pool:
            running: dict[Future[Answer], tuple[str, Call]] = {}
            while queue or running:
                while queue and len(running) < self.concurrency:
                    key, call = queue.pop(0)
                    running[pool.submit(self._one, call)] = (key, call)
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    key, call = running.pop(future)
                    answers[key] = self._keep(key, call, future.result())
                    if progress:
                        progress(1)

    def _keep(self, key: str, call: Call, answer: Answer) -> Answer:
        if answer.error is None and answer.text is not None:
            self.store.put(key, call.request(self.identity), answer.text, dict(answer.metadata))
        else:
            self.store.fail(self.run_id, key, answer.error or "no text")
        return answer

    def _one(self, call: Call) -> Answer:
        for attempt in range(self.retries + 1):
            self.gate.pass_through()
            try:
                self.asked += 1
                result = GenerateResult.of(self.backend.generate(list(call.messages), call.options))
            except BackendError as exc:
                if _status(exc) == 429 and attempt < self.retries:
                    self.gate.limited(getattr(exc, "retry_after", None))
                    continue
                return Answer(None, {}, f"{type(exc).__name__}: {exc}")
            except Exception as exc:  # a broken plugin or a bad reply must not end the run
                return Answer(None, {}, f"{type(exc).__name__}: {exc}")
            self.gate.ok()
            if not isinstance(result.text, str):
                return Answer(None, {}, f"the backend returned {type(result.text).__name__}, not text")
            return Answer(result.text, _json_ready(result.metadata))
        return Answer(None, {}, "rate limited: no answer after the retries")  # pragma: no cover


def _json_ready(metadata: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return dict(json.loads(json.dumps(dict(metadata), default=str)))
    except (TypeError, ValueError):
        return {}
