"""A backend for any OpenAI-compatible chat server: vLLM, Ollama, llama.cpp server, OpenAI.

It posts to ``{base_url}/chat/completions``, whole or streamed over server-sent events, in a
sync form (``OpenAIBackend``, on ``httpx.Client``) and a native async one (``async_form()``, on
``httpx.AsyncClient``); both share the options, the retries, the parsing and the errors below.

Limits: every read has a ``timeout``, the connection a ``connect_timeout``, and one request,
all its attempts and the waits between them, one total ``deadline``. Connection errors,
timeouts, HTTP 429 and 5xx are retried with exponential backoff while the deadline allows
(other 4xx never are). A reply, whole or streamed, larger than ``max_reply_bytes`` is cut off
at once. After ``breaker_failures`` failed calls in a row the backend fails fast
(``BackendUnavailableError``) for ``breaker_reset`` seconds, then lets one probe call through.

Every failure is a ``BackendError`` subclass (connect, timeout, status, protocol, unavailable)
saying what happened, the URL and the fix; the API key never appears in a message.

>>> backend = OpenAIBackend(base_url="http://localhost:8000/v1", model="qwen2.5-0.5b-instruct")
>>> backend.generate([{"role": "user", "content": "hi"}]).text  # doctest: +SKIP
'Hello! How can I help you today?'
"""

from __future__ import annotations

import asyncio
import email.utils
import itertools
import json
import os
import threading
import time
import urllib.parse
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import Field, field_validator

from emotive._errors import (
    BackendConnectError,
    BackendError,
    BackendProtocolError,
    BackendStatusError,
    BackendTimeoutError,
)
from emotive.backends._async import AsyncBackend, AsyncResultStream
from emotive.backends._base import Backend, BackendOptions, GenerateOptions, GenerateResult, Message, message_dicts
from emotive.backends._limits import CircuitBreaker, Deadline

if TYPE_CHECKING:
    import httpx

DEFAULT_BASE_URL = "http://localhost:8000/v1"
MAX_RETRY_AFTER = 10.0  # seconds; a longer Retry-After ends the retries at once
MAX_ERROR_BODY = 64 * 1024  # bytes of an error response read for its message
_SNIPPET = 200
_T = TypeVar("_T")


def default_base_url() -> str:
    """``EMOTIVE_OPENAI_BASE_URL``, else ``OPENAI_BASE_URL``, else a local vLLM's address.

    >>> default_base_url()  # doctest: +SKIP
    'http://localhost:8000/v1'
    """
    return os.environ.get("EMOTIVE_OPENAI_BASE_URL") or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL


class OpenAIOptions(BackendOptions):
    """Options of the OpenAI-compatible HTTP backend."""

    base_url: str = Field(default_factory=default_base_url, validate_default=True,
                          description="server address ending in /v1; default $EMOTIVE_OPENAI_BASE_URL, "
                                      f"else $OPENAI_BASE_URL, else {DEFAULT_BASE_URL}")
    model: str = Field("default", description="model name the server knows")
    api_key_env: str = Field("OPENAI_API_KEY", description="environment variable holding the API key; "
                                                           "no Authorization header when it is unset")
    timeout: float = Field(60.0, gt=0, description="seconds to wait for each read from the server")
    connect_timeout: float = Field(5.0, gt=0, description="seconds to wait for the connection")
    retries: int = Field(2, ge=0, description="retries on connection errors, timeouts, HTTP 429 and 5xx")
    backoff: float = Field(0.5, ge=0, description="seconds before the first retry, doubled each time")
    deadline: float = Field(120.0, gt=0, description="total seconds for one request, streamed or not: "
                                                     "every attempt and the waits between them")
    max_reply_bytes: int = Field(1024 * 1024, gt=0, description="largest reply accepted, whole or streamed "
                                                                "(bytes); a larger one is cut off at once")
    breaker_failures: int = Field(5, ge=0, description="failed calls in a row that open the circuit breaker "
                                                       "(calls then fail fast); 0 turns it off")
    breaker_reset: float = Field(30.0, gt=0, description="seconds the breaker stays open before one probe call")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http:// or https:// URL, e.g. {DEFAULT_BASE_URL}")
        return value.rstrip("/")


class _Retryable(Exception):
    """A failure worth another attempt; ``wait`` is the server's Retry-After, if any."""

    def __init__(self, error: BackendError, wait: float | None = None):
        super().__init__(str(error))
        self.error = error
        self.wait = wait


