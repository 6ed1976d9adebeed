from __future__ import annotations

import socket

import pytest

from emotive._errors import BackendError, InputError
from emotive.backends import get_backend
from emotive.respond import Responder, Steps, respond_file
from emotive.schema import Conversation, Utterance

CONV = Conversation("c1", (
    Utterance("My manager yelled at me in front of everyone today.", "user"),
    Utterance("That sounds humiliating. How are you feeling now?", "assistant",
              annotations={"strategy": "Question"}),
    Utterance("Honestly I'm furious and I can't stop shaking.", "user"),
))


@pytest.fixture
def responder_for(tiny_conv_analyzer, tiny_encoder):
    def make(backend="mock", **kw):
        return Responder(backend, analyzer=tiny_conv_analyzer, encoder=tiny_encoder, **kw)
    return make


def test_every_step_reaches_the_guidance_and_the_prompt(responder_for) -> None:
    mock = get_backend("mock", replies=["Emotion: furious\nReply: That sounds awful."])
    reply = responder_for(mock).reply(CONV)
    assert reply.text == "That sounds awful." and reply.emotion_choice == "furious"
    g = reply.guidance
    assert g.reading["turn"] == 2
    assert g.reading["emotion7"] in {"anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"}
    assert g.strategy["strategy"] and g.reply_emotion["emotion"]
    assert set(g.timings_ms) == {"safety", "understanding", "strategy", "persona"}
    call = mock.calls[0]
    system = call.messages[0]["content"]
    assert call.messages[0]["role"] == "system"
    assert [m["role"] for m in call.messages[1:]] == ["user", "assistant", "user"]
    assert "Support strategy: " + g.strategy["strategy"] in system
    assert "Emotion: <label>" in system
    assert call.options.guidance["strategy"] == g.strategy["strategy"]
    assert call.options.guidance["turns"][-1]["text"] == CONV.turns[-1].text


def test_steps_switch_off_one_by_one(responder_for) -> None:
    mock = get_backend("mock", replies=["ok"] * 3, cycle=True)
    r = responder_for(mock, steps=Steps.without(["strategy", "two_stage"]))
    g = r.reply(CONV).guidance
    assert g.strategy is None and g.reading is not None
    assert "Support strategy" not in g.messages[0]["content"] and "Emotion: <label>" not in g.messages[0]["content"]
    g = responder_for(mock, steps=Steps.without(["understanding", "persona"])).reply(CONV).guidance
    assert g.reading is None and g.reply_emotion is None and g.strategy is not None


def test_a_risky_message_gets_the_safe_reply_and_no_backend_call(responder_for) -> None:
    mock = get_backend("mock")
    conv = Conversation("c", (Utterance("I just want to end my life", "user"),))
    reply = responder_for(mock).reply(conv)
    assert reply.flagged and reply.backend == "safety" and "988" in reply.text
    assert mock.calls == []
    off = responder_for(mock, steps=Steps.without(["safety", "understanding", "strategy", "persona"]))
    assert not off.reply(conv).flagged


def test_the_last_turn_must_be_the_users(responder_for) -> None:
    conv = Conversation("c", (Utterance("hi", "user"), Utterance("hello!", "assistant")))
    with pytest.raises(InputError, match="ends with the assistant's turn"):
        responder_for().reply(conv)
    with pytest.raises(InputError, match="has no turns"):
        responder_for().reply(Conversation("e", ()))


def test_fallback_backend_answers_when_the_main_one_is_down(responder_for) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    down = get_backend("openai", base_url=f"http://127.0.0.1:{closed_port}/v1", retries=0, connect_timeout=0.5)
    steps = Steps(understanding=False, strategy=False, persona=False)
    with pytest.raises(BackendError, match="cannot connect"):
        responder_for(down, steps=steps).reply(CONV)
    reply = responder_for(down, steps=steps, fallback=get_backend("mock", replies=["still here"])).reply(CONV)
    assert reply.text == "still here" and reply.backend == "mock" and "cannot connect" in reply.fallback


def test_stream_holds_back_the_format_lines(responder_for) -> None:
    mock = get_backend("mock", replies=["Emotion: angry\nReply: I would be furious too."], chunk_size=3)
    guidance, pieces = responder_for(mock).stream(CONV)
    assert "".join(pieces) == "I would be furious too."
    assert guidance.strategy is not None


def test_respond_file_keeps_every_conversation_in_order(tmp_path, responder_for) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"id": "a", "turns": [{"speaker": "user", "text": "I passed my exam!"}]}\n'
        '{"id": "b", "turns": []}\n'
        '{"id": "c", "turns": [{"speaker": "user", "text": "hi"}, {"speaker": "assistant", "text": "hey"}]}\n'
        '{"id": "d", "turns": [{"speaker": "user", "text": "I want to kill myself"}]}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = responder_for(get_backend("mock", replies=["Nice!"], cycle=True))
    with pytest.raises(InputError, match="in.jsonl:2"):
        respond_file(str(src), str(out), responder=r)
    summary = respond_file(str(src), str(out), responder=r, on_error="skip")
    import json

    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["conversation"] for x in rows] == ["a", "b", "c", "d"]
    assert rows[0]["reply"] == "Nice!" and rows[0]["strategy"] and "error" in rows[1]
    assert "ends with the assistant's turn" in rows[2]["error"] and rows[3]["flagged"]
    assert (summary.replies, summary.errors, summary.flagged) == (2, 2, 1)
