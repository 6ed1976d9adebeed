"""The local transformers backend on a tiny GPT-2 made in the test, directly and behind a loopback server."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from emotive._errors import BackendError, ConfigError
from emotive.backends import GenerateOptions, ResultStream
from emotive.backends.local_transformers import TransformersBackend, prompt_text
from emotive.backends.openai_http import OpenAIBackend

HI = [{"role": "system", "content": "be kind"}, {"role": "user", "content": "i feel sad today"}]
GREEDY = GenerateOptions(max_tokens=6, temperature=0.0)


@pytest.fixture(scope="module")
def local(tiny_lm: Path) -> TransformersBackend:
    return TransformersBackend(path=str(tiny_lm), threads=1)


def test_not_a_model_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a model directory: it does not exist"):
        TransformersBackend(path=tmp_path / "nope")
    with pytest.raises(ConfigError, match="is not a model directory: it has no config.json"):
        TransformersBackend(path=tmp_path)
    with pytest.raises(ConfigError, match="path"):
        TransformersBackend()


def test_generate_returns_only_the_new_text(local: TransformersBackend, tiny_lm: Path) -> None:
    result = local.generate(HI, GREEDY)
    reply = result.text
    assert result.metadata["model"] == str(tiny_lm) and 0 < result.metadata["new_tokens"] <= 6
    assert reply and reply == reply.strip()
    assert "i feel sad today" not in reply  # the prompt is not echoed back
    assert len(reply.split()) <= 6  # one word per token with this tokenizer
    assert local.generate(HI, GREEDY).text == reply  # temperature 0 is greedy


def test_max_new_tokens_overrides_the_call(tiny_lm: Path) -> None:
    capped = TransformersBackend(path=tiny_lm, max_new_tokens=2)
    assert 0 < len(capped.generate(HI, GREEDY).text.split()) <= 2


def test_sampling_with_temperature(local: TransformersBackend) -> None:
    import torch

    torch.manual_seed(1)
    replies = {local.generate(HI, GenerateOptions(max_tokens=6, temperature=5.0)).text for _ in range(4)}
    assert len(replies) > 1  # a hot temperature samples; greedy would repeat one reply


def test_stream_joins_to_the_generated_reply(local: TransformersBackend) -> None:
    stream = ResultStream(local.stream(HI, GREEDY))
    pieces = list(stream)
    assert "".join(pieces) == local.generate(HI, GREEDY).text == stream.result.text
    assert len(pieces) > 1


def test_stream_closed_early_stops_the_thread(local: TransformersBackend) -> None:
    stream = local.stream(HI, GenerateOptions(max_tokens=100, temperature=0.0))
    assert next(stream)
    stream.close()
    assert not any(t.name == "emotive-transformers-stream" for t in threading.enumerate())


def test_generation_errors_become_backend_errors(local: TransformersBackend) -> None:
    bad = GenerateOptions(max_tokens=4, temperature=0.0, extra={"no_such_setting": 1})
    with pytest.raises(BackendError, match="no_such_setting"):
        local.generate(HI, bad)
    with pytest.raises(BackendError, match="no_such_setting"):  # raised in the thread, re-raised here
        list(local.stream(HI, bad))
    assert not any(t.name == "emotive-transformers-stream" for t in threading.enumerate())


def test_prompt_uses_the_chat_template_when_there_is_one(local: TransformersBackend) -> None:
    _, tokenizer = local.load()
    assert prompt_text(tokenizer, HI) == ("system: be kind\nuser: i feel sad today\nassistant:", False)
    tokenizer.chat_template = ("{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}"
                               "{% if add_generation_prompt %}<assistant>{% endif %}")
    try:
        assert prompt_text(tokenizer, HI) == ("<system>be kind<user>i feel sad today<assistant>", True)
    finally:
        tokenizer.chat_template = None


# -- the tiny LM served in OpenAI format on loopback, through the HTTP backend ------------


@pytest.fixture
def served(loopback, do, local: TransformersBackend):
    """The loopback server answers /chat/completions with the local backend."""
    def act(handler, body) -> None:
        options = GenerateOptions(max_tokens=body["max_tokens"], temperature=body["temperature"])
        if not body.get("stream"):
            return do.reply(local.generate(body["messages"], options).text)(handler, body)
        do.start_sse(handler)
        for piece in local.stream(body["messages"], options):
            chunk = {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            handler.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        handler.wfile.write(b'data: {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n')
        handler.wfile.write(b"data: [DONE]\n\n")

    loopback.script(act)
    return OpenAIBackend(base_url=loopback.url, model="tiny", timeout=10, retries=0)


def test_served_generate_matches_the_local_model(served: OpenAIBackend, local: TransformersBackend) -> None:
    assert served.generate(HI, GREEDY).text == local.generate(HI, GREEDY).text


def test_served_stream_matches_the_local_model(served: OpenAIBackend, local: TransformersBackend) -> None:
    pieces = list(served.stream(HI, GREEDY))
    assert "".join(pieces) == local.generate(HI, GREEDY).text
    assert pieces == list(local.stream(HI, GREEDY))