class OpenAIBackend(Backend):
    """Any OpenAI-compatible /chat/completions server (vLLM, Ollama, llama.cpp, OpenAI)."""

    name = "openai"
    can_stream = True
    needs_key = False  # local servers need none
    key_env_var = "OPENAI_API_KEY"
    Options = OpenAIOptions
    options: OpenAIOptions

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.url = f"{self.options.base_url}/chat/completions"
        self.where = _without_userinfo(self.url)
        self.breaker = CircuitBreaker(self.options.breaker_failures, self.options.breaker_reset)
        self._client: httpx.Client | None = None
        self._async: AsyncOpenAIBackend | None = None
        self._lock = threading.Lock()

    def generate(self, messages: Sequence[Message], options: GenerateOptions | None = None) -> GenerateResult:
        """The reply's ``choices[0].message.content``; metadata: the server's ``model``,
        ``finish_reason`` and ``usage`` (when it sends them).

        >>> OpenAIBackend().generate([{"role": "user", "content": "hi"}]).text  # doctest: +SKIP
        'Hello! How can I help you today?'
        """
        body = self._body(messages, options, stream=False)
        deadline = Deadline(self.options.deadline)
        with self._call():
            return self._result(self._retrying(lambda: self._fetch(body, deadline), deadline))

    def stream(self, messages: Sequence[Message],
               options: GenerateOptions | None = None) -> Generator[str, None, GenerateResult]:
        """The reply's ``delta.content`` pieces as they arrive, returning the whole result
        (metadata as :meth:`generate`'s); a stream cut short raises ``BackendProtocolError``.

        >>> "".join(OpenAIBackend().stream([{"role": "user", "content": "hi"}]))  # doctest: +SKIP
        'Hello! How can I help you today?'
        """
        import httpx

        body = self._body(messages, options, stream=True)
        deadline = Deadline(self.options.deadline)
        with self._call():
            response = self._retrying(lambda: self._open(body, deadline), deadline)
            reader = _StreamReader(self, deadline)
            try:
                for chunk in response.iter_bytes():
                    yield from reader.feed(chunk)
                    if reader.done:
                        break
            except httpx.TransportError as exc:
                raise reader.transport_error(exc) from exc
            finally:
                response.close()
            return reader.end()

    def async_form(self) -> AsyncOpenAIBackend:
        """The native async form (``httpx.AsyncClient``), one per backend: the same options,
        retries, errors and circuit breaker.

        >>> form = OpenAIBackend().async_form()
        >>> form.name, form is OpenAIBackend().async_form(), form.backend.async_form() is form
        ('openai', False, True)
        """
        with self._lock:
            if self._async is None:
                self._async = AsyncOpenAIBackend(self)
            return self._async

    def close(self) -> None:
        """Close the pooled connections; the backend reconnects if used again."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def __getstate__(self) -> dict[str, Any]:
        """A backend pickles as its options (for Ray and process pools); connections, the async
        form and the breaker's state are made again on the other side."""
        return {"options": self.options.model_dump()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state["options"])  # type: ignore[misc]

    def __enter__(self) -> OpenAIBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one attempt (sync) -------------------------------------------------------------

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                import httpx

                self._client = httpx.Client(**self._client_settings())
            return self._client

    def _retrying(self, call: Callable[[], _T], deadline: Deadline) -> _T:
        for attempt in itertools.count():
            try:
                return call()
            except _Retryable as exc:
                time.sleep(self._retry_wait(exc, attempt, deadline))
        raise AssertionError("unreachable")

    def _open(self, body: dict[str, Any], deadline: Deadline) -> httpx.Response:
        """Send ``body``; the response is open and its status is 2xx."""
        import httpx

        client = self._http()
        request = client.build_request("POST", self.url, json=body, headers=self._headers(body["stream"]),
                                       timeout=self._timeout(deadline))
        try:
            response = client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise _Retryable(self._transport_error(exc, deadline)) from exc
        if response.is_success:
            return response
        raw = b""
        try:
            for chunk in response.iter_bytes():
                raw += chunk
                if len(raw) >= MAX_ERROR_BODY:
                    break
        except httpx.TransportError:
            pass
        finally:
            response.close()
        raise self._status_error(response.status_code, raw, response.headers.get("Retry-After"))

    def _fetch(self, body: dict[str, Any], deadline: Deadline) -> bytes:
        """The whole body of a successful response, within the deadline and the size limit."""
        import httpx

        response = self._open(body, deadline)
        reader = _BodyReader(self, response, deadline)
        try:
            for chunk in response.iter_bytes():
                reader.add(chunk)
        except httpx.TransportError as exc:
            raise _Retryable(self._transport_error(exc, deadline)) from exc
        finally:
            response.close()
        return reader.body()

    # -- shared by both forms ----------------------------------------------------------

    def _body(self, messages: Sequence[Message], options: GenerateOptions | None, stream: bool) -> dict[str, Any]:
        gen = options or GenerateOptions()
        body: dict[str, Any] = {"model": self.options.model, "messages": message_dicts(messages),
                                "max_tokens": gen.max_tokens, "temperature": gen.temperature}
        body.update(gen.extra)
        body["stream"] = stream
        return body

    def _headers(self, stream: bool) -> dict[str, str]:
        headers = {"Accept": "text/event-stream" if stream else "application/json"}
        key = os.environ.get(self.options.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _client_settings(self) -> dict[str, Any]:
        import httpx

        from emotive import __version__

        timeout = httpx.Timeout(self.options.timeout, connect=self.options.connect_timeout)
        return {"timeout": timeout, "headers": {"User-Agent": f"emotive/{__version__}"}}

    def _timeout(self, deadline: Deadline) -> httpx.Timeout:
        """This attempt's timeouts: the options', shortened to what the deadline leaves."""
        import httpx

        left = deadline.left()
        if left <= 0:
            raise BackendTimeoutError(self._deadline_message("before an attempt could start"))
        return httpx.Timeout(min(self.options.timeout, left), connect=min(self.options.connect_timeout, left))

    def _retry_wait(self, exc: _Retryable, attempt: int, deadline: Deadline) -> float:
        """The seconds to wait before the next attempt; raises the error when none is left."""
        wait = exc.wait if exc.wait is not None else self.options.backoff * 2 ** attempt
        left = deadline.left()
        if attempt < self.options.retries and wait < left:
            return wait
        tried = "once" if attempt == 0 else f"{attempt + 1} times"
        note = f" (tried {tried})" if attempt > 0 else ""
        if attempt < self.options.retries and left > 0.05:
            note = f" (tried {tried}; the deadline of {self.options.deadline} s leaves no time to retry)"
        exc.error.args = (f"{exc.error}{note}",)
        raise exc.error from exc.__cause__

    def _result(self, raw: bytes) -> GenerateResult:
        data = _parse_json(raw, self.where)
        text = _reply_text(data, self.where)
        return GenerateResult(text, _metadata(data, data["choices"][0].get("finish_reason")))

    @contextmanager
    def _call(self) -> Iterator[None]:
        """One call, sync or async: through the circuit breaker, its error messages without the API key."""
        with self.breaker.guard(self.where):
            try:
                yield
            except BackendError as exc:
                exc.args = (self._scrub(str(exc)), *exc.args[1:])
                raise

    def _scrub(self, text: str) -> str:
        """``text`` with the API key, if it appears, masked."""
        key = os.environ.get(self.options.api_key_env)
        return text.replace(key, "***") if key and len(key) >= 4 else text

    # -- messages ----------------------------------------------------------------------

    def _deadline_message(self, how: str) -> str:
        return (f"request to {self.where} passed its deadline of {self.options.deadline} s {how}; "
                "the server is slow or overloaded; raise deadline or check the server's load")

    def _transport_error(self, exc: httpx.TransportError, deadline: Deadline) -> BackendError:
        import httpx

        where = "set base_url or EMOTIVE_OPENAI_BASE_URL"
        if isinstance(exc, httpx.TimeoutException) and deadline.left() <= 0.05:
            return BackendTimeoutError(self._deadline_message(f"waiting for the server ({type(exc).__name__})"))
        if isinstance(exc, httpx.ConnectTimeout):
            return BackendConnectError(f"cannot connect to {self.where} within {self.options.connect_timeout} s; "
                                       f"is the server running and reachable? {where}")
        if isinstance(exc, httpx.ConnectError):
            return BackendConnectError(f"cannot connect to {self.where} ({exc}); is the server running? {where}")
        if isinstance(exc, httpx.TimeoutException):
            return BackendTimeoutError(f"{self.where} did not answer within {self.options.timeout} s "
                                       f"({type(exc).__name__}); the server may be overloaded or the model slow; "
                                       "raise timeout")
        kind = BackendProtocolError if isinstance(exc, httpx.ProtocolError) else BackendConnectError
        return kind(f"connection to {self.where} failed ({type(exc).__name__}: {exc}); "
                    f"is base_url an OpenAI-compatible server? {where}")

    def _status_error(self, status: int, raw: bytes, retry_after: str | None) -> Exception:
        message = f"{self.where} answered HTTP {status}: {_server_message(raw)}; {self._fix(status)}"
        if status != 429 and status < 500:
            return BackendStatusError(message, status=status)
        wait = _retry_after(retry_after)
        if wait is not None and wait > MAX_RETRY_AFTER:
            return BackendStatusError(f"{message} (the server asks to retry after {wait:.0f} s)", status=status)
        return _Retryable(BackendStatusError(message, status=status), wait)

    def _fix(self, status: int) -> str:
        env = self.options.api_key_env
        if status in (401, 403):
            return f"check the API key in ${env}" if os.environ.get(env) else f"set ${env} to your API key"
        if status == 404:
            return "check base_url (it usually ends in /v1) and model"
        if status == 429:
            return "the server is rate limiting; wait and try again"
        if status >= 500:
            return "the server failed; see its log"
        return "the server rejected the request; check model, messages and options"


class AsyncOpenAIBackend(AsyncBackend):
    """The native async form of :class:`OpenAIBackend` on ``httpx.AsyncClient``: the same
    options, retries, limits, parsing and errors, and the same circuit breaker.

    >>> import asyncio
    >>> form = OpenAIBackend(base_url="http://localhost:8000/v1").async_form()
    >>> asyncio.run(form.generate([{"role": "user", "content": "hi"}])).text  # doctest: +SKIP
    'Hello! How can I help you today?'
    """

    backend: OpenAIBackend

    def __init__(self, backend: OpenAIBackend):
        super().__init__(backend)
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary())
        self._lock = threading.Lock()

    async def generate(self, messages: Sequence[Message], options: GenerateOptions | None = None) -> GenerateResult:
        b = self.backend
        body = b._body(messages, options, stream=False)
        deadline = Deadline(b.options.deadline)
        with b._call():
            raw = await _within(deadline, self._retrying(lambda: self._fetch(body, deadline), deadline), b,
                                "waiting for the reply")
            return b._result(raw)

    def stream(self, messages: Sequence[Message], options: GenerateOptions | None = None) -> AsyncResultStream:
        return AsyncResultStream(self._pieces(messages, options))

    async def aclose(self) -> None:
        """Close the running event loop's pooled connections; the form reconnects if used again."""
        with self._lock:
            client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()

    async def _pieces(self, messages: Sequence[Message],
                      options: GenerateOptions | None) -> AsyncIterator[str | GenerateResult]:
        import httpx

        b = self.backend
        body = b._body(messages, options, stream=True)
        deadline = Deadline(b.options.deadline)
        with b._call():
            response = await _within(deadline, self._retrying(lambda: self._open(body, deadline), deadline), b,
                                     "waiting for the stream to start")
            reader = _StreamReader(b, deadline)
            chunks = response.aiter_bytes()
            try:
                while (chunk := await _within(deadline, anext(chunks, None), b, "mid-stream")) is not None:
                    for piece in reader.feed(chunk):
                        yield piece
                    if reader.done:
                        break
            except httpx.TransportError as exc:
                raise reader.transport_error(exc) from exc
            finally:
                await chunks.aclose()  # type: ignore[attr-defined]
                await response.aclose()
            yield reader.end()

    def _http(self) -> httpx.AsyncClient:
        """The running event loop's client: connections cannot move between loops, and threads
        may each run their own loop; a closed loop's client goes with it."""
        loop = asyncio.get_running_loop()
        with self._lock:
            client = self._clients.get(loop)
            if client is None:
                import httpx

                client = self._clients[loop] = httpx.AsyncClient(**self.backend._client_settings())
            return client

    async def _retrying(self, call: Callable[[], Awaitable[_T]], deadline: Deadline) -> _T:
        for attempt in itertools.count():
            try:
                return await call()
            except _Retryable as exc:
                await asyncio.sleep(self.backend._retry_wait(exc, attempt, deadline))
        raise AssertionError("unreachable")

    async def _open(self, body: dict[str, Any], deadline: Deadline) -> httpx.Response:
        import httpx

        b, client = self.backend, self._http()
        request = client.build_request("POST", b.url, json=body, headers=b._headers(body["stream"]),
                                       timeout=b._timeout(deadline))
        try:
            response = await client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise _Retryable(b._transport_error(exc, deadline)) from exc
        if response.is_success:
            return response
        raw = b""
        try:
            async for chunk in response.aiter_bytes():
                raw += chunk
                if len(raw) >= MAX_ERROR_BODY:
                    break
        except httpx.TransportError:
            pass
        finally:
            await response.aclose()
        raise b._status_error(response.status_code, raw, response.headers.get("Retry-After"))

    async def _fetch(self, body: dict[str, Any], deadline: Deadline) -> bytes:
        import httpx

        response = await self._open(body, deadline)
        reader = _BodyReader(self.backend, response, deadline)
        try:
            async for chunk in response.aiter_bytes():
                reader.add(chunk)
        except httpx.TransportError as exc:
            raise _Retryable(self.backend._transport_error(exc, deadline)) from exc
        finally:
            await response.aclose()
        return reader.body()


