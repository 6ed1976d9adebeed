"""``POST /v1/chat/completions``: an OpenAI-compatible, emotion-aware chat proxy.

emotive runs its guided steps on the conversation (safety first: a flagged message is
answered with support resources and never reaches the upstream), keeps the client's own
system messages first in the prompt, calls the configured upstream (or, with none, the
offline default backend) and answers in the OpenAI shape, whole or streamed as
``chat.completion.chunk`` server-sent events.

What emotive read and planned travels in the ``emotive`` field of the completion (the first
chunk of a stream) and in ``x-emotive-*`` headers; ``"emotive": {"include": false}`` in the
request leaves both out. Errors use the OpenAI error shape; an upstream failure after a
stream has started arrives as a last ``data: {"error": ...}`` event.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from emotive._errors import ConfigError
from emotive.server import _schemas as s
from emotive.server._engine import Engine, parse_model
from emotive.server._http_errors import PROXY_PATH, ApiError, as_api_error
from emotive.server._routes import UPSTREAM_ERRORS, check_texts, engine, in_thread

router = APIRouter()
_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
_DONE = object()
_T = TypeVar("_T")


@router.post(PROXY_PATH, response_model=s.ChatCompletion, tags=["chat"],
             responses={**UPSTREAM_ERRORS, 200: {"content": {"text/event-stream": {}},
                                                 "description": "a chat.completion, or chunks with stream=true"}})
async def chat_completions(body: s.ChatRequest, request: Request) -> Any:
    """Any OpenAI client, unchanged: emotive reads the user, plans, and the upstream writes."""
    eng = engine(request)
    try:
        preset, model = parse_model(body.model, eng.config.upstream_model)
    except ConfigError as exc:
        raise ApiError(404, "model_not_found", str(exc)) from None
    messages = chat_messages(body.messages, eng)
    max_tokens = body.max_completion_tokens or body.max_tokens or 256
    responder = await in_thread(eng.responder, preset.name, model, max_tokens=max_tokens,
                                temperature=0.7 if body.temperature is None else body.temperature)
    session = await in_thread(_session, responder, messages)
    include = body.emotive is None or body.emotive.include
    if body.stream:
        return await _stream(eng, responder, session, body.model, include)
    reply = await awaited(responder.areply(session.conversation(), state=session.state, roles=session.roles))
    eng.metrics.upstream.labels(_outcome(reply)).inc()
    return JSONResponse(completion(reply, body.model, include), headers=headers(reply) if include else None)


def chat_messages(messages: list[s.ChatMessage], eng: Engine) -> list[dict[str, str]]:
    """OpenAI messages as ``{"role", "content"}`` (text parts joined, developer = system);
    the last must be the user's."""
    out = []
    for i, m in enumerate(messages):
        role = _ROLES.get(m.role)
        if role is None:
            raise ApiError(422, "unsupported_role", f"messages[{i}]: role {m.role!r} is not supported; use "
                           "system, developer, user or assistant")
        content = m.content if isinstance(m.content, str) else "".join(
            str(p.get("text", "")) for p in m.content or () if p.get("type") == "text")
        if role == "assistant" and not content.strip():
            continue  # a tool-call turn with no text says nothing to read
        out.append({"role": role, "content": content})
    if not out or out[-1]["role"] != "user":
        raise ApiError(422, "last_message_not_user", "the last message must be the user's (role user)")
    if len(out) > eng.config.max_turns:
        raise ApiError(422, "too_many_turns", f"{len(out)} messages; the limit is {eng.config.max_turns} "
                       "(--max-turns)")
    check_texts([m["content"] for m in out], eng, "message", count=False)
    return out


def _session(responder: Any, messages: list[dict[str, str]]) -> Any:
    from emotive.respond import ChatSession

    return ChatSession.from_messages(responder, messages)


def extension(reply_or_guidance: Any, flagged: bool, backend: str | None, fallback: str | None) -> dict[str, Any]:
    """The ``emotive`` field: what emotive read and planned (the prompt itself left out)."""
    g = reply_or_guidance.to_dict()
    g.pop("messages", None)
    return {"flagged": flagged, "backend": backend, "fallback": fallback, **g}


