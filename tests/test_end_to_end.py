"""One end-to-end check of the shipped model on clear sentences."""

from __future__ import annotations

import pytest

from emotive import Analyzer


@pytest.fixture(scope="module")
def shipped() -> Analyzer:
    return Analyzer()


@pytest.mark.parametrize("text,expected", [
    ("Thank you so much, this means a lot", "gratitude"),
    ("I am so sorry for your loss, that is heartbreaking.", "sadness"),
    ("Haha that is hilarious, I can't stop laughing", "amusement"),
    ("Why would anyone do that? I don't understand what you mean.", "confusion"),
    ("I'm terrified of what the test results will show.", "fear"),
])
def test_clear_sentences_have_their_emotion_in_the_top_two(shipped, text, expected) -> None:
    ranked = [s.label for s in shipped.analyze(text).ranked(2)]
    assert expected in ranked, ranked


def test_ekman_view_of_a_clear_sentence(shipped) -> None:
    assert shipped.analyze("This is disgusting and vile.", scheme="ekman").top == "disgust"