async def _within(deadline: Deadline, step: Awaitable[_T], backend: OpenAIBackend, how: str) -> _T:
    """``step``, given up when the deadline passes: the async form holds the deadline exactly,
    even against a server that stalls mid-reply (the sync form: within one read timeout more)."""
    try:
        async with asyncio.timeout(max(deadline.left(), 0.0)):
            return await step
    except TimeoutError as exc:
        raise BackendTimeoutError(backend._deadline_message(how)) from exc


# -- reading a reply: shared by both forms ---------------------------------------------


class _BodyReader:
    """A whole reply's bytes, checked against ``max_reply_bytes`` (its Content-Length first)
    and the deadline as they arrive."""

    def __init__(self, backend: OpenAIBackend, response: httpx.Response, deadline: Deadline):
        self.backend, self.deadline = backend, deadline
        self.limit = backend.options.max_reply_bytes
        self.parts: list[bytes] = []
        self.size = 0
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > self.limit:
            raise BackendProtocolError(_too_big(backend, f"announces {int(length)} bytes"))

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise BackendProtocolError(_too_big(self.backend, f"passed {self.limit} bytes"))
        self.parts.append(chunk)
        if self.deadline.passed():
            raise BackendTimeoutError(self.backend._deadline_message(f"after {self.size} bytes of the reply"))

    def body(self) -> bytes:
        return b"".join(self.parts)


