"""The OpenAI-compatible backend's upstream limits and error types, sync and async, against a
real HTTP server on loopback: one total deadline, the circuit breaker, the reply size limit."""

from __future__ import annotations

import asyncio
import json
import pickle
import threading
import time

import pytest

from emotive import (
    BackendConnectError,
    BackendError,
    BackendProtocolError,
    BackendStatusError,
    BackendTimeoutError,
    BackendUnavailableError,
)
from emotive.backends.openai_http import OpenAIBackend

HI = [{"role": "user", "content": "I feel sad today."}]
MB = 1024 * 1024


def backend(url: str, **options: object) -> OpenAIBackend:
    settings: dict[str, object] = {"base_url": url, "model": "tiny", "timeout": 0.3, "connect_timeout": 0.3,
                                   "backoff": 0.01}
    settings.update(options)
    return OpenAIBackend(**settings)


def both(client: OpenAIBackend, stream: bool = False) -> list[type[BaseException] | str]:
    """The outcome of the same call through the sync and the async form: the error type or the text."""
    def sync() -> str:
        return "".join(client.stream(HI)) if stream else client.generate(HI).text

    async def run_async() -> str:
        form = client.async_form()
        if stream:
            return "".join([piece async for piece in form.stream(HI)])
        return (await form.generate(HI)).text

    out: list[type[BaseException] | str] = []
    for call in (sync, lambda: asyncio.run(run_async())):
        try:
            out.append(call())
        except BackendError as exc:
            out.append(type(exc))
    return out


def hang(seconds: float = 6.0):  # noqa: ANN201
    return lambda handler, body: time.sleep(seconds)


# -- error types -----------------------------------------------------------------------


def test_upstream_down_is_a_connect_error(closed_port) -> None:
    client = backend(f"http://127.0.0.1:{closed_port}/v1", retries=1)
    assert both(client) == [BackendConnectError, BackendConnectError]
    assert both(client, stream=True) == [BackendConnectError, BackendConnectError]
    with pytest.raises(BackendConnectError, match="cannot connect to http://127.0.0.1"):
        client.generate(HI)


def test_500_is_a_status_error_after_the_retries(loopback, do) -> None:
    loopback.script(do.json_body(500, {"error": {"message": "boom"}}))
    client = backend(loopback.url, retries=2)
    with pytest.raises(BackendStatusError, match="tried 3 times") as info:
        client.generate(HI)
    assert info.value.status == 500 and "HTTP 500: boom" in str(info.value)
    assert len(loopback.requests) == 3
    assert both(client, stream=True) == [BackendStatusError, BackendStatusError]
    assert len(loopback.requests) == 9  # each form retried twice too


def test_a_4xx_is_a_status_error_without_retries(loopback, do) -> None:
    loopback.script(do.json_body(404, {"error": {"message": "no such model"}}))
    client = backend(loopback.url, retries=3)
    assert both(client) == [BackendStatusError, BackendStatusError]
    assert len(loopback.requests) == 2


def test_malformed_json_and_a_cut_stream_are_protocol_errors(loopback, do) -> None:
    loopback.script(do.raw_body(200, b"{not json"))
    client = backend(loopback.url, breaker_failures=0)
    assert both(client) == [BackendProtocolError, BackendProtocolError]
    with pytest.raises(BackendProtocolError) as info:
        client.generate(HI)
    assert isinstance(info.value.__cause__, json.JSONDecodeError)  # the cause is kept
    loopback.script(do.sse(["That ", "sou"], finish=False, done=False))
    assert both(client, stream=True) == [BackendProtocolError, BackendProtocolError]
    loopback.script(do.sse_truncated(["abc"]))
    assert both(client, stream=True) == [BackendProtocolError, BackendProtocolError]


def test_a_slow_server_is_a_timeout_error(loopback, do) -> None:
    loopback.script(do.slow(1.0, do.reply("late")))
    assert both(backend(loopback.url, retries=0)) == [BackendTimeoutError, BackendTimeoutError]


def test_the_api_key_never_appears_in_a_message(loopback, do, monkeypatch) -> None:
    monkeypatch.setenv("EMOTIVE_TEST_KEY", "sk-very-secret-1234")
    loopback.script(do.json_body(401, {"error": {"message": "bad key sk-very-secret-1234 for this org"}}))
    with pytest.raises(BackendStatusError) as info:
        backend(loopback.url, api_key_env="EMOTIVE_TEST_KEY").generate(HI)
    assert loopback.requests[0].headers["authorization"] == "Bearer sk-very-secret-1234"
    assert "sk-very-secret-1234" not in str(info.value) and "bad key *** for this org" in str(info.value)
    client = backend(loopback.url.replace("127.0.0.1", "me:pw@127.0.0.1"))
    with pytest.raises(BackendStatusError) as info:
        client.generate(HI)
    assert "pw@" not in str(info.value) and f"{loopback.url}/chat/completions" in str(info.value)


