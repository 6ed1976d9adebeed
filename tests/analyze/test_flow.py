"""Shift, contagion and summary logic on hand-made turns (no model)."""

from __future__ import annotations

import pytest

from emotive.analyze._conversation import TurnAnalysis, flow, intensity
from emotive.schema import Analysis


def turn(i: int, speaker: str, emotion: str, v: float = 3.0) -> TurnAnalysis:
    fine = Analysis(f"t{i}", {"joy": 0.5, "neutral": 0.4}, ("joy",))
    return TurnAnalysis(i, speaker, f"t{i}", fine, emotion, {emotion: 0.9}, (v, 3.0, 3.0), 0.5)


def test_shift_when_a_speakers_emotion_changes() -> None:
    res = flow("c", [turn(0, "A", "sadness", 2.0), turn(1, "B", "neutral"),
                     turn(2, "A", "joy", 4.0), turn(3, "B", "neutral")])
    assert res.shifts == [{"turn": 2, "speaker": "A", "from": "sadness", "to": "joy",
                           "from_turn": 0, "valence_change": 2.0}]


def test_contagion_when_a_speaker_takes_up_the_others_emotion() -> None:
    res = flow("c", [turn(0, "A", "neutral"), turn(1, "B", "joy"), turn(2, "A", "joy"),
                     turn(3, "B", "joy"), turn(4, "A", "joy")])
    assert [(c["turn"], c["from_turn"]) for c in res.contagion] == [(2, 1)]
    # B and A keep their joy afterwards: that is no new contagion


def test_no_contagion_for_neutral_or_same_speaker() -> None:
    res = flow("c", [turn(0, "A", "neutral"), turn(1, "B", "neutral"), turn(2, "B", "anger"),
                     turn(3, "B", "anger")])
    assert res.contagion == []


def test_speaker_summaries() -> None:
    res = flow("c", [turn(0, "A", "anger", 2.0), turn(1, "B", "joy"), turn(2, "A", "anger", 1.0),
                     turn(3, "A", "neutral", 3.0)])
    a = res.speakers["A"]
    assert a["turns"] == 3 and a["dominant"][0] == {"emotion": "anger", "turns": 2, "share": 0.667}
    assert a["mean_vad"]["v"] == 2.0 and [p["turn"] for p in a["trajectory"]] == [0, 2, 3]
    assert list(res.speakers) == ["A", "B"]


def test_turn_records_carry_the_flow_marks() -> None:
    res = flow("c", [turn(0, "A", "neutral"), turn(1, "B", "joy"), turn(2, "A", "joy")])
    recs = res.turn_records()
    assert recs[2]["contagion_from_turn"] == 1 and recs[2]["shift_from"] == "neutral"
    assert recs[1]["shift_from"] is None and recs[0]["conversation"] == "c"


@pytest.mark.parametrize("p_neutral,v,a,expected", [(0.0, 5.0, 3.0, 1.0), (1.0, 3.0, 3.0, 0.0),
                                                     (0.5, 3.0, 4.5, 0.75), (0.0, 1.0, 1.0, 1.0)])
def test_intensity(p_neutral, v, a, expected) -> None:
    assert intensity(p_neutral, v, a) == pytest.approx(expected)