class _StreamReader:
    """A server-sent event stream, chunk by chunk: ``feed`` yields the text pieces, ``end``
    the result; the size limit, the deadline and a stream cut short are checked here."""

    def __init__(self, backend: OpenAIBackend, deadline: Deadline):
        self.backend, self.deadline = backend, deadline
        self.where = backend.where
        self.buffer = b""
        self.size = self.chars = 0
        self.finished: str | None = None
        self.done = False
        self.last: Any = {}

    def feed(self, chunk: bytes) -> Iterator[str]:
        self.size += len(chunk)
        if self.size > self.backend.options.max_reply_bytes:
            raise BackendProtocolError(_too_big(self.backend, f"stream passed {self.backend.options.max_reply_bytes} "
                                                              f"bytes after {self.chars} characters"))
        if self.deadline.passed():
            raise BackendTimeoutError(self.backend._deadline_message(f"after {self.chars} characters"))
        *lines, self.buffer = (self.buffer + chunk).split(b"\n")
        for line in lines:
            piece = self._line(line)
            if piece:
                self.chars += len(piece)
                yield piece
            if self.done:
                return

    def end(self) -> GenerateResult:
        if not self.done and self.buffer:
            self._line(self.buffer)  # a last line without its newline
        if not (self.done or self.finished):
            raise BackendProtocolError(self.cut_off("the connection closed"))
        return GenerateResult("", _metadata(self.last, self.finished))

    def transport_error(self, exc: httpx.TransportError) -> BackendError:
        import httpx

        if isinstance(exc, httpx.TimeoutException) and self.deadline.left() <= 0.05:
            return BackendTimeoutError(self.backend._deadline_message(f"after {self.chars} characters of the stream"))
        if isinstance(exc, httpx.TimeoutException):
            return BackendTimeoutError(
                f"stream from {self.where} stalled: nothing for {self.backend.options.timeout} s after "
                f"{self.chars} characters; the server may be overloaded; raise timeout")
        return BackendProtocolError(self.cut_off(f"{type(exc).__name__}: {exc}"))

    def cut_off(self, how: str) -> str:
        return (f"stream cut off after {self.chars} characters from {self.where}: {how} with no data: [DONE] and "
                "no finish_reason; the server may have crashed or a proxy closed the connection; try again")

    def _line(self, raw: bytes) -> str:
        line = raw.decode("utf-8", "replace").rstrip("\r")
        if not line.startswith("data:"):
            return ""
        data = line[5:].strip()
        if data == "[DONE]":
            self.done = True
            return ""
        self.last = _parse_json(data, self.where)
        piece, finish = _delta(self.last, self.where)
        self.finished = self.finished or finish
        return piece