def test_errors_pickle_with_their_attributes() -> None:
    status = pickle.loads(pickle.dumps(BackendStatusError("x answered HTTP 502", status=502)))
    assert status.status == 502 and str(status) == "x answered HTTP 502"
    assert pickle.loads(pickle.dumps(BackendUnavailableError("open", retry_after=1.5))).retry_after == 1.5


# -- one total deadline ----------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("form", ["sync", "async"])
def test_one_deadline_across_retries_when_the_server_hangs(loopback, form, stream) -> None:
    loopback.script(hang())
    client = backend(loopback.url, timeout=60.0, retries=2, deadline=1.0)
    started = time.monotonic()
    with pytest.raises(BackendTimeoutError, match="passed its deadline of 1.0 s"):
        if form == "sync":
            list(client.stream(HI)) if stream else client.generate(HI)
        else:
            async def call() -> None:
                if stream:
                    [piece async for piece in client.async_form().stream(HI)]
                else:
                    await client.async_form().generate(HI)
            asyncio.run(call())
    assert time.monotonic() - started < 3.0  # not retries x timeout (3 x 60 s)
    assert len(loopback.requests) == 1


def test_the_deadline_stops_the_retries_of_fast_failures(loopback, do) -> None:
    loopback.script(do.json_body(503, {"error": {"message": "busy"}}))
    with pytest.raises(BackendStatusError, match="tried 3 times; the deadline of 2.0 s leaves no time to retry"):
        backend(loopback.url, retries=10, backoff=0.4, deadline=2.0).generate(HI)
    assert len(loopback.requests) == 3  # waits 0.4 s and 0.8 s; 1.6 s more would pass the deadline


# -- the circuit breaker ---------------------------------------------------------------


def test_the_breaker_opens_fails_fast_then_probes_and_closes(loopback, do) -> None:
    loopback.script(do.json_body(503, {"error": {"message": "down"}}))
    client = backend(loopback.url, retries=0, breaker_failures=3, breaker_reset=0.5)
    for _ in range(3):
        with pytest.raises(BackendStatusError):
            client.generate(HI)
    assert client.breaker.state == "open"
    with pytest.raises(BackendUnavailableError, match="3 calls in a row failed") as info:
        client.generate(HI)
    assert 0 < info.value.retry_after <= 0.5 and "HTTP 503" in str(info.value)
    assert both(client, stream=True) == [BackendUnavailableError, BackendUnavailableError]  # shared by the forms
    assert len(loopback.requests) == 3  # failing fast: nothing reached the server
    time.sleep(0.6)
    assert client.breaker.state == "half-open"
    loopback.script(do.reply("back"))
    assert client.generate(HI).text == "back"
    assert client.breaker.state == "closed" and len(loopback.requests) == 4


def test_a_failed_probe_opens_the_breaker_again(loopback, do) -> None:
    loopback.script(do.json_body(500, {"error": {"message": "down"}}))
    client = backend(loopback.url, retries=0, breaker_failures=1, breaker_reset=0.3)
    with pytest.raises(BackendStatusError):
        client.generate(HI)
    time.sleep(0.35)
    with pytest.raises(BackendStatusError):
        asyncio.run(client.async_form().generate(HI))  # the probe, through the async form
    assert client.breaker.state == "open" and len(loopback.requests) == 2
    with pytest.raises(BackendUnavailableError):
        client.generate(HI)


def test_while_the_probe_is_out_other_calls_fail_fast(loopback, do) -> None:
    loopback.script(do.json_body(500, {}), do.slow(0.5, do.reply("ok")))
    client = backend(loopback.url, retries=0, timeout=2.0, breaker_failures=1, breaker_reset=0.2)
    with pytest.raises(BackendStatusError):
        client.generate(HI)
    time.sleep(0.25)
    probe: list[str] = []
    thread = threading.Thread(target=lambda: probe.append(client.generate(HI).text))
    thread.start()
    while len(loopback.requests) < 2:
        time.sleep(0.01)
    with pytest.raises(BackendUnavailableError):
        client.generate(HI)
    thread.join()
    assert probe == ["ok"] and client.breaker.state == "closed" and len(loopback.requests) == 2


def test_client_errors_do_not_open_the_breaker(loopback, do) -> None:
    loopback.script(do.json_body(400, {"error": {"message": "bad request"}}))
    client = backend(loopback.url, breaker_failures=2)
    for _ in range(4):
        with pytest.raises(BackendStatusError):
            client.generate(HI)
    assert client.breaker.state == "closed" and len(loopback.requests) == 4


def test_breaker_failures_0_turns_it_off(closed_port) -> None:
    client = backend(f"http://127.0.0.1:{closed_port}/v1", retries=0, breaker_failures=0)
    for _ in range(3):
        with pytest.raises(BackendConnectError):
            client.generate(HI)


