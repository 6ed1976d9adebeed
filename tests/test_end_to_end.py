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


def test_triggers_of_a_clear_sentence(shipped) -> None:
    text = "Thank you so much for the help!"
    words = [t.text for t in shipped.explain(text) if t.label == "gratitude"]
    assert "Thank" in words[:2], words


def _conversation_model_shipped() -> bool:
    from emotive.models import shipped_models

    return any(m.name == "emotive.conversation-minilm.v1" for m in shipped_models())


needs_conversation_model = pytest.mark.skipif(not _conversation_model_shipped(),
                                              reason="emotive.conversation-minilm.v1 is not shipped")


@needs_conversation_model
def test_conversation_end_to_end(shipped) -> None:
    from emotive import Conversation, Utterance

    conv = Conversation("c", (Utterance("My flight got cancelled and nobody told me.", "customer"),
                              Utterance("I'm so sorry, let me fix that for you.", "agent"),
                              Utterance("I found you a seat on the next flight.", "agent"),
                              Utterance("Oh thank you so much, what a relief!", "customer")))
    res = shipped.analyze_conversation(conv)
    assert res.turns[3].emotion == "joy" and res.turns[3].vad[0] > res.turns[0].vad[0]
    assert res.turns[0].vad[0] < 3.0  # the cancelled flight reads as negative
    assert res.turns[3].causes and res.turns[3].causes[0].turn == 2  # the new seat caused the joy
    assert res.turns[3].intensity > res.turns[2].intensity


@needs_conversation_model
def test_vad_anchors_are_shipped_and_ordered() -> None:
    from emotive.taxonomy import vad_anchors

    anchors = vad_anchors()
    assert set(anchors) == set(shipped_labels())
    assert anchors["joy"][0] > anchors["neutral"][0] > anchors["sadness"][0]
    assert anchors["fear"][1] > anchors["neutral"][1]  # fear is more aroused than neutral


def shipped_labels() -> list[str]:
    from emotive import get_scheme

    return list(get_scheme("goemotions").labels)
