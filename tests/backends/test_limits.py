"""The circuit breaker and the deadline on their own, with a clock the test moves."""

from __future__ import annotations

import asyncio
import threading

import pytest

from emotive import BackendProtocolError, BackendStatusError, BackendTimeoutError, BackendUnavailableError
from emotive.backends._limits import CircuitBreaker, Deadline


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def opened(clock: Clock, failures: int = 2, reset: float = 10.0) -> CircuitBreaker:
    breaker = CircuitBreaker(failures, reset, clock=clock)
    for _ in range(failures):
        breaker.admit("u")
        breaker.failed("HTTP 503")
    return breaker


def test_opens_after_n_failures_in_a_row_only() -> None:
    breaker = CircuitBreaker(3, 10.0, clock=Clock())
    for _ in range(5):  # a success in between starts the count again
        breaker.failed("x")
        breaker.failed("x")
        breaker.succeeded()
    assert breaker.state == "closed"
    breaker.failed("x"), breaker.failed("x"), breaker.failed("x")
    assert breaker.state == "open"


def test_retry_after_counts_down_then_one_probe_goes_through() -> None:
    clock = Clock()
    breaker = opened(clock)
    clock.now += 4
    with pytest.raises(BackendUnavailableError) as info:
        breaker.admit("http://h/v1")
    assert info.value.retry_after == pytest.approx(6.0) and "http://h/v1" in str(info.value)
    clock.now += 6
    assert breaker.state == "half-open"
    breaker.admit("u")  # the probe
    with pytest.raises(BackendUnavailableError):
        breaker.admit("u")  # a second caller while the probe is out
    breaker.succeeded()
    assert breaker.state == "closed"
    breaker.admit("u")


def test_a_probe_that_never_reports_frees_the_way_after_reset() -> None:
    clock = Clock()
    breaker = opened(clock)
    clock.now += 10
    breaker.admit("u")  # a probe whose caller vanished
    clock.now += 10
    breaker.admit("u")  # another probe is let through


def test_only_one_of_many_threads_is_the_probe() -> None:
    clock = Clock()
    breaker = opened(clock)
    clock.now += 11
    admitted, refused = [], []
    barrier = threading.Barrier(16)

    def call() -> None:
        barrier.wait()
        try:
            breaker.admit("u")
            admitted.append(1)
        except BackendUnavailableError:
            refused.append(1)
    threads = [threading.Thread(target=call) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (len(admitted), len(refused)) == (1, 15)


def test_guard_records_how_a_call_ends() -> None:
    breaker = CircuitBreaker(1, 10.0, clock=Clock())
    with pytest.raises(BackendStatusError), breaker.guard("u"):
        raise BackendStatusError("bad request", status=400)
    assert breaker.state == "closed"  # the caller's mistake, not the upstream's
    with pytest.raises(asyncio.CancelledError), breaker.guard("u"):
        raise asyncio.CancelledError
    assert breaker.state == "closed"
    with pytest.raises(BackendProtocolError), breaker.guard("u"):
        raise BackendProtocolError("garbage")
    assert breaker.state == "open"


def test_failures_0_never_opens() -> None:
    breaker = CircuitBreaker(0, 10.0, clock=Clock())
    for _ in range(10):
        with pytest.raises(BackendTimeoutError), breaker.guard("u"):
            raise BackendTimeoutError("slow")
    breaker.admit("u")


def test_deadline_counts_down() -> None:
    clock = Clock()
    deadline = Deadline(2.0, clock=clock)
    clock.now += 1.5
    assert deadline.left() == pytest.approx(0.5) and not deadline.passed()
    clock.now += 1
    assert deadline.passed()
