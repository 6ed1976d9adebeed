from __future__ import annotations

import json
import pickle
import socket

import pytest

from emotive._errors import BackendError, ConfigError, InputError
from emotive.backends import Backend, GenerateResult, get_backend
from emotive.respond import AssistantState, ChatSession, Reading, Responder, Roles, Steps, respond_file
from emotive.respond.persona import ReplyEmotion
from emotive.respond.strategy import StrategyPlan
from emotive.schema import Conversation, Plan, Turn, Utterance

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
    assert reply.metadata == {"call": 1}
    g = reply.guidance
    assert isinstance(g.reading, Reading) and isinstance(g.strategy, StrategyPlan)
    assert isinstance(g.reply_emotion, ReplyEmotion)
    assert g.reading.turn == 2
    assert g.reading.emotion7 in {"anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"}
    assert g.strategy.strategy and g.reply_emotion.emotion
    assert set(g.timings_ms) == {"safety", "understanding", "strategy", "persona"}
    call = mock.calls[0]
    system = call.messages[0]["content"]
    assert call.messages[0]["role"] == "system"
    assert [m["role"] for m in call.messages[1:]] == ["user", "assistant", "user"]
    assert "Support strategy: " + g.strategy.strategy in system
    assert "Emotion: <label>" in system
    plan = call.options.plan
    assert isinstance(plan, Plan) and plan == g.plan()
    assert plan.strategy == g.strategy.strategy and plan.reply_emotion == g.reply_emotion.emotion
    assert plan.turns[-1] == Turn("user", CONV.turns[-1].text)
    assert plan.user_candidates == g.reading.top_candidates(3) and len(plan.user_candidates) == 3


def test_guidance_to_dict_keeps_its_json_shape(responder_for) -> None:
    g = responder_for(get_backend("mock")).guide(CONV)
    d = json.loads(json.dumps(g.to_dict()))
    assert set(d) == {"reading", "strategy", "reply_emotion", "safety", "messages", "timings_ms"}
    assert set(d["reading"]) == {"turn", "emotions", "emotion7", "vad", "candidates", "triggers", "causes"}
    assert d["reading"]["emotion7"] == g.reading.emotion7 and set(d["reading"]["vad"]) == {"v", "a", "d"}
    assert d["strategy"]["strategy"] == g.strategy.strategy and d["reply_emotion"]["emotion"]
    assert d["messages"][0]["role"] == "system" and d["safety"] is None
    assert Plan.from_dict(json.loads(json.dumps(g.plan().to_dict()))) == g.plan()


def test_parallel_steps_give_the_same_guidance_and_keep_safety_first(responder_for) -> None:
    from dataclasses import replace

    together, in_turn = responder_for(), responder_for(parallel=False)
    a, b = together.guide(CONV), in_turn.guide(CONV)
    assert replace(a, timings_ms={}) == replace(b, timings_ms={}) and set(a.timings_ms) == set(b.timings_ms)
    risky = Conversation("r", (Utterance("I am going to kill myself tonight.", "user"),))
    flagged = together.guide(risky)
    assert flagged.safety is not None and flagged.strategy is None and flagged.reading is None
    wrong_state = AssistantState(("Question", "Others"))  # two strategies for one assistant turn
    with pytest.raises(ConfigError, match="2 strategies for 1 assistant turns"):
        together.guide(CONV, state=wrong_state)
    assert together.guide(Conversation("r2", (CONV.turns[1], risky.turns[0])), state=wrong_state).safety


def test_steps_switch_off_one_by_one(responder_for) -> None:
    mock = get_backend("mock", replies=["ok"] * 3, cycle=True)
    r = responder_for(mock, steps=Steps.without(["strategy", "two_stage"]))
    g = r.reply(CONV).guidance
    assert g.strategy is None and g.reading is not None
    assert "Support strategy" not in g.messages[0]["content"] and "Emotion: <label>" not in g.messages[0]["content"]
    g = responder_for(mock, steps=Steps.without(["understanding", "persona"])).reply(CONV).guidance
    assert g.reading is None and g.reply_emotion is None and g.strategy is not None
    assert g.plan().user_emotion is None and g.plan().strategy == g.strategy.strategy


