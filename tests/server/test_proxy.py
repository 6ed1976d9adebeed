"""The chat proxy with the official ``openai`` client against a real server on loopback."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

from emotive.server import ServerConfig, create_app

openai = pytest.importorskip("openai")

REPLY = "That sounds really hard. What happened next?"  # what the loopback upstream says (conftest)

CRISIS = "I want to kill myself tonight, I have the pills ready"
SAD = "My dog died this morning and I can't stop crying."


def _client(url: str, **kw):  # type: ignore[no-untyped-def]
    return openai.OpenAI(base_url=f"{url}/v1", api_key=kw.pop("api_key", "unused"), max_retries=0, timeout=20, **kw)


@pytest.fixture
def proxied(serve, upstream, shared_analyzer, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("UPSTREAM_SECRET", "sk-upstream-secret-123")
    config = ServerConfig(upstream_base_url=upstream.url, upstream_model="tiny-llm", upstream_key_env="UPSTREAM_SECRET",
                          upstream_timeout=2.0, upstream_retries=0)
    return serve(create_app(config, analyzer=shared_analyzer)), upstream


def test_whole_reply_keeps_system_message_and_adds_emotive(proxied) -> None:  # type: ignore[no-untyped-def]
    server, upstream = proxied
    client = _client(server.url)
    raw = client.chat.completions.with_raw_response.create(
        model="emotive/supportive:llama3.1",
        messages=[{"role": "system", "content": "You are the help desk of a bike shop."},
                  {"role": "user", "content": SAD}])
    done = raw.parse()
    assert done.object == "chat.completion"
    assert done.choices[0].message.content == REPLY
    assert done.usage is not None and done.usage.total_tokens == 18
    sent = upstream.requests[-1]
    assert sent["model"] == "llama3.1"
    assert sent["messages"][0]["role"] == "system"
    assert sent["messages"][0]["content"].startswith("You are the help desk of a bike shop.")
    assert upstream.headers[-1]["Authorization"] == "Bearer sk-upstream-secret-123"
    ext = done.model_extra["emotive"]
    assert ext["flagged"] is False and ext["reading"]["emotion7"] == "sadness"
    assert ext["strategy"]["strategy"] and "messages" not in ext
    assert raw.headers["x-emotive-user-emotion"] == "sadness"
    assert raw.headers["x-emotive-strategy"] == ext["strategy"]["strategy"]
    assert "sk-upstream-secret-123" not in raw.http_response.text


def test_streaming_reply_in_chunks(proxied) -> None:  # type: ignore[no-untyped-def]
    server, upstream = proxied
    chunks = list(_client(server.url).chat.completions.create(
        model="emotive/supportive", messages=[{"role": "user", "content": SAD}], stream=True))
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == REPLY
    assert chunks[0].model_extra["emotive"]["reading"]["emotion7"] == "sadness"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert upstream.requests[-1]["model"] == "tiny-llm" and upstream.requests[-1]["stream"] is True


def test_flagged_message_never_reaches_the_upstream(proxied) -> None:  # type: ignore[no-untyped-def]
    server, upstream = proxied
    client = _client(server.url)
    whole = client.chat.completions.with_raw_response.create(
        model="emotive/supportive:llama3.1", messages=[{"role": "user", "content": CRISIS}])
    streamed = list(client.chat.completions.create(
        model="emotive/supportive:llama3.1", messages=[{"role": "user", "content": CRISIS}], stream=True))
    assert upstream.requests == []
    assert whole.headers["x-emotive-flagged"] == "true"
    done = whole.parse()
    assert done.model_extra["emotive"]["flagged"] is True
    assert done.choices[0].message.content == "".join(c.choices[0].delta.content or "" for c in streamed)


def test_emotive_extension_switched_off_per_request(proxied) -> None:  # type: ignore[no-untyped-def]
    server, _ = proxied
    raw = _client(server.url).chat.completions.with_raw_response.create(
        model="emotive", messages=[{"role": "user", "content": SAD}], extra_body={"emotive": {"include": False}})
    assert "emotive" not in (raw.parse().model_extra or {})
    assert not [h for h in raw.headers if h.startswith("x-emotive-")]


def test_unknown_preset_and_bad_roles_are_openai_errors(proxied) -> None:  # type: ignore[no-untyped-def]
    server, upstream = proxied
    client = _client(server.url)
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="emotive/grumpy:x", messages=[{"role": "user", "content": "hi"}])
    assert "supportive" in missing.value.message
    with pytest.raises(openai.UnprocessableEntityError) as bad:
        client.chat.completions.create(model="emotive", messages=[{"role": "assistant", "content": "hi"}])
    assert bad.value.body["code"] == "last_message_not_user"
    assert upstream.requests == []


@pytest.mark.parametrize("mode, status, code", [
    ("error500", 502, "upstream_status_error"),
    ("malformed", 502, "upstream_protocol_error"),
    ("slow", 504, "upstream_timeout"),
])
def test_upstream_faults_are_clear_errors_and_the_server_keeps_serving(proxied, mode, status, code) -> None:  # type: ignore[no-untyped-def]
    server, upstream = proxied
    upstream.mode = mode
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as failed:
        _client(server.url).chat.completions.create(model="emotive", messages=[{"role": "user", "content": SAD}])
    assert failed.value.status_code == status
    assert failed.value.body["code"] == code and failed.value.body["param"] is None
    assert time.monotonic() - started < 10  # within the upstream timeout (2 s), not 3 x 60 s
    upstream.mode = "ok"
    assert _client(server.url).chat.completions.create(
        model="emotive", messages=[{"role": "user", "content": SAD}]).choices[0].message.content == REPLY


def test_upstream_down_is_a_502(serve, shared_analyzer) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]  # nothing listens there once the socket is closed
    config = ServerConfig(upstream_base_url=f"http://127.0.0.1:{dead}/v1", upstream_retries=0)
    server = serve(create_app(config, analyzer=shared_analyzer))
    with pytest.raises(openai.APIStatusError) as failed:
        _client(server.url).chat.completions.create(model="emotive", messages=[{"role": "user", "content": SAD}],
                                                    stream=True)
    assert failed.value.status_code == 502 and failed.value.body["code"] == "upstream_connect_error"
    assert httpx.get(f"{server.url}/healthz").status_code == 200


def test_stream_cut_midway_ends_with_an_error_event(proxied) -> None:  # type: ignore[no-untyped-def]
    server, upstream = proxied
    upstream.mode = "cut"
    with httpx.stream("POST", f"{server.url}/v1/chat/completions", timeout=20, json={
            "model": "emotive", "stream": True, "messages": [{"role": "user", "content": SAD}]}) as r:
        events = [line[6:] for line in r.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    last = json.loads(events[-2])
    assert last["error"]["type"] == "upstream_error" and last["error"]["code"] == "upstream_protocol_error"
    shown = "".join(json.loads(e)["choices"][0]["delta"].get("content", "") for e in events[:-2])
    assert shown and REPLY.startswith(shown)


def test_fallback_answers_when_the_upstream_fails(serve, upstream, shared_analyzer) -> None:  # type: ignore[no-untyped-def]
    upstream.mode = "error500"
    config = ServerConfig(upstream_base_url=upstream.url, upstream_retries=0, fallback="templates")
    server = serve(create_app(config, analyzer=shared_analyzer))
    raw = _client(server.url).chat.completions.with_raw_response.create(
        model="emotive", messages=[{"role": "user", "content": SAD}])
    assert raw.headers["x-emotive-fallback"] == "true"
    ext = raw.parse().model_extra["emotive"]
    assert ext["backend"] == "templates" and "500" in ext["fallback"]


def test_offline_default_without_upstream(serve, shared_analyzer) -> None:  # type: ignore[no-untyped-def]
    server = serve(create_app(ServerConfig(), analyzer=shared_analyzer))
    done = _client(server.url).chat.completions.create(model="emotive/fast",
                                                       messages=[{"role": "user", "content": SAD}])
    assert done.choices[0].message.content.strip()
    assert done.model_extra["emotive"]["backend"] == "retrieval"


def test_repeated_failures_open_the_breaker_503_with_retry_after(proxied) -> None:  # type: ignore[no-untyped-def]
    server, upstream = proxied
    upstream.mode = "error500"
    client = _client(server.url)
    statuses = []
    for _ in range(7):
        with pytest.raises(openai.APIStatusError) as failed:
            client.chat.completions.create(model="emotive", messages=[{"role": "user", "content": SAD}])
        statuses.append(failed.value.status_code)
    assert statuses[0] == 502 and statuses[-1] == 503
    assert int(failed.value.response.headers["Retry-After"]) >= 1
    assert failed.value.body["code"] == "upstream_unavailable"
    calls = len(upstream.requests)
    assert calls < 7  # open: failed fast without reaching the upstream
