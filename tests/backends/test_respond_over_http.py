"""emotive's guided replies through a real OpenAI-compatible server on loopback: the
library, streaming, faults with and without a fallback, and the CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from emotive._errors import BackendError
from emotive.backends import get_backend
from emotive.respond import Responder
from emotive.schema import Conversation, Utterance

CONV = Conversation("c", (Utterance("My best friend moved abroad and I feel so lonely.", "user"),))


def test_guided_reply_over_http(loopback, do) -> None:
    loopback.script(do.reply("Emotion: lonely\nReply: That's a big change. How are you coping?"))
    r = Responder("openai", backend_options={"base_url": loopback.url, "model": "m", "retries": 0})
    out = r.reply(CONV)
    assert out.text == "That's a big change. How are you coping?" and out.emotion_choice == "lonely"
    body = loopback.requests[0].body
    assert body["model"] == "m" and body["messages"][0]["role"] == "system"
    assert "Support strategy:" in body["messages"][0]["content"]
    assert body["messages"][1] == {"role": "user", "content": CONV.turns[0].text}


def test_streamed_reply_over_http(loopback, do) -> None:
    loopback.script(do.sse(["Emotion: lon", "ely\nReply: I'm ", "here for you."]))
    r = Responder("openai", backend_options={"base_url": loopback.url, "retries": 0})
    stream = r.stream(CONV)
    assert "".join(stream) == "I'm here for you." and stream.guidance.strategy is not None
    assert stream.reply.emotion_choice == "lonely" and stream.reply.metadata == {"finish_reason": "stop"}


def test_faults_fail_clearly_or_fall_back(loopback, do) -> None:
    opts = {"base_url": loopback.url, "retries": 0}
    loopback.script(do.raw_body(200, b"{not json"))
    with pytest.raises(BackendError, match="JSON"):
        Responder("openai", backend_options=opts).reply(CONV)
    loopback.script(do.raw_body(200, b"{not json"))
    fallback = get_backend("mock", replies=["I'm listening."])
    out = Responder("openai", backend_options=opts, fallback=fallback).reply(CONV)
    assert out.text == "I'm listening." and out.fallback and "JSON" in out.fallback
    loopback.script(do.sse_truncated(["Emotion: sad\nReply: I'm so"]))
    stream = Responder("openai", backend_options=opts).stream(CONV)
    with pytest.raises(BackendError, match="cut off"):
        "".join(stream)
    loopback.script(do.raw_body(503, b"overloaded"))
    fallback = get_backend("mock", replies=["Still here."])
    stream = Responder("openai", backend_options=opts, fallback=fallback).stream(CONV)
    assert "".join(stream) == "Still here." and "HTTP 503" in stream.reply.fallback


def test_cli_respond_and_chat_against_the_endpoint(loopback, do, tmp_path) -> None:
    loopback.script(do.reply("Emotion: lonely\nReply: Moving apart is hard. What do you miss most?"))
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "x", "turns": [{"speaker": "user", "text": CONV.turns[0].text}]}) + "\n")
    env = dict(os.environ, COLUMNS="200")
    cmd = [sys.executable, "-m", "emotive"]
    res = subprocess.run([*cmd, "respond", str(src), "--backend", "openai", "-O", f"base_url={loopback.url}",
                          "-O", "retries=0", "-q"], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    row = json.loads(res.stdout)
    assert row["reply"] == "Moving apart is hard. What do you miss most?" and row["emotion_choice"] == "lonely"
    loopback.script(do.sse(["Emotion: lonely\n", "Reply: ", "Tell me ", "more."]))
    res = subprocess.run([*cmd, "chat", "--backend", "openai", "-O", f"base_url={loopback.url}", "-O", "retries=0",
                          "--system", "You are the help desk of a bike shop."],
                         input=CONV.turns[0].text + "\n/quit\n", capture_output=True, text=True, env=env,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert "Tell me more." in res.stdout and "plan: " in res.stdout
    system = loopback.requests[-1].body["messages"][0]["content"]
    assert system.startswith("You are the help desk of a bike shop.\n\n## Emotional guidance")
    loopback.script(do.raw_body(500, b"boom"))  # --fallback answers a stream that fails at once
    res = subprocess.run([*cmd, "chat", "--backend", "openai", "-O", f"base_url={loopback.url}", "-O", "retries=0",
                          "--fallback", "mock", "--without", "understanding,strategy,persona"],
                         input="hello\n/quit\n", capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "I hear you." in res.stdout and "fallback backend answered" in res.stdout
