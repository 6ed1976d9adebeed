"""Upstream limits shared by the sync and async forms of a network backend: one total
deadline per request, and a circuit breaker per backend instance.

>>> breaker = CircuitBreaker(failures=2, reset=30.0)
>>> for _ in range(2):
...     breaker.admit("http://h/v1")
...     breaker.failed("HTTP 503")
>>> breaker.state
'open'
>>> breaker.admit("http://h/v1")
Traceback (most recent call last):
...
emotive._errors.BackendUnavailableError: http://h/v1 is failing: 2 calls in a row failed (last: HTTP 503); ...
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from emotive._errors import (
    BackendConnectError,
    BackendError,
    BackendProtocolError,
    BackendStatusError,
    BackendTimeoutError,
    BackendUnavailableError,
)


class Deadline:
    """One total time limit for a request, across its attempts and the waits between them.

    >>> Deadline(5.0).left() > 4.9
    True
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self.at = clock() + seconds

    def left(self) -> float:
        """Seconds left (negative once passed)."""
        return self.at - self._clock()

    def passed(self) -> bool:
        return self.left() <= 0


def counts_against(error: BaseException) -> bool:
    """Whether a failure says the upstream is unwell (connect, timeout, 5xx or 429, protocol);
    a 4xx the caller caused does not.

    >>> counts_against(BackendStatusError("x", status=503)), counts_against(BackendStatusError("x", status=400))
    (True, False)
    """
    if isinstance(error, BackendStatusError):
        return error.status >= 500 or error.status == 429
    return isinstance(error, BackendConnectError | BackendTimeoutError | BackendProtocolError)


class CircuitBreaker:
    """Closed, then open after ``failures`` failed calls in a row (calls fail fast with
    ``BackendUnavailableError``), then after ``reset`` seconds half-open: one probe call goes
    through; it closes the breaker when it succeeds and opens it again when it fails.
    ``failures=0`` turns the breaker off. One lock guards the state, never held while waiting,
    so threads and event loops can share one breaker.
    """

    def __init__(self, failures: int, reset: float, clock: Callable[[], float] = time.monotonic):
        self.failures, self.reset = failures, reset
        self._clock = clock
        self._lock = threading.Lock()
        self._failed = 0
        self._opened_at: float | None = None
        self._probe_since: float | None = None
        self._last = ""

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half-open``."""
        with self._lock:
            if self._opened_at is None:
                return "closed"
            return "open" if self._clock() < self._opened_at + self.reset else "half-open"

    def admit(self, where: str) -> None:
        """Let a call through, or raise ``BackendUnavailableError`` when the breaker is open
        (or half-open with its probe still out)."""
        if self.failures <= 0:
            return
        with self._lock:
            if self._opened_at is None:
                return
            now = self._clock()
            wait = self._opened_at + self.reset - now
            probe_out = self._probe_since is not None and now < self._probe_since + self.reset
            if wait <= 0 and not probe_out:
                self._probe_since = now
                return
            retry_after = max(wait, 0.0) if wait > 0 else self.reset
            last, failed = self._last, self._failed
        raise BackendUnavailableError(
            f"{where} is failing: {failed} calls in a row failed (last: {last}); emotive fails fast for "
            f"{retry_after:.1f} s, then tries one call; check the server, or raise breaker_failures "
            "(0 turns the breaker off)", retry_after=retry_after)

    def succeeded(self) -> None:
        with self._lock:
            self._failed, self._opened_at, self._probe_since = 0, None, None

    def failed(self, why: str) -> None:
        with self._lock:
            self._failed += 1
            self._last = why[:200]
            if self._probe_since is not None or (self.failures > 0 and self._failed >= self.failures):
                self._opened_at, self._probe_since = self._clock(), None

    def abandoned(self) -> None:
        """A call ended without a verdict (cancelled): a probe it was frees the way for the next."""
        with self._lock:
            self._probe_since = None

    @contextmanager
    def guard(self, where: str) -> Iterator[None]:
        """Admit one call and record how it ends: a failure of the upstream counts against it,
        a stream closed early or a 4xx the caller caused count as success, a cancel as neither."""
        self.admit(where)
        try:
            yield
        except BackendError as exc:
            if counts_against(exc):
                self.failed(str(exc))
            else:
                self.succeeded()
            raise
        except GeneratorExit:
            self.succeeded()
            raise
        except BaseException:
            self.abandoned()
            raise
        self.succeeded()
