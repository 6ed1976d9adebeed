"""A backend for any OpenAI-compatible chat server: vLLM, Ollama, llama.cpp server, OpenAI.

It posts to ``{base_url}/chat/completions``, whole or streamed over server-sent events.
Every request has a connect and a read timeout, and a streamed or whole reply a total
``deadline``; connection errors, timeouts, HTTP 429 and 5xx are retried with exponential
backoff (other 4xx never are). Every failure is a ``BackendError`` saying what happened,
the URL and the fix.

>>> backend = OpenAIBackend(base_url="http://localhost:8000/v1", model="qwen2.5-0.5b-instruct")
>>> backend.generate([{"role": "user", "content": "hi"}]).text  # doctest: +SKIP
'Hello! How can I help you today?'
"""

from __future__ import annotations

import email.utils
import json
import os
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import Field, field_validator

from emotive._errors import BackendError
from emotive.backends._base import Backend, BackendOptions, GenerateOptions, GenerateResult, Message, message_dicts

if TYPE_CHECKING:
    import httpx

DEFAULT_BASE_URL = "http://localhost:8000/v1"
MAX_RETRY_AFTER = 10.0  # seconds; a longer Retry-After ends the retries at once
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
    deadline: float = Field(300.0, gt=0, description="total seconds for one reply, streamed or not (per attempt)")

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


