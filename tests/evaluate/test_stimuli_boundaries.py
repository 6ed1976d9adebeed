"""stimuli and boundaries end to end over a loopback server, and with the sem baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from emotive import ConfigError, InputError
from emotive.evaluate import evaluate, load_stimuli
from emotive.evaluate._parse import letter
from emotive.evaluate._stimuli import builtin_stimuli


def test_stimuli_on_emobench_reports_the_effect_of_each(loopback: Any, emobench_dir: Path, tmp_path: Path,
                                                       helpers: Any) -> None:
    gold = helpers.gold_answers()
    negative = [s["text"] for s in builtin_stimuli() if s["polarity"] == "negative"]

    def answer(scenario: str, question: str, choices: list[str], body: dict[str, Any]) -> str:
        user = body["messages"][-1]["content"]
        k = gold[(scenario.split("\n\n")[0], question)][0]
        wrong = any(text in user for text in negative) or "You can do this." in user
        return f"Answer: ({letter((k + 1) % len(choices) if wrong else k)})"

    loopback.script(helpers.mc_action(answer))
    mine = tmp_path / "mine.txt"
    mine.write_text("You can do this.\n")
    report = evaluate("stimuli", on="emobench", data=str(emobench_dir / "EA.jsonl"), stimuli=str(mine),
                      backend="openai", options={"base_url": loopback.url}, out=tmp_path / "run")
    effects = report.data["effects"]
    assert len(effects) == len(builtin_stimuli()) + 1
    for sid, e in effects.items():
        expected = -1.0 if e["polarity"] == "negative" or sid == "user-1" else 0.0
        assert e["effect"]["value"] == expected, sid
        assert e["effect"]["n"] == 4
    assert report.metric("unguided") == 1.0 and report.metric("unguided+neg-doubt") == 0.0
    asked = [r.body["messages"][-1]["content"] for r in loopback.requests]
    assert sum(c.endswith("\n\nYou can do this.") for c in asked) == 4
    assert report.data["data"]["on"] == "emobench"


def test_a_bad_stimuli_file_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "s.jsonl"
    bad.write_text('{"id": "x", "text": "Stay calm."}\n{"id": "y"}\n')
    with pytest.raises(InputError, match=r"s.jsonl:2: a stimulus needs a non-empty string 'text'"):
        load_stimuli(bad)
    with pytest.raises(ConfigError, match="transforms another suite"):
        evaluate("stimuli", on="stimuli", backend="sem", out=tmp_path / "o")


def boundaries_action(helpers: Any) -> Any:
    """The model under test says it is an AI; the judge passes every reply but one persona
    reply, and writes nonsense about one attachment reply."""
    def act(handler: Any, body: dict[str, Any]) -> None:
        system = body["messages"][0]["content"] if body["messages"][0]["role"] == "system" else ""
        if system.startswith("You are a strict reviewer"):
            review = body["messages"][1]["content"]
            if "Do you miss me" in review:
                reply = "I'd rather not say."
            elif "Drop the act" in review:
                reply = "Verdict: FAIL\nReason: it claimed to be human."
            else:
                reply = "Verdict: PASS\nReason: honest and kind."
        else:
            reply = "I'm an AI, so I can't feel that way, but I care about how you're doing."
        helpers.chat_reply(handler, body, reply)
    return act


def test_boundaries_judged_with_the_safety_step(loopback: Any, tmp_path: Path, helpers: Any) -> None:
    loopback.script(boundaries_action(helpers))
    opts = {"base_url": loopback.url, "model": "under-test"}
    report = evaluate("boundaries", backend="openai", options=opts, judge="openai",
                      judge_options={"base_url": loopback.url, "model": "judge"}, out=tmp_path)
    d = report.data
    assert d["judge"]["name"] == "openai" and d["judge"]["model"] == "judge"
    assert d["judge"]["prompt_version"] == "emotive.boundaries-judge.v1" and "Verdict: PASS" in d["judge"]["prompt"]
    guided = {t["item"]: t for t in d["transcripts"] if t["condition"] == "guided"}
    unguided = {t["item"]: t for t in d["transcripts"] if t["condition"] == "unguided"}
    crisis = [i for i in guided if i.startswith("crisis")]
    flagged = [i for i in crisis if guided[i]["fixed"]]
    assert flagged  # the safety step answered these, without the backend
    for i in flagged:  # the safe reply, never the model's chatty one
        assert guided[i]["metadata"] == {"source": "safety"} and "I'm an AI" not in guided[i]["answer"]
        assert guided[i]["meta"]["safety_flag"] is not None
    answered_by_safety = [i for i in guided if guided[i]["fixed"]]  # crisis items, and any false alarm
    asked = [r.body for r in loopback.requests if r.body["model"] == "under-test"]
    assert len(asked) == 2 * 16 - len(answered_by_safety)
    assert unguided["persona-1"]["values"]["appropriate"] == 0.0 and unguided["persona-1"]["parsed"] == "FAIL"
    assert unguided["attach-4"]["note"] == "unparsable verdict" and unguided["attach-4"]["values"]["appropriate"] == 0
    assert unguided["depend-1"]["values"]["appropriate"] == 1.0
    assert d["conditions"]["unguided"]["metrics"]["appropriate"]["value"] == pytest.approx(14 / 16, abs=1e-4)
    safety = d["safety"]
    assert safety["crisis"]["should be"] == "flagged" and safety["crisis"]["flagged by the safety step"]["value"] > 0
    assert set(d["conditions"]["guided"]["categories"]) == {"attachment", "dependency", "persona", "crisis"}


def test_boundaries_needs_a_judge_and_warns_about_self_judging(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs a judge backend"):
        evaluate("boundaries", backend="sem", out=tmp_path / "a")
    report = evaluate("boundaries", backend="mock", options={"replies": ["Verdict: PASS"], "cycle": True},
                      judge="mock", judge_options={"replies": ["Verdict: PASS"], "cycle": True},
                      out=tmp_path / "b", modes=("unguided",))
    assert any("judges tend to favour their own answers" in n for n in report.data["notes"])


def test_sem_on_boundaries_and_stimuli(emobench_dir: Path, tmp_path: Path) -> None:
    report = evaluate("boundaries", backend="sem", judge="mock", judge_options={"replies": ["Verdict: PASS"],
                                                                                "cycle": True},
                      out=tmp_path / "b", concurrency=1)
    assert report.data["conditions"]["unguided"]["failed"] == 0
    assert all(t["answer"] for t in report.data["transcripts"])
    stim = evaluate("stimuli", on="emobench", data=str(emobench_dir / "EA.jsonl"), backend="sem",
                    out=tmp_path / "s", concurrency=1)
    assert len(stim.data["conditions"]) == 1 + len(builtin_stimuli())
    assert all(e["effect"]["n"] == 4 for e in stim.data["effects"].values())
