"""``Responder.areply`` and ``Responder.astream``: the same guidance, replies, pieces, safety
and fallback rules as the sync path; and the lazy parts load once when threads ask at once."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from emotive._errors import BackendError
from emotive.backends import Backend, get_backend
from emotive.respond import AsyncReplyStream, Reply, Responder, Steps
from emotive.schema import Conversation, Utterance

CONV = Conversation("c1", (
    Utterance("My manager yelled at me in front of everyone today.", "user"),
    Utterance("That sounds humiliating. How are you feeling now?", "assistant",
              annotations={"strategy": "Question"}),
    Utterance("Honestly I'm furious and I can't stop shaking.", "user"),
))
RISKY = Conversation("r", (Utterance("I just want to end my life", "user"),))
OFF = Steps(understanding=False, strategy=False, persona=False)
ANSWER = "Emotion: angry\nReply: I would be furious too. What happened next?"


@pytest.fixture
def responder_for(tiny_conv_analyzer, tiny_encoder):
    def make(backend="mock", **kw):
        return Responder(backend, analyzer=tiny_conv_analyzer, encoder=tiny_encoder, **kw)
    return make


async def read(stream: AsyncReplyStream) -> list[str]:
    return [piece async for piece in stream]


def same(a: Reply, b: Reply) -> None:
    assert (a.text, a.backend, a.emotion_choice, a.fallback, dict(a.metadata), a.flagged) == \
        (b.text, b.backend, b.emotion_choice, b.fallback, dict(b.metadata), b.flagged)
    assert a.guidance.messages == b.guidance.messages and a.guidance.plan() == b.guidance.plan()


def test_areply_equals_reply(responder_for) -> None:
    sync_mock, async_mock = get_backend("mock", replies=[ANSWER]), get_backend("mock", replies=[ANSWER])
    sync = responder_for(sync_mock).reply(CONV)
    async_ = asyncio.run(responder_for(async_mock).areply(CONV))
    same(async_, sync)
    assert async_.text == "I would be furious too. What happened next?" and async_.emotion_choice == "angry"
    assert async_mock.calls[0].messages == sync_mock.calls[0].messages
    assert async_mock.calls[0].options == sync_mock.calls[0].options and async_mock.calls[0].stream is False


@pytest.mark.parametrize("chunk_size", [1, 3, 7, 100])
def test_astream_pieces_equal_the_sync_stream(responder_for, chunk_size) -> None:
    sync = responder_for(get_backend("mock", replies=[ANSWER], chunk_size=chunk_size)).stream(CONV)
    sync_pieces = list(sync)
    got: list[Reply] = []

    async def main() -> tuple[AsyncReplyStream, list[str]]:
        stream = await responder_for(get_backend("mock", replies=[ANSWER], chunk_size=chunk_size)).astream(
            CONV, on_reply=got.append)
        assert stream.guidance.strategy is not None and stream.reply is None  # guidance at once
        return stream, await read(stream)
    stream, pieces = asyncio.run(main())
    assert pieces == sync_pieces and "".join(pieces) == "I would be furious too. What happened next?"
    assert not any("Emotion" in p or "Reply:" in p for p in pieces)
    same(stream.reply, sync.reply)
    assert got == [stream.reply]


def test_a_flagged_message_never_reaches_the_backend(responder_for) -> None:
    mock = get_backend("mock")
    r = responder_for(mock)
    reply = asyncio.run(r.areply(RISKY))
    assert reply.flagged and reply.backend == "safety" and "988" in reply.text

    async def main() -> tuple[AsyncReplyStream, list[str]]:
        stream = await r.astream(RISKY)
        return stream, await read(stream)
    stream, pieces = asyncio.run(main())
    assert "".join(pieces) == reply.text and stream.reply.flagged
    assert mock.calls == []


class Down(Backend):
    """A backend whose every call fails, at once or (``after``) after some pieces."""

    name = "down"
    can_stream = True

    def __init__(self, after: list[str] | None = None):
        super().__init__()
        self.after = after

    def generate(self, messages, options=None):  # noqa: ANN001, ANN201
        raise BackendError("the endpoint is down")

    def stream(self, messages, options=None):  # noqa: ANN001, ANN201
        yield from self.after or []
        raise BackendError("the endpoint went down")


def test_areply_falls_back_when_the_backend_fails(responder_for) -> None:
    with pytest.raises(BackendError, match="is down"):
        asyncio.run(responder_for(Down(), steps=OFF).areply(CONV))
    reply = asyncio.run(responder_for(Down(), steps=OFF, fallback=get_backend("mock", replies=["still here"]))
                        .areply(CONV))
    assert reply.text == "still here" and reply.backend == "mock" and "is down" in reply.fallback


def test_astream_falls_back_before_its_first_piece_only(responder_for) -> None:
    async def run(backend: Backend, fallback: Backend | None = None) -> tuple[str, Reply | None]:
        stream = await responder_for(backend, steps=OFF, fallback=fallback).astream(CONV)
        return "".join(await read(stream)), stream.reply
    fallback = get_backend("mock", replies=["Emotion: sad\nReply: I'm still here."], chunk_size=4)
    text, reply = asyncio.run(run(Down(), fallback))
    assert text == "I'm still here." and reply.backend == "mock" and "went down" in reply.fallback
    text, reply = asyncio.run(run(Down(["Emotion: sad\n"]), get_backend("mock")))
    assert text.startswith("I hear you") and reply.fallback  # only the held-back line had come
    with pytest.raises(BackendError, match="went down"):
        asyncio.run(run(Down(["Reply: I'm so"]), get_backend("mock")))  # text was shown: no fallback
    with pytest.raises(BackendError, match="went down"):
        asyncio.run(run(Down()))


def test_astream_reads_once_and_closes_early(responder_for) -> None:
    closed = threading.Event()

    class Long(Backend):
        name = "long"
        can_stream = True

        def generate(self, messages, options=None):  # noqa: ANN001, ANN201
            raise AssertionError("not called")

        def stream(self, messages, options=None):  # noqa: ANN001, ANN201
            try:
                for i in range(1000):
                    yield f"word{i} "
            finally:
                closed.set()

    async def main() -> str:
        stream = await responder_for(Long(), steps=OFF).astream(CONV)
        pieces = aiter(stream)
        first = await anext(pieces)
        with pytest.raises(RuntimeError, match="read already"):
            aiter(stream)
        await stream.aclose()
        assert stream.reply is None
        return first
    assert asyncio.run(main()) == "word0 "
    assert closed.is_set()


def test_the_steps_run_in_a_worker_thread(responder_for) -> None:
    r = responder_for(get_backend("mock", replies=[ANSWER]))
    seen: list[str] = []
    guide = r.guide

    def spy(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        seen.append(threading.current_thread().name)
        return guide(*args, **kwargs)
    r.guide = spy  # type: ignore[method-assign]
    asyncio.run(r.areply(CONV))
    assert seen and seen[0] != threading.main_thread().name


def test_lazy_parts_load_once_when_threads_ask_at_once(monkeypatch) -> None:
    made: list[str] = []

    class SlowEncoder:
        def __init__(self) -> None:
            made.append("encoder")
            time.sleep(0.1)

    class SlowPlanner:
        def __init__(self, encoder: object) -> None:
            made.append("planner")
            time.sleep(0.1)
            self.encoder = encoder

    monkeypatch.setattr("emotive.models.SentenceEncoder", SlowEncoder)
    monkeypatch.setattr("emotive.respond.strategy.StrategyPlanner", SlowPlanner)
    r = Responder("mock")
    got: list[object] = []
    barrier = threading.Barrier(8)

    def ask(i: int) -> None:
        barrier.wait()
        got.append(r.encoder if i % 2 else r.planner.encoder)
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(made) == ["encoder", "planner"]
    assert len(got) == 8 and all(e is r.encoder for e in got)
