"""hef and strategy end to end: on made-up corpora in the real formats always, on the real
corpora when they are there; against a loopback server, the offline backends and sem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from emotive.evaluate import evaluate
from emotive.evaluate._hef import LABELS


def hef_action(helpers: Any) -> Any:
    """Names 'sad' unguided; guided, the first of emotive's candidates (or 'sad')."""
    def act(handler: Any, body: dict[str, Any]) -> None:
        system = body["messages"][0]["content"]
        first = system.split("Choose it among ", 1)[1].split(",")[0].split(" first")[0] if "first;" in system else "sad"
        helpers.chat_reply(handler, body, f"Emotion: {first}\nReply: That sounds like a lot to carry.")
    return act


def test_hef_over_http_guided_vs_unguided(loopback: Any, synthetic_data: Path, tmp_path: Path,
                                          helpers: Any) -> None:
    loopback.script(hef_action(helpers))
    report = evaluate("hef", data=str(synthetic_data), backend="openai", options={"base_url": loopback.url},
                      out=tmp_path, n=5)
    d = report.data
    assert set(d["conditions"]) == {"guided", "unguided"}
    tr = d["transcripts"]
    assert len(tr) == 10
    unguided = [t for t in tr if t["condition"] == "unguided" and not t["fixed"]]
    assert all(t["parsed"] == "sad" and t["values"]["correct"] == float(t["gold"] == "sad") for t in unguided)
    guided = [t for t in tr if t["condition"] == "guided" and not t["fixed"]]
    assert all(t["parsed"] == t["meta"]["sem_top1"] for t in guided)
    assert all("first; only if none of them fits" in t["messages"][0]["content"] for t in guided)
    metrics = d["suite_metrics"]["guided"]
    assert 0 < metrics["distinct_1"]["value"] <= 1 and metrics["sem_top1_accuracy"]["n"] == len(guided)
    assert "guided - unguided" in d["differences"]


@pytest.mark.parametrize("backend", ["retrieval", "sem"])
def test_hef_offline_backends(backend: str, synthetic_data: Path, tmp_path: Path) -> None:
    report = evaluate("hef", data=str(synthetic_data), backend=backend, out=tmp_path, n=4, concurrency=1)
    for cond in ("guided", "unguided"):
        block = report.data["conditions"][cond]
        assert block["failed"] == 0
        answered = [t for t in report.data["transcripts"] if t["condition"] == cond and not t["fixed"]]
        assert answered
        for t in answered:
            if backend == "sem":
                assert t["parsed"] in LABELS
            else:  # the label of the conversation its reply comes from; an ESConv reply has no ED label
                label = t["metadata"]["label"]
                assert t["parsed"] == (label if label in LABELS else None)
                assert t["note"] == (None if label in LABELS else "unparsable")


def strategy_action(helpers: Any) -> Any:
    """Always (a) Question unguided; guided, the planner's suggestion as its text."""
    def act(handler: Any, body: dict[str, Any]) -> None:
        system = body["messages"][0]["content"]
        marker = "- emotive's strategy planner suggests: "
        reply = system.split(marker, 1)[1].splitlines()[0] if marker in system else "Answer: (a)"
        helpers.chat_reply(handler, body, reply)
    return act


def test_strategy_over_http_beside_the_planner(loopback: Any, synthetic_data: Path, tmp_path: Path,
                                               helpers: Any) -> None:
    loopback.script(strategy_action(helpers))
    report = evaluate("strategy", data=str(synthetic_data), backend="openai", options={"base_url": loopback.url},
                      out=tmp_path, n=12)
    d = report.data
    unguided = d["suite_metrics"]["unguided"]
    assert unguided["top_strategy"] == "Question" and unguided["top_strategy_share"] == 1.0
    ref = d["reference"]
    assert set(ref) >= {"planner + guard, gold history", "planner, no guard, tagged history",
                        "always the most frequent", "Markov: most frequent after the previous strategy"}
    # guided, the server copies the planner's choice: its accuracy is the planner's on the same turns
    planner = ref["planner + guard, gold history"]["accuracy"]["value"]
    assert d["suite_metrics"]["guided"]["accuracy"]["value"] == planner
    assert d["conditions"]["unguided"]["items"] == 12
    q = d["suite_metrics"]["unguided"]["proficiency_q"]
    assert q["low"] <= q["value"] <= q["high"]


def test_strategy_offline_backend_reads_the_strategy_from_metadata(synthetic_data: Path, tmp_path: Path) -> None:
    report = evaluate("strategy", data=str(synthetic_data), backend="templates", out=tmp_path, n=6)
    notes = {t["note"] for t in report.data["transcripts"]}
    assert notes == {"from the backend's metadata"}


def test_strategy_reference_rows_alone(synthetic_data: Path, tmp_path: Path) -> None:
    report = evaluate("strategy", data=str(synthetic_data), backend=None, out=tmp_path, n=0)
    assert report.data["conditions"] == {} and report.data["transcripts"] == []
    n = report.data["reference"]["always the most frequent"]["accuracy"]["n"]
    assert n > 12  # every supporter turn after the first of the made-up test split


@pytest.mark.corpus("empatheticdialogues", "esconv")
def test_on_the_real_corpora(tmp_path: Path) -> None:
    hef = evaluate("hef", backend="templates", out=tmp_path / "hef", n=3)
    assert hef.data["conditions"]["guided"]["items"] == 3
    strategy = evaluate("strategy", backend="sem", out=tmp_path / "strategy", n=4, modes=("unguided",))
    assert strategy.data["conditions"]["unguided"]["unparsable"] == 0


def test_hef_reads_the_choice_from_the_emotion_line_only(loopback: Any, synthetic_data: Path, tmp_path: Path,
                                                         helpers: Any) -> None:
    """A reply's own words ('sad', 'proud') are never taken for its emotion choice."""
    loopback.script(lambda handler, body: helpers.chat_reply(handler, body, "I'm so sad and proud for you."))
    report = evaluate("hef", data=str(synthetic_data), backend="openai", options={"base_url": loopback.url},
                      out=tmp_path, n=3, modes=("unguided",))
    answered = [t for t in report.data["transcripts"] if not t["fixed"]]
    assert answered and all(t["parsed"] is None and t["note"] == "unparsable" for t in answered)