def test_a_risky_message_gets_the_safe_reply_and_no_backend_call(responder_for) -> None:
    mock = get_backend("mock")
    conv = Conversation("c", (Utterance("I just want to end my life", "user"),))
    reply = responder_for(mock).reply(conv)
    assert reply.flagged and reply.backend == "safety" and "988" in reply.text
    assert reply.guidance.safety.category == "self_harm" and reply.to_dict()["guidance"]["safety"]["reply"]
    stream = responder_for(mock).stream(conv)
    assert "".join(stream) == reply.text and stream.reply.flagged
    assert mock.calls == []
    off = responder_for(mock, steps=Steps.without(["safety", "understanding", "strategy", "persona"]))
    assert not off.reply(conv).flagged


class TurnsSafety:
    """Rules that read several user turns (the ``check_turns`` form)."""

    def __init__(self) -> None:
        self.seen: list[list[str]] = []

    def check_turns(self, texts):
        self.seen.append(list(texts))
        return None


def test_safety_with_check_turns_reads_the_recent_user_turns(responder_for) -> None:
    safety = TurnsSafety()
    r = responder_for(get_backend("mock"), safety=safety, steps=Steps(understanding=False, strategy=False,
                                                                      persona=False))
    r.reply(CONV)
    assert safety.seen == [[CONV.turns[0].text, CONV.turns[2].text]]


def test_the_last_turn_must_be_the_users(responder_for) -> None:
    conv = Conversation("c", (Utterance("hi", "user"), Utterance("hello!", "assistant")))
    with pytest.raises(InputError, match="ends with the assistant's turn"):
        responder_for().reply(conv)
    with pytest.raises(InputError, match="has no turns"):
        responder_for().reply(Conversation("e", ()))
    ends_with_system = Conversation("s", (Utterance("hi", "user"), Utterance("be brief", "system")))
    assert responder_for(steps=OFF).guide(ends_with_system).instructions == ("be brief",)


OFF = Steps(understanding=False, strategy=False, persona=False)


def test_system_turns_are_instructions_first_in_the_system_message(responder_for) -> None:
    mock = get_backend("mock")
    conv = Conversation("s", (Utterance("You are the help desk of a bike shop.", "system"),
                              Utterance("My chain broke.", "user"), Utterance("Oh no! Which bike?", "assistant"),
                              Utterance("Reply in French.", "System"), Utterance("The red one.", "user")))
    reply = responder_for(mock).reply(conv)
    system = mock.calls[0].messages[0]["content"]
    assert [m["role"] for m in mock.calls[0].messages] == ["system", "user", "assistant", "user"]
    assert system.startswith("You are the help desk of a bike shop.\nReply in French.\n\n## Emotional guidance")
    assert system.index("Reply in French.") < system.index("Support strategy") < system.index("Emotion: <label>")
    assert "You are an emotionally intelligent listener" not in system  # no second identity
    g = reply.guidance
    assert g.instructions == ("You are the help desk of a bike shop.", "Reply in French.")
    assert [t.role for t in g.turns] == ["user", "assistant", "user"]
    assert g.reading.turn == 2  # system turns are not read as turns
    assert "help desk" not in json.dumps([t.to_dict() for t in g.plan().turns])