# -- the reply size limit --------------------------------------------------------------


def endless(piece_bytes: int, written: list[int], content_length: int | None = None, sse: bool = True):  # noqa: ANN201
    """A reply that writes until the client hangs up (or 64 MB: more than loopback's socket buffers
    hold), recording the bytes written."""
    def act(handler, body) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream" if sse else "application/json")
        if content_length is not None:
            handler.send_header("Content-Length", str(content_length))
        handler.end_headers()
        line = f"data: {json.dumps({'choices': [{'delta': {'content': 'x' * piece_bytes}}]})}\n\n".encode()
        written.append(0)
        try:
            while written[-1] < 64 * MB:
                handler.wfile.write(line)
                handler.wfile.flush()
                written[-1] += len(line)
        except (BrokenPipeError, ConnectionResetError):
            pass
    return act


def test_a_5mb_reply_is_refused_from_its_content_length(loopback, do) -> None:
    loopback.script(do.reply("x" * (5 * MB)))
    client = backend(loopback.url, timeout=5.0)
    with pytest.raises(BackendProtocolError, match="announces .* bytes, over max_reply_bytes=1048576"):
        client.generate(HI)
    assert both(client) == [BackendProtocolError, BackendProtocolError]


@pytest.mark.parametrize("form", ["sync", "async"])
def test_a_reply_without_a_length_is_cut_at_the_limit(loopback, form) -> None:
    written: list[int] = []
    loopback.script(endless(4096, written, sse=False))
    client = backend(loopback.url, timeout=5.0, max_reply_bytes=MB)
    with pytest.raises(BackendProtocolError, match="passed 1048576 bytes"):
        client.generate(HI) if form == "sync" else asyncio.run(client.async_form().generate(HI))
    time.sleep(0.2)
    assert written[-1] < 64 * MB  # the connection was closed, the rest never read


@pytest.mark.parametrize("form", ["sync", "async"])
def test_a_stream_that_never_ends_is_cut_at_the_limit(loopback, form) -> None:
    written: list[int] = []
    loopback.script(endless(100, written))
    client = backend(loopback.url, timeout=5.0, max_reply_bytes=64 * 1024)
    pieces: list[str] = []

    async def read() -> None:
        async for piece in client.async_form().stream(HI):
            pieces.append(piece)
    with pytest.raises(BackendProtocolError, match="stream passed 65536 bytes"):
        if form == "sync":
            pieces.extend(client.stream(HI))
        else:
            asyncio.run(read())
    assert 0 < sum(map(len, pieces)) <= 64 * 1024
    time.sleep(0.2)
    assert written[-1] < 64 * MB


def test_a_reply_under_the_limit_passes(loopback, do) -> None:
    loopback.script(do.reply("y" * 50_000))
    assert both(backend(loopback.url, max_reply_bytes=60_000)) == ["y" * 50_000] * 2


@pytest.mark.parametrize("form", ["sync", "async"])
def test_a_stream_that_stalls_mid_way_ends_near_its_deadline(loopback, do, form) -> None:
    def stall(handler, body) -> None:
        do.start_sse(handler)
        handler.wfile.write(b'data: {"choices": [{"delta": {"content": "Hel"}, "finish_reason": null}]}\n\n')
        handler.wfile.flush()
        time.sleep(6)
    loopback.script(stall)
    client = backend(loopback.url, timeout=60.0, deadline=1.0)
    pieces: list[str] = []

    async def read() -> None:
        async for piece in client.async_form().stream(HI):
            pieces.append(piece)
    started = time.monotonic()
    with pytest.raises(BackendTimeoutError, match="passed its deadline of 1.0 s"):
        pieces.extend(client.stream(HI)) if form == "sync" else asyncio.run(read())
    assert time.monotonic() - started < 3.0 and pieces == ["Hel"]


def test_the_api_key_is_masked_in_a_mid_stream_error_too(loopback, do, monkeypatch) -> None:
    monkeypatch.setenv("EMOTIVE_TEST_KEY", "sk-very-secret-1234")

    def act(handler, body) -> None:
        do.start_sse(handler)
        handler.wfile.write(b'data: {"error": {"message": "key sk-very-secret-1234 is over quota"}}\n\n')
    loopback.script(act)
    client = backend(loopback.url, api_key_env="EMOTIVE_TEST_KEY", breaker_failures=1)
    with pytest.raises(BackendProtocolError, match=r"key \*\*\* is over quota") as info:
        list(client.stream(HI))
    assert "sk-very-secret" not in str(info.value)
    with pytest.raises(BackendUnavailableError) as info:
        client.generate(HI)
    assert "sk-very-secret" not in str(info.value) and "***" in str(info.value)  # the breaker's last error too