class _DeadlinePassed(Exception):
    pass


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
        self._client: httpx.Client | None = None

    def generate(self, messages: Sequence[Message], options: GenerateOptions | None = None) -> GenerateResult:
        """The reply's ``choices[0].message.content``; metadata: the server's ``model``,
        ``finish_reason`` and ``usage`` (when it sends them).

        >>> OpenAIBackend().generate([{"role": "user", "content": "hi"}]).text  # doctest: +SKIP
        'Hello! How can I help you today?'
        """
        body = self._body(messages, options, stream=False)
        raw = self._retrying(lambda: self._fetch(body))
        data = _parse_json(raw, self.url)
        text = _reply_text(data, self.url)
        return GenerateResult(text, _metadata(data, data["choices"][0].get("finish_reason")))

    def stream(self, messages: Sequence[Message],
               options: GenerateOptions | None = None) -> Generator[str, None, GenerateResult]:
        """The reply's ``delta.content`` pieces as they arrive, returning the whole result
        (metadata as :meth:`generate`'s); a stream cut short raises ``BackendError``.

        >>> "".join(OpenAIBackend().stream([{"role": "user", "content": "hi"}]))  # doctest: +SKIP
        'Hello! How can I help you today?'
        """
        body = self._body(messages, options, stream=True)
        started = time.monotonic()
        response = self._retrying(lambda: self._open(body))
        try:
            return (yield from self._pieces(response, started))
        finally:
            response.close()

    def close(self) -> None:
        """Close the pooled connections; the backend reconnects if used again."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> OpenAIBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- request -----------------------------------------------------------------------

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

    def _http(self) -> httpx.Client:
        if self._client is None:
            import httpx

            from emotive import __version__

            timeout = httpx.Timeout(self.options.timeout, connect=self.options.connect_timeout)
            self._client = httpx.Client(timeout=timeout, headers={"User-Agent": f"emotive/{__version__}"})
        return self._client

    def _retrying(self, call: Callable[[], _T]) -> _T:
        attempts = self.options.retries + 1
        for attempt in range(attempts):
            try:
                return call()
            except _Retryable as exc:
                if attempt + 1 == attempts:
                    tried = f" (tried {attempts} times)" if attempts > 1 else ""
                    raise BackendError(f"{exc.error}{tried}") from exc.__cause__
                time.sleep(exc.wait if exc.wait is not None else self.options.backoff * 2 ** attempt)
        raise AssertionError("unreachable")

    def _open(self, body: dict[str, Any]) -> httpx.Response:
        """Send ``body``; the response is open and its status is 2xx."""
        import httpx

        client = self._http()
        request = client.build_request("POST", self.url, json=body, headers=self._headers(body["stream"]))
        try:
            response = client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise _Retryable(self._transport_error(exc)) from exc
        if response.is_success:
            return response
        try:
            raw = response.read()
        except httpx.TransportError:
            raw = b""
        finally:
            response.close()
        raise self._status_error(response.status_code, raw, response.headers.get("Retry-After"))

    def _fetch(self, body: dict[str, Any]) -> bytes:
        """The whole body of a successful response, read within the deadline."""
        import httpx

        started = time.monotonic()
        response = self._open(body)
        parts = []
        try:
            for chunk in response.iter_bytes():
                parts.append(chunk)
                if time.monotonic() - started > self.options.deadline:
                    raise BackendError(self._deadline_message(sum(map(len, parts)), "bytes"))
        except httpx.TransportError as exc:
            raise _Retryable(self._transport_error(exc)) from exc
        finally:
            response.close()
        return b"".join(parts)

    # -- streaming ---------------------------------------------------------------------

    def _pieces(self, response: httpx.Response, started: float) -> Generator[str, None, GenerateResult]:
        import httpx

        chars, finished, last = 0, None, {}  # type: tuple[int, str | None, Any]
        try:
            for data in _sse_data(response, started + self.options.deadline):
                if data == "[DONE]":
                    return GenerateResult("", _metadata(last, finished))
                last = _parse_json(data, self.url)
                piece, finish = _delta(last, self.url)
                finished = finished or finish
                if piece:
                    chars += len(piece)
                    yield piece
        except _DeadlinePassed:
            raise BackendError(self._deadline_message(chars, "characters")) from None
        except httpx.TimeoutException as exc:
            raise BackendError(f"stream from {self.url} stalled: nothing for {self.options.timeout} s after "
                               f"{chars} characters; the server may be overloaded; raise timeout") from exc
        except httpx.TransportError as exc:
            raise BackendError(self._cut_off_message(chars, f"{type(exc).__name__}: {exc}")) from exc
        if not finished:
            raise BackendError(self._cut_off_message(chars, "the connection closed"))
        return GenerateResult("", _metadata(last, finished))

    # -- messages ----------------------------------------------------------------------

    def _cut_off_message(self, chars: int, how: str) -> str:
        return (f"stream cut off after {chars} characters from {self.url}: {how} with no data: [DONE] and no "
                "finish_reason; the server may have crashed or a proxy closed the connection; try again")

    def _deadline_message(self, amount: int, unit: str) -> str:
        return (f"reply from {self.url} passed its deadline of {self.options.deadline} s after {amount} {unit}; "
                "the server is sending too slowly; raise deadline or check the server's load")

    def _transport_error(self, exc: httpx.TransportError) -> BackendError:
        import httpx

        where = "set base_url or EMOTIVE_OPENAI_BASE_URL"
        if isinstance(exc, httpx.ConnectTimeout):
            return BackendError(f"cannot connect to {self.url} within {self.options.connect_timeout} s; "
                                f"is the server running and reachable? {where}")
        if isinstance(exc, httpx.ConnectError):
            return BackendError(f"cannot connect to {self.url} ({exc}); is the server running? {where}")
        if isinstance(exc, httpx.TimeoutException):
            return BackendError(f"{self.url} did not answer within {self.options.timeout} s ({type(exc).__name__}); "
                                "the server may be overloaded or the model slow; raise timeout")
        return BackendError(f"connection to {self.url} failed ({type(exc).__name__}: {exc}); "
                            f"is base_url an OpenAI-compatible server? {where}")

    def _status_error(self, status: int, raw: bytes, retry_after: str | None) -> Exception:
        message = f"{self.url} answered HTTP {status}: {_server_message(raw)}; {self._fix(status)}"
        if status != 429 and status < 500:
            return BackendError(message)
        wait = _retry_after(retry_after)
        if wait is not None and wait > MAX_RETRY_AFTER:
            return BackendError(f"{message} (the server asks to retry after {wait:.0f} s)")
        return _Retryable(BackendError(message), wait)

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


def _sse_data(response: httpx.Response, deadline: float) -> Iterator[str]:
    """The payload of each ``data:`` line of a server-sent event stream."""
    buffer = ""
    for chunk in response.iter_text():
        if time.monotonic() > deadline:
            raise _DeadlinePassed
        buffer += chunk
        *lines, buffer = buffer.split("\n")
        for line in lines:
            if line.startswith("data:"):
                yield line[5:].strip()
    if buffer.startswith("data:"):
        yield buffer[5:].strip()


def _metadata(data: Any, finish_reason: Any) -> dict[str, Any]:
    """What a reply says about itself: the model, the finish reason, the token usage."""
    data = data if isinstance(data, dict) else {}
    out = {"model": data.get("model"), "finish_reason": finish_reason, "usage": data.get("usage")}
    return {k: v for k, v in out.items() if v is not None}


def _delta(chunk: Any, url: str) -> tuple[str, str | None]:
    """The text of one stream chunk and its finish_reason (None when it has none)."""
    if isinstance(chunk, dict) and "error" in chunk:
        raise BackendError(f"{url} sent an error mid-stream: {_error_text(chunk)}")
    choices = chunk.get("choices") if isinstance(chunk, dict) else None
    if not isinstance(choices, list):
        raise BackendError(f"{url} sent a stream chunk without choices: {_snippet(chunk)}; "
                           "is base_url an OpenAI-compatible chat endpoint?")
    if not choices:  # e.g. the usage chunk of stream_options.include_usage
        return "", None
    choice = choices[0] if isinstance(choices[0], dict) else {}
    delta = choice.get("delta")
    content = delta.get("content") if isinstance(delta, dict) else None
    if content is not None and not isinstance(content, str):
        raise BackendError(f"{url} sent a stream chunk whose delta.content is not text: {_snippet(chunk)}")
    finish = choice.get("finish_reason")
    return content or "", None if finish is None else str(finish)


def _reply_text(data: Any, url: str) -> str:
    try:
        choice = data["choices"][0]
        content = choice["message"]["content"]
    except (KeyError, IndexError, TypeError):
        if isinstance(data, dict) and "error" in data:
            raise BackendError(f"{url} answered with an error: {_error_text(data)}") from None
        raise BackendError(f"{url} answered without choices[0].message.content: {_snippet(data)}; "
                           "is base_url an OpenAI-compatible chat endpoint?") from None
    if not isinstance(content, str):
        raise BackendError(f"{url} answered with no text (content {content!r}, finish_reason "
                           f"{choice.get('finish_reason')!r}); check the model and max_tokens")
    return content


def _parse_json(raw: bytes | str, url: str) -> Any:
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        raise BackendError(f"{url} answered with malformed JSON ({exc}): {text[:_SNIPPET]!r}; "
                           "is base_url an OpenAI-compatible endpoint (it usually ends in /v1)?") from None


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