def test_roles_are_configurable_and_unknown_speakers_are_an_error(responder_for) -> None:
    support = Conversation("support-1", (Utterance("My flight got cancelled.", "customer"),
                                         Utterance("I'm so sorry. Let me look.", "agent"),
                                         Utterance("Thanks, I'm so relieved.", "customer")))
    with pytest.raises(InputError, match=r"turn 1: speaker 'customer' has no role .*--assistant"):
        responder_for(steps=OFF).guide(support)
    g = responder_for(steps=OFF, assistant="agent").guide(support)
    assert [t.role for t in g.turns] == ["user", "assistant", "user"]
    g = responder_for(steps=OFF, roles=Roles.named(user="customer", assistant="agent")).guide(support)
    assert [t.role for t in g.turns] == ["user", "assistant", "user"]
    only_agent = Conversation("x", (Utterance("Hello, how can I help?", "agent"), Utterance("Be kind.", "system")))
    with pytest.raises(InputError, match=r"'x' has no turn from the user; its turns are: assistant \(agent\), "
                                         r"system \(system\)"):
        responder_for(steps=OFF, assistant="agent").guide(only_agent)
    no_speaker = Conversation("n", (Utterance("just a text"),))
    assert responder_for(steps=OFF).guide(no_speaker).turns == (Turn("user", "just a text"),)
    with pytest.raises(ConfigError, match="two roles"):
        Roles(user=("bot",))
    with pytest.raises(ConfigError, match="roles or assistant"):
        responder_for(roles=Roles(), assistant="agent")


def test_the_assistants_own_state_feeds_the_planner_and_the_persona(responder_for) -> None:
    r = responder_for(get_backend("mock"))
    plan, predict = r.planner.plan, r.transition.predict
    seen = []

    def spy_plan(turns, history):
        seen.append(("history", list(history)))
        return plan(turns, history)

    def spy_predict(persona, *, own, other):
        seen.append(("own", own))
        return predict(persona, own=own, other=other)

    r.planner.plan, r.transition.predict = spy_plan, spy_predict
    r.guide(CONV, state=AssistantState(("Self-disclosure",), "joy"))
    r.guide(CONV)  # no state: the annotations (strategy Question, no emotion: neutral)
    assert seen == [("history", ["Self-disclosure"]), ("own", "joy"), ("history", ["Question"]), ("own", "neutral")]
    with pytest.raises(ConfigError, match="2 strategies for 1 assistant turns"):
        r.guide(CONV, state=AssistantState(("Question", None)))


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
    stream = responder_for(mock).stream(CONV)
    assert stream.guidance.strategy is not None and stream.reply is None and mock.calls == []
    assert "".join(stream) == "I would be furious too."
    reply = stream.reply
    assert reply.text == "I would be furious too." and reply.emotion_choice == "angry"
    assert reply.backend == "mock" and reply.fallback is None and reply.metadata == {"call": 1}
    with pytest.raises(RuntimeError, match="read already"):
        list(stream)


class Down(Backend):
    """A backend whose every call fails, at once or (``after``) after some pieces."""

    name = "down"
    can_stream = True

    def __init__(self, after: list[str] | None = None):
        super().__init__()
        self.after = after

    def generate(self, messages, options=None):
        raise BackendError("the endpoint is down")

    def stream(self, messages, options=None):
        yield from self.after or []
        raise BackendError("the endpoint went down")


def test_stream_falls_back_before_its_first_piece(responder_for) -> None:
    fallback = get_backend("mock", replies=["Emotion: sad\nReply: I'm still here."], chunk_size=4)
    stream = responder_for(Down(), steps=OFF, fallback=fallback).stream(CONV)
    assert "".join(stream) == "I'm still here."
    assert stream.reply.backend == "mock" and "the endpoint went down" in stream.reply.fallback
    held_back = responder_for(Down(["Emotion: sad\n"]), steps=OFF, fallback=get_backend("mock")).stream(CONV)
    assert "".join(held_back).startswith("I hear you") and held_back.reply.fallback  # nothing was shown yet
    shown = responder_for(Down(["Reply: I'm so"]), steps=OFF, fallback=get_backend("mock")).stream(CONV)
    with pytest.raises(BackendError, match="went down"):
        list(shown)  # text was already shown: no fallback
    with pytest.raises(BackendError, match="went down"):
        list(responder_for(Down(), steps=OFF).stream(CONV))