def headers(reply: Any) -> dict[str, str]:
    """``x-emotive-*`` headers: flagged, backend, fallback, strategy, user and reply emotions."""
    g = reply.guidance
    out = {"x-emotive-flagged": str(reply.flagged).lower(), "x-emotive-backend": reply.backend,
           "x-emotive-fallback": str(reply.fallback is not None).lower()}
    return {**out, **guidance_headers(g)}


def guidance_headers(g: Any) -> dict[str, str]:
    out = {}
    if g.reading is not None:
        out["x-emotive-user-emotion"] = g.reading.emotion7
    if g.strategy is not None:
        out["x-emotive-strategy"] = g.strategy.strategy
    if g.reply_emotion is not None:
        out["x-emotive-reply-emotion"] = g.reply_emotion.emotion
    if g.safety is not None:
        out["x-emotive-safety"] = str(g.safety.category)
    return out


def completion(reply: Any, model: str, include: bool) -> dict[str, Any]:
    """The reply as an OpenAI ``chat.completion``."""
    usage = reply.metadata.get("usage")
    body: dict[str, Any] = {
        "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
        "model": model, "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.text},
                                     "finish_reason": reply.metadata.get("finish_reason") or "stop"}],
        "usage": usage if _is_usage(usage) else None}
    if include:
        body["emotive"] = extension(reply.guidance, reply.flagged, reply.backend, reply.fallback)
    return body


def _is_usage(value: Any) -> bool:
    keys = ("prompt_tokens", "completion_tokens", "total_tokens")
    return isinstance(value, dict) and all(isinstance(value.get(k), int) for k in keys)


def _outcome(reply: Any) -> str:
    return "flagged" if reply.flagged else ("fallback" if reply.fallback else "ok")


# -- streaming ------------------------------------------------------------------------------
async def _stream(eng: Engine, responder: Any, session: Any, model: str, include: bool) -> Any:
    """Guidance first; the first piece is awaited before the response starts, so an upstream
    that is down, slow or failing gets a proper error status instead of a broken stream."""
    stream = await awaited(responder.astream(session.conversation(), state=session.state, roles=session.roles))
    pieces = aiter(stream)
    first = await _next_piece(pieces, stream)
    chunk_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None, ext: dict[str, Any] | None = None) -> bytes:
        data = {"id": chunk_id, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        if ext is not None:
            data["emotive"] = ext
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()

    async def events() -> AsyncIterator[bytes]:
        try:
            ext = extension(stream.guidance, stream.guidance.safety is not None, None, None) if include else None
            yield chunk({"role": "assistant", "content": ""}, ext=ext)
            piece = first
            while piece is not _DONE:
                yield chunk({"content": piece})
                piece = await _next_piece(pieces, stream)
            eng.metrics.upstream.labels(_outcome(stream.reply) if stream.reply else "ok").inc()
            finish = (stream.reply.metadata.get("finish_reason") if stream.reply else None) or "stop"
            yield chunk({}, finish, _final(stream.reply) if include and stream.reply else None)
        except ApiError as exc:  # the upstream failed after the first piece: the text shown stays
            eng.metrics.upstream.labels("error").inc()
            yield f"data: {json.dumps(exc.body(openai=True))}\n\n".encode()
        finally:
            await stream.aclose()
        yield b"data: [DONE]\n\n"

    head = guidance_headers(stream.guidance) if include else {}
    if include:
        head["x-emotive-flagged"] = str(stream.guidance.safety is not None).lower()
    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no", **head})


def _final(reply: Any) -> dict[str, Any]:
    return {"flagged": reply.flagged, "backend": reply.backend, "fallback": reply.fallback,
            "emotion_choice": reply.emotion_choice}


async def _next_piece(pieces: Any, stream: Any) -> Any:
    """The next text piece, ``_DONE`` at the end; a failure closes the stream and is an ``ApiError``."""
    try:
        return await anext(pieces)
    except StopAsyncIteration:
        return _DONE
    except Exception as exc:
        await stream.aclose()
        raise as_api_error(exc) from None


async def awaited(call: Awaitable[_T]) -> _T:
    """An awaited library call, its errors in the one error shape."""
    try:
        return await call
    except Exception as exc:
        raise as_api_error(exc) from None