def _too_big(backend: OpenAIBackend, how: str) -> str:
    return (f"reply from {backend.where} {how}, over max_reply_bytes={backend.options.max_reply_bytes}; it was "
            "cut off; lower max_tokens or raise max_reply_bytes")


def _without_userinfo(url: str) -> str:
    """``url`` without a ``user:password@`` part, for messages.

    >>> _without_userinfo("https://me:secret@llm.example/v1/chat/completions")
    'https://llm.example/v1/chat/completions'
    """
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _metadata(data: Any, finish_reason: Any) -> dict[str, Any]:
    """What a reply says about itself: the model, the finish reason, the token usage."""
    data = data if isinstance(data, dict) else {}
    out = {"model": data.get("model"), "finish_reason": finish_reason, "usage": data.get("usage")}
    return {k: v for k, v in out.items() if v is not None}


def _delta(chunk: Any, url: str) -> tuple[str, str | None]:
    """The text of one stream chunk and its finish_reason (None when it has none)."""
    if isinstance(chunk, dict) and "error" in chunk:
        raise BackendProtocolError(f"{url} sent an error mid-stream: {_error_text(chunk)}; the server failed while "
                                   "answering; see its log or try again")
    choices = chunk.get("choices") if isinstance(chunk, dict) else None
    if not isinstance(choices, list):
        raise BackendProtocolError(f"{url} sent a stream chunk without choices: {_snippet(chunk)}; "
                                   "is base_url an OpenAI-compatible chat endpoint?")
    if not choices:  # e.g. the usage chunk of stream_options.include_usage
        return "", None
    choice = choices[0] if isinstance(choices[0], dict) else {}
    delta = choice.get("delta")
    content = delta.get("content") if isinstance(delta, dict) else None
    if content is not None and not isinstance(content, str):
        raise BackendProtocolError(f"{url} sent a stream chunk whose delta.content is not text: {_snippet(chunk)}; "
                                   "is base_url an OpenAI-compatible chat endpoint?")
    finish = choice.get("finish_reason")
    return content or "", None if finish is None else str(finish)