def test_a_plugin_that_returns_a_bare_string_still_works(responder_for) -> None:
    class Plain(Backend):
        name = "plain"

        def generate(self, messages, options=None):
            return "Emotion: sad\nReply: plain text"

    r = responder_for(Plain(), steps=OFF)
    assert r.reply(CONV).text == "plain text"
    stream = r.stream(CONV)
    assert "".join(stream) == "plain text" and stream.reply.metadata == {}
    assert GenerateResult.of("x") == GenerateResult("x", {})


def test_chat_session_keeps_history_instructions_and_its_own_state(responder_for) -> None:
    mock = get_backend("mock", replies=["Emotion: sad\nReply: That sounds hard.", "Reply: I'm here.",
                                        "Tell me more.", "Again?"])
    chat = ChatSession(responder_for(mock), instructions="You are a kind friend.")
    first = chat.reply("My dog died this morning.")
    assert first.text == "That sounds hard."
    assert chat.state == AssistantState((first.strategy,), first.reply_emotion)
    second = chat.stream("I miss him so much.")
    assert "".join(second) == "I'm here." and chat.state.strategies == (first.strategy, second.reply.strategy)
    assert [(t.speaker, t.text) for t in chat.conversation().turns] == [
        ("system", "You are a kind friend."), ("user", "My dog died this morning."),
        ("assistant", "That sounds hard."), ("user", "I miss him so much."), ("assistant", "I'm here.")]
    assert mock.calls[1].messages[0]["content"].startswith("You are a kind friend.\n\n")
    assert [m["role"] for m in mock.calls[1].messages] == ["system", "user", "assistant", "user"]
    chat.responder.backend = Down()
    with pytest.raises(BackendError):
        chat.reply("Are you there?")
    assert len(chat.turns) == 4  # a failed reply keeps neither turn
    chat.reset()
    assert chat.turns == [] and chat.state == AssistantState() and chat.instructions == ("You are a kind friend.",)


def test_chat_session_from_messages_with_custom_role_names(responder_for) -> None:
    mock = get_backend("mock", replies=["Sure."])
    messages = [{"role": "rules", "content": "Be brief."}, {"role": "customer", "content": "My order is late."},
                {"role": "agent", "content": "Sorry! Let me check."}, {"role": "customer", "content": "Thanks."}]
    chat = ChatSession.from_messages(responder_for(mock, steps=OFF), messages, user="customer",
                                     assistant="agent", system="rules")
    assert chat.state == AssistantState((None,)) and chat.instructions == ("Be brief.",)
    assert chat.reply().text == "Sure."
    assert [m["role"] for m in mock.calls[0].messages] == ["system", "user", "assistant", "user"]
    with pytest.raises(InputError, match="unknown role 'user'; this session's roles are customer, agent, rules"):
        chat.add("user", "hi")


def test_a_responder_pickles_as_its_recipe() -> None:
    r = Responder("mock", backend_options={"replies": ["hi"]}, roles=Roles.named(assistant="agent"),
                  steps=OFF, max_tokens=9)
    again = pickle.loads(pickle.dumps(r))
    assert again.roles == r.roles and again.steps == OFF and again.generate_options.max_tokens == 9
    assert again.backend.options.replies == ["hi"]
    with pytest.raises(ConfigError, match="cannot be sent"):
        pickle.dumps(Responder(get_backend("mock")))


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
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["conversation"] for x in rows] == ["a", "b", "c", "d"]
    assert rows[0]["reply"] == "Nice!" and rows[0]["strategy"] and "error" in rows[1]
    assert "ends with the assistant's turn" in rows[2]["error"] and rows[3]["flagged"]
    assert (summary.replies, summary.errors, summary.flagged) == (2, 2, 1)
    assert set(rows[0]) == {"conversation", "line", "reply", "flagged", "backend", "strategy", "reply_emotion",
                            "user_emotion", "emotion_choice", "fallback", "guidance"}
    assert rows[0]["user_emotion"] == rows[0]["guidance"]["reading"]["emotion7"]
    assert rows[0]["reply_emotion"] == rows[0]["guidance"]["reply_emotion"]["emotion"]
