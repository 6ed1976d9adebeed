"""The async form of any backend: the default worker-thread adapter (on the mock backend and on
backends written here), and ``AsyncResultStream``."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Generator

import pytest

from emotive._errors import BackendError
from emotive.backends import (
    AsyncBackend,
    AsyncResultStream,
    Backend,
    GenerateResult,
    ResultStream,
    ThreadedAsyncBackend,
    get_backend,
)

HI = [{"role": "user", "content": "I feel sad."}]


def test_the_default_form_is_the_thread_adapter() -> None:
    mock = get_backend("mock")
    form = mock.async_form()
    assert isinstance(form, ThreadedAsyncBackend) and isinstance(form, AsyncBackend)
    assert (form.name, form.can_stream, form.backend) == ("mock", True, mock)


def test_generate_equals_the_sync_form() -> None:
    sync, other = get_backend("mock", replies=["That sounds hard."]), get_backend("mock", replies=["That sounds hard."])
    result = asyncio.run(other.async_form().generate(HI))
    assert result == sync.generate(HI) == GenerateResult("That sounds hard.", {"call": 1})
    assert other.calls[0].messages == HI and other.calls[0].stream is False


def test_stream_equals_the_sync_form() -> None:
    text = "Emotion: sad\nReply: I'm sorry you feel that way."
    sync = ResultStream(get_backend("mock", replies=[text], chunk_size=5).stream(HI))
    sync_pieces = list(sync)
    other = get_backend("mock", replies=[text], chunk_size=5)

    async def read() -> tuple[list[str], AsyncResultStream]:
        stream = other.async_form().stream(HI)
        return [piece async for piece in stream], stream
    pieces, stream = asyncio.run(read())
    assert pieces == sync_pieces and len(pieces) > 3
    assert stream.result == sync.result == GenerateResult(text, {"call": 1})
    assert other.calls[0].stream is True


def test_errors_come_through() -> None:
    form = get_backend("mock", replies=[]).async_form()
    mock = get_backend("mock", replies=["only one"])
    mock.generate(HI)
    with pytest.raises(BackendError, match="no reply left"):
        asyncio.run(mock.async_form().generate(HI))

    async def read() -> list[str]:
        return [piece async for piece in mock.async_form().stream(HI)]
    with pytest.raises(BackendError, match="no reply left"):
        asyncio.run(read())
    assert asyncio.run(form.generate(HI)).text.startswith("I hear you")


class Gated(Backend):
    """A backend that blocks in its thread until the test lets it go, and says when it closed."""

    name = "gated"
    can_stream = True

    def __init__(self) -> None:
        super().__init__()
        self.entered, self.release, self.closed = threading.Event(), threading.Event(), threading.Event()

    def generate(self, messages, options=None) -> GenerateResult:  # noqa: ANN001
        self.entered.set()
        if not self.release.wait(5):
            raise AssertionError("never released: the event loop was blocked")
        return GenerateResult("done")

    def stream(self, messages, options=None) -> Generator[str, None, GenerateResult]:  # noqa: ANN001
        try:
            yield "first"
            self.entered.set()
            if not self.release.wait(5):
                raise AssertionError("never released")
            yield "second"
            return GenerateResult("", {"end": True})
        finally:
            self.closed.set()


def test_a_blocking_backend_does_not_block_the_event_loop() -> None:
    gated = Gated()

    async def main() -> str:
        task = asyncio.create_task(gated.async_form().generate(HI))
        await asyncio.to_thread(gated.entered.wait, 5)  # the loop runs while generate blocks its thread
        gated.release.set()
        return (await task).text
    assert asyncio.run(main()) == "done"


def test_stream_pieces_then_result_through_threads() -> None:
    gated = Gated()
    gated.release.set()

    async def read() -> tuple[list[str], GenerateResult | None]:
        stream = gated.async_form().stream(HI)
        return [piece async for piece in stream], stream.result
    assert asyncio.run(read()) == (["first", "second"], GenerateResult("firstsecond", {"end": True}))
    assert gated.closed.is_set()


def test_aclose_closes_the_sync_stream() -> None:
    gated = Gated()

    async def first_only() -> str:
        stream = gated.async_form().stream(HI)
        piece = await stream.__anext__()
        await stream.aclose()
        return piece
    assert asyncio.run(first_only()) == "first"
    assert gated.closed.is_set() and not gated.entered.is_set()


def test_a_cancelled_stream_is_closed_once_its_read_ends() -> None:
    gated = Gated()

    async def cancel_mid_read() -> None:
        stream = gated.async_form().stream(HI)
        await stream.__anext__()
        task = asyncio.ensure_future(stream.__anext__())  # blocks in its thread until released
        await asyncio.to_thread(gated.entered.wait, 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await stream.aclose()
        gated.release.set()
    asyncio.run(cancel_mid_read())
    assert gated.closed.wait(5)


def test_async_result_stream_without_a_result_joins_the_pieces() -> None:
    async def pieces():  # noqa: ANN202
        yield "a"
        yield "b"

    async def read() -> GenerateResult | None:
        stream = AsyncResultStream(pieces())
        assert [p async for p in stream] == ["a", "b"]
        return stream.result
    assert asyncio.run(read()) == GenerateResult("ab", {})


def test_a_custom_async_form_that_cannot_stream_gives_one_piece() -> None:
    class Echo(AsyncBackend):
        async def generate(self, messages, options=None) -> GenerateResult:  # noqa: ANN001
            return GenerateResult(messages[-1]["content"], {"echo": True})

    async def read() -> tuple[list[str], GenerateResult | None]:
        stream = Echo(get_backend("mock")).stream(HI)
        return [p async for p in stream], stream.result
    assert asyncio.run(read()) == (["I feel sad."], GenerateResult("I feel sad.", {"echo": True}))
