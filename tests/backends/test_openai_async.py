"""The native async form of the OpenAI-compatible backend equals the sync form, on a real HTTP
server on loopback: the same requests, replies, pieces, metadata and errors."""

from __future__ import annotations

import asyncio

import pytest

from emotive.backends import AsyncResultStream, GenerateOptions, ResultStream, ThreadedAsyncBackend
from emotive.backends.openai_http import AsyncOpenAIBackend, OpenAIBackend

HI = [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "I feel sad today."}]


def backend(url: str, **options: object) -> OpenAIBackend:
    settings: dict[str, object] = {"base_url": url, "model": "tiny", "timeout": 2.0, "connect_timeout": 0.5,
                                   "backoff": 0.01}
    settings.update(options)
    return OpenAIBackend(**settings)


def test_the_async_form_is_native_and_one_per_backend(loopback) -> None:
    client = backend(loopback.url)
    form = client.async_form()
    assert isinstance(form, AsyncOpenAIBackend) and not isinstance(form, ThreadedAsyncBackend)
    assert form is client.async_form() and form.backend is client
    assert (form.name, form.can_stream) == ("openai", True)


def test_whole_reply_equals_the_sync_form(loopback, do) -> None:
    loopback.script(do.reply("That sounds hard."))
    client = backend(loopback.url)
    options = GenerateOptions(max_tokens=7, temperature=0.0, extra={"seed": 3})
    sync = client.generate(HI, options)
    async_ = asyncio.run(client.async_form().generate(HI, options))
    assert async_ == sync and sync.metadata == {"model": "tiny", "finish_reason": "stop"}
    first, second = loopback.requests
    assert first.body == second.body and first.path == second.path == "/v1/chat/completions"
    assert first.headers["accept"] == second.headers["accept"] == "application/json"
    assert first.headers["user-agent"] == second.headers["user-agent"]


def test_streamed_reply_equals_the_sync_form(loopback, do) -> None:
    loopback.script(do.sse(["That ", "sounds ", "hard."]))
    client = backend(loopback.url)
    sync = ResultStream(client.stream(HI))
    sync_pieces = list(sync)

    async def read() -> tuple[list[str], AsyncResultStream]:
        stream = client.async_form().stream(HI)
        return [piece async for piece in stream], stream
    pieces, stream = asyncio.run(read())
    assert pieces == sync_pieces == ["That ", "sounds ", "hard."]
    assert stream.result == sync.result and stream.result.metadata == {"finish_reason": "stop"}
    assert loopback.requests[0].body == loopback.requests[1].body and loopback.requests[1].body["stream"] is True


def test_the_async_stream_retries_before_its_first_piece(loopback, do) -> None:
    loopback.script(do.json_body(503, {"error": {"message": "warming up"}}), do.sse(["ok"]))

    async def read() -> list[str]:
        return [piece async for piece in backend(loopback.url).async_form().stream(HI)]
    assert asyncio.run(read()) == ["ok"] and len(loopback.requests) == 2


def test_nothing_is_sent_before_the_first_piece_is_asked_for(loopback, do) -> None:
    loopback.script(do.sse(["a"]))

    async def open_only() -> None:
        stream = backend(loopback.url).async_form().stream(HI)
        await stream.aclose()
    asyncio.run(open_only())
    assert loopback.requests == []


def test_closing_a_stream_early_keeps_what_was_read(loopback, do) -> None:
    loopback.script(do.sse(["one ", "two ", "three"], pause=0.05))

    async def first_piece() -> list[str]:
        stream = backend(loopback.url).async_form().stream(HI)
        pieces = [await stream.__anext__()]
        await stream.aclose()
        with pytest.raises(StopAsyncIteration):
            await stream.__anext__()
        return pieces
    assert asyncio.run(first_piece()) == ["one "]


def test_concurrent_streams_on_one_form(loopback, do) -> None:
    loopback.script(do.sse(["I'm ", "here."], pause=0.02))
    form = backend(loopback.url).async_form()

    async def read() -> str:
        return "".join([piece async for piece in form.stream(HI)])

    async def many() -> list[str]:
        replies = await asyncio.gather(*(read() for _ in range(16)))
        await form.aclose()
        return replies
    assert asyncio.run(many()) == ["I'm here."] * 16
    assert len(loopback.requests) == 16


def test_the_form_works_from_one_event_loop_after_another(loopback, do) -> None:
    loopback.script(do.reply("again"))
    form = backend(loopback.url).async_form()
    assert [asyncio.run(form.generate(HI)).text for _ in range(3)] == ["again"] * 3


def test_threads_with_their_own_event_loops_share_one_form(loopback, do) -> None:
    import threading

    loopback.script(do.reply("hi"))
    form = backend(loopback.url).async_form()
    out: list[str] = []

    def run() -> None:
        async def many() -> list[str]:
            return [r.text for r in await asyncio.gather(*(form.generate(HI) for _ in range(4)))]
        out.extend(asyncio.run(many()))
    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == ["hi"] * 12


def test_a_backend_pickles_as_its_options(loopback, do) -> None:
    import pickle

    loopback.script(do.reply("ok"))
    client = backend(loopback.url, breaker_failures=2)
    client.generate(HI)
    copy = pickle.loads(pickle.dumps(client))
    assert copy.options == client.options and copy.generate(HI).text == "ok"
    assert asyncio.run(copy.async_form().generate(HI)).text == "ok"
