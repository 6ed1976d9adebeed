"""ASGI layers around the app: metrics and a content-free log line, the request deadline
(408), API keys (401) and the body size limit (413). Each answers in the one error shape."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from emotive.server._http_errors import ApiError
from emotive.server._metrics import Metrics

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("emotive.server")
OPEN_PATHS = frozenset({"/healthz", "/readyz"})  # probes answer without a key
BODY_KEY = "emotive.body"
_LOGGED_BODY = 2000
LOG_LEVEL_ENV = "EMOTIVE_SERVER_LOG_LEVEL"


def setup_logging(level: str) -> None:
    """The ``emotive.server`` logger on stderr at ``level`` (once per process)."""
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s emotive %(levelname)s %(message)s"))
        log.addHandler(handler)
    log.setLevel(level.upper())
    log.propagate = False


async def send_error(send: Send, error: ApiError, path: str) -> None:
    response = error.response(path)
    await send({"type": "http.response.start", "status": response.status_code,
                "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


class Observe:
    """Count and time every request by route template (not raw path), log one line per
    request without its content (with ``log_content``: its body too)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, log_content: bool = False):
        self.app, self.metrics, self.log_content = app, metrics, log_content

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(route).observe(elapsed)
            self._log(scope, route, status, elapsed)

    def _log(self, scope: Scope, route: str, status: int, elapsed: float) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        line = f"{scope['method']} {route} {status} {elapsed * 1000:.1f} ms"
        if self.log_content and scope.get(BODY_KEY):
            line += " body=" + json.dumps(scope[BODY_KEY][:_LOGGED_BODY].decode("utf-8", "replace"))
        log.info(line)


class InFlight:
    """Count the requests on ``paths`` from arrival to the last byte (``counter.in_flight``),
    so the micro-batcher knows how many may still join a batch."""

    def __init__(self, app: ASGIApp, counter: Any, paths: frozenset[str]):
        self.app, self.counter, self.paths = app, counter, paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        self.counter.in_flight += 1  # the event loop's thread only: no lock needed
        try:
            await self.app(scope, receive, send)
        finally:
            self.counter.in_flight -= 1


class Deadline:
    """A request that has not started its response within ``seconds`` gets 408 (a stream
    that has started is bounded by the upstream's own timeout instead)."""

    def __init__(self, app: ASGIApp, seconds: float):
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, watch))
        done, _ = await asyncio.wait({task}, timeout=self.seconds)
        if task in done or started:
            await task
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        await send_error(send, ApiError(408, "request_timeout", f"the request took longer than {self.seconds:g} s "
                                        "(--request-timeout); send fewer or shorter texts, or raise the limit"),
                         scope["path"])


class ApiKeys:
    """With keys configured, every request but the probes needs one: ``Authorization:
    Bearer <key>`` or ``X-API-Key: <key>``, compared in constant time."""

    def __init__(self, app: ASGIApp, keys: tuple[str, ...]):
        self.app = app
        self.keys = [k.encode() for k in keys]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.keys or scope["path"] in OPEN_PATHS or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        given = _presented_key(scope)
        ok = False
        for key in self.keys:  # no early exit: the time does not tell which key matched
            ok |= given is not None and hmac.compare_digest(given, key)
        if not ok:
            what = "no API key" if given is None else "an unknown API key"
            await send_error(send, ApiError(401, "invalid_api_key", f"{what} was given; send Authorization: "
                                            "Bearer <key> (or X-API-Key) with a key from EMOTIVE_API_KEYS",
                                            {"WWW-Authenticate": "Bearer"}), scope["path"])
            return
        await self.app(scope, receive, send)


def _presented_key(scope: Scope) -> bytes | None:
    headers = dict(scope.get("headers") or [])
    auth = headers.get(b"authorization", b"")
    if auth[:7].lower() == b"bearer ":
        return auth[7:].strip()
    return headers.get(b"x-api-key")


class BodyLimit:
    """Read the body (at most ``limit`` bytes) before the app does; a larger one gets 413."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        too_big = ApiError(413, "body_too_large", f"the request body is over {self.limit} bytes "
                           "(--max-body-bytes); send fewer texts per request")
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await send_error(send, too_big, scope["path"])
            return
        body = await _read_body(receive, self.limit)
        if body is None:
            await send_error(send, too_big, scope["path"])
            return
        scope[BODY_KEY] = body
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # http.disconnect, when the client goes away

        await self.app(scope, replay, send)


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
