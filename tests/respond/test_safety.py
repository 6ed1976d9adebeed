from __future__ import annotations

import json

import pytest

from emotive._errors import ConfigError
from emotive.respond.safety import Safety, default_rules

RISKY = [
    ("I want to kill myself", "self_harm"),
    ("honestly i dont want to live anymore", "self_harm"),
    ("I've been cutting myself again", "self_harm"),
    ("Sometimes I think everyone would be better off if I was gone, I'm better off dead", "self_harm"),
    ("I\u2019m thinking about suicide", "self_harm"),
    ("I'm going to kill my neighbour", "harm_to_others"),
    ("I will hurt him when he gets home", "harm_to_others"),
    ("thinking of bringing a gun to school", "harm_to_others"),
]
SAFE = [
    "kill the process and restart the server",
    "I'm dying to see the new movie",
    "this pizza is to die for",
    "We were just killing time at the airport",
    "Suicide Squad was a fun film",
    "my boss is killing me with these deadlines",
    "I lost my job today and I feel awful",
    "kill all the pods in the namespace",
]


@pytest.mark.parametrize(("text", "category"), RISKY)
def test_risky_messages_are_flagged(text: str, category: str) -> None:
    flag = Safety().check(text)
    assert flag is not None and flag.category == category
    assert flag.matched.lower() in text.lower().replace("\u2019", "'")
    assert "988" in flag.reply or "findahelpline" in flag.reply


@pytest.mark.parametrize("text", SAFE)
def test_everyday_and_developer_phrases_are_not_flagged(text: str) -> None:
    assert Safety().check(text) is None


def test_rules_are_configurable(tmp_path) -> None:
    rules = default_rules()
    rules["categories"]["self_harm"]["patterns"].append(r"\bgive up on everything\b")
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules), encoding="utf-8")
    assert Safety().check("I want to give up on everything") is None
    assert Safety.from_file(path).check("I want to give up on everything").category == "self_harm"
    extra = Safety(extra_rules={"harm_to_others": [r"\bpunch (him|her)\b"]})
    assert extra.check("I'll punch him").category == "harm_to_others"


def test_bad_rules_are_config_errors(tmp_path) -> None:
    with pytest.raises(ConfigError, match="bad safety pattern"):
        Safety({"categories": {"x": {"patterns": ["(unclosed"], "reply": "r"}}})
    with pytest.raises(ConfigError, match="malformed safety rules"):
        Safety({"categories": {"x": {"reply": "r"}}})
    with pytest.raises(ConfigError, match="unknown categories"):
        Safety(extra_rules={"nope": ["x"]})
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read safety rules"):
        Safety.from_file(bad)
