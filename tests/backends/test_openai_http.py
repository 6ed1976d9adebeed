"""The OpenAI-compatible backend against a real HTTP server on loopback."""

from __future__ import annotations

import time

import pytest

from emotive._errors import BackendError, ConfigError, InputError
from emotive.backends import GenerateOptions, ResultStream
from emotive.backends.openai_http import OpenAIBackend, _retry_after

HI = [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "I feel sad today."}]


def backend(url: str, **options: object) -> OpenAIBackend:
    settings: dict[str, object] = {"base_url": url, "model": "tiny", "timeout": 0.3, "connect_timeout": 0.3,
                                   "backoff": 0.01}
    settings.update(options)
    return OpenAIBackend(**settings)


def test_generate_returns_message_content(loopback, do) -> None:
    loopback.script(do.reply("That sounds hard."))
    result = backend(loopback.url).generate(HI)
    assert result.text == "That sounds hard."
    assert result.metadata == {"model": "tiny", "finish_reason": "stop"}
    assert loopback.requests[0].path == "/v1/chat/completions"


def test_request_body_carries_model_messages_and_options(loopback, do, monkeypatch) -> None:
    loopback.script(do.reply("ok"))
    backend(loopback.url).generate(HI, GenerateOptions(max_tokens=7, temperature=0.0, extra={"seed": 3}))
    body = loopback.requests[0].body
    assert body == {"model": "tiny", "messages": HI, "max_tokens": 7, "temperature": 0.0, "seed": 3,
                    "stream": False}


def test_authorization_only_when_the_key_variable_is_set(loopback, do, monkeypatch) -> None:
    loopback.script(do.reply("ok"))
    monkeypatch.delenv("EMOTIVE_TEST_KEY", raising=False)
    client = backend(loopback.url, api_key_env="EMOTIVE_TEST_KEY")
    client.generate(HI)
    monkeypatch.setenv("EMOTIVE_TEST_KEY", "sk-test")
    client.generate(HI)
    assert "authorization" not in loopback.requests[0].headers
    assert loopback.requests[1].headers["authorization"] == "Bearer sk-test"


def test_stream_yields_delta_pieces_until_done(loopback, do) -> None:
    loopback.script(do.sse(["That ", "sounds ", "hard."]))
    stream = ResultStream(backend(loopback.url).stream(HI))
    pieces = list(stream)
    assert pieces == ["That ", "sounds ", "hard."]
    assert stream.result.text == "That sounds hard." and stream.result.metadata == {"finish_reason": "stop"}
    assert loopback.requests[0].body["stream"] is True
    assert loopback.requests[0].headers["accept"] == "text/event-stream"


def test_stream_with_finish_reason_but_no_done_is_complete(loopback, do) -> None:
    loopback.script(do.sse(["a", "b"], finish=True, done=False))
    assert "".join(backend(loopback.url).stream(HI)) == "ab"


def test_stream_cut_off_when_connection_closes_early(loopback, do) -> None:
    loopback.script(do.sse(["That ", "sou"], finish=False, done=False))
    pieces: list[str] = []
    with pytest.raises(BackendError, match="stream cut off after 8 characters") as info:
        for piece in backend(loopback.url).stream(HI):
            pieces.append(piece)
    assert pieces == ["That ", "sou"]  # what arrived was handed over before the error
    assert loopback.url in str(info.value)


def test_stream_cut_off_with_an_incomplete_body(loopback, do) -> None:
    loopback.script(do.sse_truncated(["abc"]))
    with pytest.raises(BackendError, match="stream cut off after 3 characters"):
        list(backend(loopback.url).stream(HI))


def test_stream_error_event_mid_stream(loopback, do) -> None:
    def act(handler, body) -> None:
        do.start_sse(handler)
        handler.wfile.write(b'data: {"error": {"message": "model overloaded"}}\n\n')
    loopback.script(act)
    with pytest.raises(BackendError, match="model overloaded"):
        list(backend(loopback.url).stream(HI))


def test_stream_passes_its_deadline_when_the_server_trickles(loopback, do) -> None:
    loopback.script(do.trickle(interval=0.05, total=3.0))
    started = time.monotonic()
    with pytest.raises(BackendError, match="deadline of 0.4 s"):
        list(backend(loopback.url, deadline=0.4).stream(HI))
    assert time.monotonic() - started < 1.5


def test_stream_retries_before_the_first_piece(loopback, do) -> None:
    loopback.script(do.json_body(503, {"error": {"message": "warming up"}}), do.sse(["ok"]))
    assert list(backend(loopback.url).stream(HI)) == ["ok"]
    assert len(loopback.requests) == 2


def test_500_then_200_is_retried(loopback, do) -> None:
    loopback.script(do.json_body(500, {"error": {"message": "oops"}}), do.reply("recovered"))
    assert backend(loopback.url, retries=2).generate(HI).text == "recovered"
    assert len(loopback.requests) == 2


def test_5xx_retries_run_out_with_a_clear_message(loopback, do) -> None:
    loopback.script(do.json_body(503, {"error": {"message": "no capacity"}}))
    with pytest.raises(BackendError) as info:
        backend(loopback.url, retries=2).generate(HI)
    message = str(info.value)
    assert "HTTP 503" in message and "no capacity" in message and "tried 3 times" in message
    assert len(loopback.requests) == 3