def _reply_text(data: Any, url: str) -> str:
    try:
        choice = data["choices"][0]
        content = choice["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        if isinstance(data, dict) and "error" in data:
            raise BackendProtocolError(f"{url} answered with an error: {_error_text(data)}; the server failed; "
                                       "see its log or try again") from exc
        raise BackendProtocolError(f"{url} answered without choices[0].message.content: {_snippet(data)}; "
                                   "is base_url an OpenAI-compatible chat endpoint?") from exc
    if not isinstance(content, str):
        raise BackendProtocolError(f"{url} answered with no text (content {content!r}, finish_reason "
                                   f"{choice.get('finish_reason')!r}); check the model and max_tokens")
    return content


def _parse_json(raw: bytes | str, url: str) -> Any:
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        raise BackendProtocolError(f"{url} answered with malformed JSON ({exc}): {text[:_SNIPPET]!r}; "
                                   "is base_url an OpenAI-compatible endpoint (it usually ends in /v1)?") from exc


def _server_message(raw: bytes) -> str:
    """The error text of a response body: OpenAI's ``{"error": {"message"}}`` and kin, else the text."""
    text = raw.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = None
    if isinstance(data, dict) and ({"error", "detail", "message"} & data.keys()):
        return _error_text(data)
    return text[:_SNIPPET] or "(empty body)"


def _error_text(data: dict[str, Any]) -> str:
    error = data.get("error", data.get("detail", data.get("message")))
    if isinstance(error, dict):
        error = error.get("message", error)
    return str(error)[:_SNIPPET * 2]


def _snippet(data: Any) -> str:
    return json.dumps(data)[:_SNIPPET]


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
