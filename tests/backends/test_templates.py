"""The templates backend: our own replies by strategy and emotion, from the shipped file or a user's."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from emotive._errors import ConfigError
from emotive.backends import GenerateOptions, backend_class, backend_names, describe_backends, get_backend
from emotive.backends.templates import EMOTIONS7, TemplatesBackend, load_templates
from emotive.datasets.esconv import STRATEGIES
from emotive.schema import Plan, Turn

SHIPPED = Path(__file__).parents[2] / "src" / "emotive" / "backends" / "templates.json"
USER_TEXT = "I failed my exam again."


def plan(strategy: str | None = None, emotion: str | None = None, *turns: tuple[str, str]) -> GenerateOptions:
    given = tuple(Turn(r, t) for r, t in turns) or (Turn("user", USER_TEXT),)
    return GenerateOptions(plan=Plan(given, strategy=strategy, user_emotion=emotion))


def shape(**changes: Any) -> dict[str, Any]:
    """A small valid templates file, with ``changes`` applied."""
    data: dict[str, Any] = {
        "feelings": {e: [f"{e}-feel"] for e in EMOTIONS7},
        "strategies": {s: [f"{s}: that is {{feeling}}."] for s in STRATEGIES},
        "positive": {s: [f"{s}: good, {{feeling}}!"] for s in STRATEGIES},
    }
    data.update(changes)
    return data


def write(tmp_path: Path, data: Any) -> str:
    path = tmp_path / "mine.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def test_every_strategy_and_emotion_gives_a_filled_reply() -> None:
    backend = TemplatesBackend()
    for strategy in STRATEGIES:
        for emotion in EMOTIONS7:
            result = backend.generate([], plan(strategy, emotion))
            assert result.text.strip() and "{" not in result.text and "}" not in result.text
            assert result.metadata == {"strategy": strategy, "emotion": emotion, "source": "templates",
                                       "variant": result.metadata["variant"]}


def test_every_shipped_variant_fills_with_every_feeling() -> None:
    t = load_templates()
    for table in (t.strategies, t.positive):
        assert set(table) == set(STRATEGIES)
        for strategy, variants in table.items():
            assert len(variants) >= 2 or table is t.positive, strategy
            for variant in variants:
                for emotion in EMOTIONS7:
                    for feeling in t.feelings[emotion]:
                        assert "{" not in variant.format(feeling=feeling)


def test_shipped_data_has_no_links_numbers_or_hotlines() -> None:
    data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    text = json.dumps([data["feelings"], data["strategies"], data["positive"]])  # "about" may name them
    assert not re.search(r"https?://|www\.|\d{3}|hotline|helpline|\bcall\b", text, re.IGNORECASE)


def test_deterministic_per_seed_and_varied_across_texts() -> None:
    texts = [f"Something went wrong at work, day {i}." for i in range(30)]

    def replies(seed: int) -> list[str]:
        backend = TemplatesBackend(seed=seed)
        return [backend.generate([], plan("Question", "sadness", ("user", t))).text for t in texts]

    first = replies(0)
    assert replies(0) == first
    assert replies(1) != first
    assert len(set(first)) >= 3


def test_the_previous_assistant_reply_is_not_repeated() -> None:
    backend = TemplatesBackend()
    before = backend.generate([], plan("Others", "neutral", ("user", "hello")))
    turns = (("user", "hello"), ("assistant", before.text), ("user", "hello"))
    after = backend.generate([], plan("Others", "neutral", *turns))
    assert after.text != before.text
    assert after.metadata["variant"] != before.metadata["variant"]
    first = backend.generate([{"role": "user", "content": "hello"}])  # no plan: the messages
    messages = [{"role": "user", "content": "hello"}, {"role": "assistant", "content": first.text},
                {"role": "user", "content": "hello"}]
    assert backend.generate(messages).text != first.text


def test_joy_uses_the_positive_replies() -> None:
    t = load_templates()
    for strategy in STRATEGIES:
        result = TemplatesBackend().generate([], plan(strategy, "joy"))
        filled = {v.format(feeling=f) for v in t.positive[strategy] for f in t.feelings["joy"]}
        assert result.text in filled
        assert result.text.startswith(t.positive[strategy][result.metadata["variant"]].split("{")[0])
    sad = TemplatesBackend().generate([], plan("Reflection of feelings", "sadness")).text
    assert sad not in {v.format(feeling=f) for v in t.positive["Reflection of feelings"] for f in t.feelings["sadness"]}


def test_without_a_plan_the_last_user_message_gets_a_neutral_reflection() -> None:
    backend = TemplatesBackend()
    messages = [{"role": "system", "content": "be kind"}, {"role": "user", "content": USER_TEXT}]
    result = backend.generate(messages)
    assert result.metadata["strategy"] == "Reflection of feelings"
    assert result.metadata["emotion"] == "neutral"
    assert result.text == backend.generate([], plan(None, None)).text
    unknown = backend.generate([], plan("Shouting", "ennui"))
    assert (unknown.metadata["strategy"], unknown.metadata["emotion"]) == ("Reflection of feelings", "neutral")


def test_a_custom_file_is_used(tmp_path: Path) -> None:
    backend = get_backend("templates", file=write(tmp_path, shape()))
    assert backend.generate([], plan("Question", "fear")).text == "Question: that is fear-feel."
    assert backend.generate([], plan("Information", "joy")).text == "Information: good, joy-feel!"


@pytest.mark.parametrize(("data", "message"), [
    ("{not json", "cannot be read"),
    ([1, 2], "must hold a JSON object"),
    (shape(feelings={"anger": ["x"]}), "'feelings' lacks 'disgust'"),
    (shape(positive=None), "'positive' must be an object"),
    (shape(strategies={**shape()["strategies"], "Question": []}), "strategies.Question must be a non-empty list"),
    (shape(strategies={**shape()["strategies"], "Question": ["I feel {mood}"]}), r"uses \['mood'\]"),
    (shape(strategies={**shape()["strategies"], "Others": ["unclosed {feeling"]}), "brace"),
    (shape(strategies={**shape()["strategies"], "Others": ["see https://example.org"]}), "safety step"),
    (shape(strategies={**shape()["strategies"], "Others": ["Call 555 123 4567"]}), "phone number"),
])
def test_a_bad_file_is_a_clear_config_error(tmp_path: Path, data: Any, message: str) -> None:
    path = write(tmp_path, data)
    with pytest.raises(ConfigError, match=message) as info:
        TemplatesBackend(file=path)
    assert path in str(info.value)


def test_a_missing_file_and_a_bad_option_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nowhere.json"):
        TemplatesBackend(file=str(tmp_path / "nowhere.json"))
    with pytest.raises(ConfigError, match="accepted: seed, file"):
        TemplatesBackend(sead=1)


def test_registered_by_entry_point() -> None:
    assert "templates" in backend_names()
    assert backend_class("templates") is TemplatesBackend
    described = next(d for d in describe_backends() if d["name"] == "templates")
    assert described["error"] is None and described["can_stream"] is False
    assert [o["name"] for o in described["options"]] == ["seed", "file"]


def test_responder_replies_end_to_end() -> None:
    from emotive import Conversation, Utterance
    from emotive.respond import Responder

    reply = Responder("templates").reply(Conversation("c", (Utterance(USER_TEXT, "user"),)))
    assert reply.backend == "templates" and reply.fallback is None
    assert reply.text.strip() and "{" not in reply.text
    assert reply.metadata["source"] == "templates"
    assert reply.metadata["strategy"] in STRATEGIES and reply.metadata["emotion"] in EMOTIONS7
