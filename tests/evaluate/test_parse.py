from __future__ import annotations

import pytest

from emotive.evaluate import parse_choice, parse_label

CHOICES = ["Joy", "Sadness", "Anger & Fear", "Guilt"]


@pytest.mark.parametrize(("answer", "expected"), [
    ("b", 1), ("B.", 1), ("(c)", 2), ("c)", 2), ("Answer: (b)", 1), ("answer: d", 3), ("**Answer:** (D)", 3),
    ("The answer is (b).", 1), ("Final answer: 4", 3), ("2", 1), ("Option 3", 2), ("guilt", 3),
    ("I think it is Guilt.", 3), ("Anger & Fear", 2), ("The scenario suggests sadness.\nAnswer: (b)", 1),
    ("A", 0), ("b) Sadness, since she lost her dog", 1),
])
def test_answers_in_many_shapes_are_read(answer: str, expected: int) -> None:
    assert parse_choice(answer, CHOICES) == expected


@pytest.mark.parametrize("answer", [
    "", "   ", "I cannot tell.", "(a) or (b)", "a, b", "(e)", "5", "E", "Sadness and joy",
    "Answer: (a) no, Answer: (c)", None,
])
def test_unparsable_answers_are_none_never_a_guess(answer: str | None) -> None:
    assert parse_choice(answer, CHOICES) is None


def test_a_choice_that_contains_another_wins_over_its_part() -> None:
    assert parse_choice("anger & fear", ["Anger", "Anger & Fear"]) == 1
    assert parse_choice("anger", ["Anger", "Anger & Fear"]) == 0


def test_labels_from_their_field_line() -> None:
    labels = ["afraid", "sad", "proud"]
    assert parse_label("Emotion: **Sad**\nReply: I'm so sorry.", labels, "emotion") == "sad"
    assert parse_label("Emotion: happy\nReply: yay", labels, "emotion") is None
    assert parse_label("Reply: nothing else", labels, "emotion") is None
