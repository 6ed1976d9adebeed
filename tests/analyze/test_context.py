from __future__ import annotations

from emotive import Utterance
from emotive.analyze._context import context_input

TURNS = [Utterance("t0", "A"), Utterance("t1", "B"), Utterance("t2", "A"), Utterance("t3", "C"),
         Utterance("t4", "A")]


def test_first_turn_has_no_context() -> None:
    assert context_input(TURNS, 0) == ("t0", "")


def test_most_recent_first_with_speaker_marks_and_window() -> None:
    assert context_input(TURNS, 4) == ("t4", "(other) t3 (same) t2 (other) t1")
    assert context_input(TURNS, 4, window=1) == ("t4", "(other) t3")


def test_ablations() -> None:
    assert context_input(TURNS, 4, speakers=False) == ("t4", "t3 t2 t1")
    assert context_input(TURNS, 4, window=0) == ("t4", "")
