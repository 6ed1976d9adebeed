"""``Responder.areply``/``astream`` through the native async OpenAI form and a real server on
loopback: the same requests and replies as the sync path, safety before any request, fallback."""

from __future__ import annotations

import asyncio

import pytest

from emotive import BackendProtocolError, BackendStatusError
from emotive.backends import get_backend
from emotive.respond import AsyncReplyStream, Responder, Steps
from emotive.schema import Conversation, Utterance

CONV = Conversation("c", (Utterance("My best friend moved abroad and I feel so lonely.", "user"),))
RISKY = Conversation("r", (Utterance("I just want to end my life", "user"),))
OFF = Steps(understanding=False, strategy=False, persona=False)


def responder(url: str, **kw: object) -> Responder:
    return Responder("openai", backend_options={"base_url": url, "model": "m", "retries": 0, "timeout": 2.0},
                     **kw)  # type: ignore[arg-type]


async def read(stream: AsyncReplyStream) -> str:
    return "".join([piece async for piece in stream])


def test_areply_sends_what_reply_sends(loopback, do) -> None:
    loopback.script(do.reply("Emotion: lonely\nReply: That's a big change. How are you coping?"))
    r = responder(loopback.url)
    sync = r.reply(CONV)
    async_ = asyncio.run(r.areply(CONV))
    assert async_.text == sync.text == "That's a big change. How are you coping?"
    assert async_.emotion_choice == "lonely" and async_.metadata == sync.metadata
    first, second = loopback.requests
    assert first.body == second.body and "Support strategy:" in second.body["messages"][0]["content"]


def test_astream_gives_the_sync_streams_pieces(loopback, do) -> None:
    loopback.script(do.sse(["Emotion: lon", "ely\nReply: I'm ", "here ", "for you."]))
    r = responder(loopback.url, steps=OFF)
    sync = r.stream(CONV)
    sync_pieces = list(sync)

    async def main() -> tuple[list[str], AsyncReplyStream]:
        stream = await r.astream(CONV)
        return [piece async for piece in stream], stream
    pieces, stream = asyncio.run(main())
    assert pieces == sync_pieces and "".join(pieces) == "I'm here for you."
    assert stream.reply.emotion_choice == "lonely" and stream.reply.metadata == {"finish_reason": "stop"}
    assert loopback.requests[0].body == loopback.requests[1].body


def test_a_flagged_message_never_reaches_the_upstream(loopback, do) -> None:
    loopback.script(do.reply("should never be asked"))
    r = responder(loopback.url, steps=OFF)
    reply = asyncio.run(r.areply(RISKY))
    stream_text = asyncio.run(_stream_text(r))
    assert reply.flagged and stream_text == reply.text and "988" in reply.text
    assert loopback.requests == []


async def _stream_text(r: Responder) -> str:
    return await read(await r.astream(RISKY))


def test_faults_raise_the_precise_error_or_fall_back(loopback, do) -> None:
    loopback.script(do.raw_body(500, b"boom"))
    with pytest.raises(BackendStatusError) as info:
        asyncio.run(responder(loopback.url, steps=OFF).areply(CONV))
    assert info.value.status == 500
    fallback = get_backend("mock", replies=["I'm listening.", "Still here."])
    r = responder(loopback.url, steps=OFF, fallback=fallback)
    reply = asyncio.run(r.areply(CONV))
    assert reply.text == "I'm listening." and "HTTP 500" in reply.fallback

    async def streamed() -> tuple[str, str | None]:
        stream = await r.astream(CONV)
        return await read(stream), stream.reply.fallback
    text, why = asyncio.run(streamed())
    assert text == "Still here." and "HTTP 500" in why
    loopback.script(do.sse_truncated(["Emotion: sad\nReply: I'm so"]))
    with pytest.raises(BackendProtocolError, match="cut off"):
        asyncio.run(read_after(responder(loopback.url, steps=OFF)))


async def read_after(r: Responder) -> str:
    return await read(await r.astream(CONV))