def test_400_is_not_retried_and_shows_the_server_message(loopback, do) -> None:
    loopback.script(do.json_body(400, {"error": {"message": "max_tokens is too large", "type": "invalid"}}))
    with pytest.raises(BackendError, match="HTTP 400: max_tokens is too large") as info:
        backend(loopback.url, retries=3).generate(HI)
    assert loopback.url in str(info.value)
    assert len(loopback.requests) == 1


def test_401_says_to_set_the_key(loopback, do, monkeypatch) -> None:
    monkeypatch.delenv("EMOTIVE_TEST_KEY", raising=False)
    loopback.script(do.json_body(401, {"error": {"message": "Incorrect API key provided"}}))
    with pytest.raises(BackendError, match=r"HTTP 401: Incorrect API key provided; set \$EMOTIVE_TEST_KEY"):
        backend(loopback.url, api_key_env="EMOTIVE_TEST_KEY").generate(HI)
    assert len(loopback.requests) == 1


def test_error_body_that_is_plain_text(loopback, do) -> None:
    loopback.script(do.raw_body(404, b"404 page not found", content_type="text/plain"))
    with pytest.raises(BackendError, match="HTTP 404: 404 page not found; check base_url"):
        backend(loopback.url).generate(HI)


def test_429_honours_a_small_retry_after(loopback, do) -> None:
    loopback.script(do.json_body(429, {"error": {"message": "slow down"}}, {"Retry-After": "0"}), do.reply("ok"))
    assert backend(loopback.url, backoff=5.0).generate(HI).text == "ok"  # waited 0 s, not the 5 s backoff
    assert len(loopback.requests) == 2


def test_429_with_a_long_retry_after_stops_at_once(loopback, do) -> None:
    loopback.script(do.json_body(429, {"error": {"message": "quota"}}, {"Retry-After": "120"}))
    with pytest.raises(BackendError, match="retry after 120 s"):
        backend(loopback.url).generate(HI)
    assert len(loopback.requests) == 1


def test_retry_after_parses_seconds_and_dates() -> None:
    assert _retry_after("2.5") == 2.5
    assert _retry_after(None) is None and _retry_after("soon") is None
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past


def test_malformed_json_body(loopback, do) -> None:
    loopback.script(do.raw_body(200, b"<html>not json</html>"))
    with pytest.raises(BackendError, match="malformed JSON") as info:
        backend(loopback.url).generate(HI)
    assert "<html>not json" in str(info.value)


def test_missing_fields(loopback, do) -> None:
    loopback.script(do.json_body(200, {"choices": []}))
    with pytest.raises(BackendError, match=r"without choices\[0\].message.content"):
        backend(loopback.url).generate(HI)


def test_null_content_names_the_finish_reason(loopback, do) -> None:
    loopback.script(do.json_body(200, {"choices": [{"message": {"content": None}, "finish_reason": "length"}]}))
    with pytest.raises(BackendError, match="'length'"):
        backend(loopback.url).generate(HI)


def test_slow_reply_times_out_instead_of_hanging(loopback, do) -> None:
    loopback.script(do.slow(1.5, do.reply("late")))
    started = time.monotonic()
    with pytest.raises(BackendError, match=r"did not answer within 0.3 s.*raise timeout"):
        backend(loopback.url, retries=1).generate(HI)
    assert time.monotonic() - started < 1.4
    assert len(loopback.requests) == 2  # a timeout is retried


def test_endpoint_down_fails_quickly(closed_port) -> None:
    url = f"http://127.0.0.1:{closed_port}/v1"
    started = time.monotonic()
    with pytest.raises(BackendError) as info:
        backend(url, retries=1).generate(HI)
    message = str(info.value)
    assert f"cannot connect to {url}/chat/completions" in message
    assert "is the server running?" in message and "EMOTIVE_OPENAI_BASE_URL" in message
    assert time.monotonic() - started < 2.0


def test_stream_endpoint_down(closed_port) -> None:
    with pytest.raises(BackendError, match="cannot connect"):
        list(backend(f"http://127.0.0.1:{closed_port}/v1", retries=0).stream(HI))


def test_base_url_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://openai.example/v1")
    monkeypatch.setenv("EMOTIVE_OPENAI_BASE_URL", "http://emotive.example/v1/")
    assert OpenAIBackend().url == "http://emotive.example/v1/chat/completions"
    monkeypatch.delenv("EMOTIVE_OPENAI_BASE_URL")
    assert OpenAIBackend().options.base_url == "http://openai.example/v1"
    monkeypatch.delenv("OPENAI_BASE_URL")
    assert OpenAIBackend().options.base_url == "http://localhost:8000/v1"


def test_options_are_checked() -> None:
    with pytest.raises(ConfigError, match="base_url"):
        OpenAIBackend(base_url="localhost:8000")
    with pytest.raises(ConfigError, match="retries"):
        OpenAIBackend(retries=-1)


def test_bad_messages_are_an_input_error(loopback, do) -> None:
    loopback.script(do.reply("ok"))
    with pytest.raises(InputError, match="message 1"):
        backend(loopback.url).generate([{"role": "user", "content": "hi"}, {"role": "user"}])
    assert loopback.requests == []


def test_client_is_reused_and_closed(loopback, do) -> None:
    loopback.script(do.reply("ok"))
    with backend(loopback.url) as client:
        client.generate(HI)
        first = client._client
        client.generate(HI)
        assert client._client is first
    assert client._client is None
