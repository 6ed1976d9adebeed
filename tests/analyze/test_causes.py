from __future__ import annotations

import numpy as np
import pytest

from emotive import Conversation, ModelError, Utterance
from emotive.analyze._causes import CauseFinder, best_span
from emotive.analyze._context import cause_input
from emotive.models import OnnxModel
from emotive.models._tokenize import load_tokenizer
from emotive.training._base import default_base_dir


@pytest.fixture(scope="module")
def tok():
    return load_tokenizer(default_base_dir() / "tokenizer.json", 128)


@pytest.mark.parametrize("text", ["They denied my refund 🍕 twice!", "cafe\u0301 au lait 👩‍👩‍👧", "ok"])
def test_best_span_gives_valid_char_offsets(tok, text) -> None:
    turns = [Utterance(text, "A"), Utterance("So angry.", "A")]
    a, b, offset = cause_input(turns, 1, 0, "anger")
    enc = tok.encode(a, b)
    rng = np.random.default_rng(0)
    for _ in range(20):
        start, end = rng.normal(size=len(enc.ids)), rng.normal(size=len(enc.ids))
        s, e = best_span(enc, start, end, offset, len(text), max_tokens=30)
        assert 0 <= s <= e <= len(text)


def test_best_span_picks_the_marked_words(tok) -> None:
    text = "They denied my refund again"
    turns = [Utterance(text, "A"), Utterance("So angry.", "A")]
    a, b, offset = cause_input(turns, 1, 0, "anger")
    enc = tok.encode(a, b)
    start, end = np.zeros(len(enc.ids)), np.zeros(len(enc.ids))
    start[enc.tokens.index("denied")] = 5.0
    end[enc.tokens.index("##und") if "##und" in enc.tokens else enc.tokens.index("refund")] = 5.0
    s, e = best_span(enc, start, end, offset, len(text), max_tokens=30)
    assert text[s:e] == "denied my refund"
    start[enc.tokens.index("they")] = 9.0  # the first word of the candidate
    start[1] = 99.0  # a token of the target: outside the candidate, ignored
    s, e = best_span(enc, start, end, offset, len(text), max_tokens=30)
    assert text[s:e] == "They denied my refund"


def test_finder_on_a_conversation(tiny_conv_model) -> None:
    finder = CauseFinder(OnnxModel(tiny_conv_model, threads=1), window=2)
    finder.threshold = 0.0  # every candidate counts: checks the plumbing, not the model
    turns = [Utterance("The refund was denied 🙄", "A"), Utterance("Again?!", "B"),
             Utterance("Yes. I'm done with them.", "A"), Utterance("ok", "B")]
    found = finder.causes(turns, ["neutral", "surprise", "anger", "neutral"])
    assert found[0] == [] and found[3] == []
    assert sorted(c.turn for c in found[2]) == [0, 1, 2]  # window 2: turns 0..2
    for k, causes in enumerate(found):
        for c in causes:
            assert c.turn <= k and turns[c.turn].text[c.start:c.end] == c.text
        assert [c.score for c in causes] == sorted((c.score for c in causes), reverse=True)


def test_several_conversations_at_once_match_one_at_a_time(tiny_conv_fp32) -> None:
    # fp32: int8 activations are quantized per batch, so batch-mates would move scores a little
    finder = CauseFinder(OnnxModel(tiny_conv_fp32, threads=1, batch_size=4), window=3)
    finder.threshold = 0.0  # every candidate counts: checks the plumbing, not the model
    a = [Utterance("The refund was denied 🙄", "A"), Utterance("Again?!", "B"),
         Utterance("Yes. I'm done with them.", "A")]
    b = [Utterance("We won the cup!", "X"), Utterance("No way, amazing!", "Y")]
    jobs = [(a, ["neutral", "surprise", "anger"], None), ([Utterance("hi", "Z")], ["neutral"], None),
            (b, ["joy", "joy"], [1])]
    together = finder.causes_many(jobs)
    alone = [finder.causes(*job) for job in jobs]
    assert [[[(c.turn, c.start, c.end) for c in t] for t in conv] for conv in together] == \
           [[[(c.turn, c.start, c.end) for c in t] for t in conv] for conv in alone]
    for conv_t, conv_a in zip(together, alone):
        for t, u in zip(conv_t, conv_a):
            assert [c.score for c in t] == pytest.approx([c.score for c in u], abs=1e-5)
    assert together[2][0] == [] and len(together[2][1]) == 2  # only turn 1 of b was asked for


def test_no_emotional_turn_means_no_causes(tiny_conv_model) -> None:
    finder = CauseFinder(OnnxModel(tiny_conv_model, threads=1))
    assert finder.causes([Utterance("hi", "A")], ["neutral"]) == [[]]


def test_conversation_analysis_carries_causes(tiny_model, tiny_conv_model) -> None:
    from emotive import Analyzer

    an = Analyzer(tiny_model, conversation_model=tiny_conv_model, cause_model=tiny_conv_model)
    conv = Conversation("c", (Utterance("I lost my job.", "A"), Utterance("Oh no.", "B")))
    res = an.analyze_conversation(conv, causes=True)
    assert all(isinstance(t.causes, tuple) for t in res.turns)
    assert "causes" in res.to_dict()["turns"][0]
    assert an.analyze_conversation(conv, causes=False).turns[0].causes is None


def test_the_conversation_model_finds_causes_with_its_shared_encoder(tiny_model, tiny_conv_model) -> None:
    from emotive import Analyzer

    an = Analyzer(tiny_model, conversation_model=tiny_conv_model)
    assert "cause" in an.conversation_model.manifest.heads
    assert an.cause_finder.model is an.conversation_model and an.has_cause_model()
    conv = Conversation("c", (Utterance("I lost my job.", "A"), Utterance("Oh no.", "B")))
    assert all(t.causes is not None for t in an.analyze_conversation(conv).turns)
    fine_only = Analyzer(tiny_model, conversation_model=tiny_conv_model, cause_model=tiny_model)
    with pytest.raises(ModelError, match="has no cause head"):
        fine_only.cause_finder  # noqa: B018
    assert not fine_only.has_cause_model()


def test_truncated_pairs_are_flagged(tiny_conv_model) -> None:
    from emotive.analyze._causes import Cause

    finder = CauseFinder(OnnxModel(tiny_conv_model, threads=1))
    long = "I waited at the station " * 60
    _, cut = finder.score_flagged([("I am upset", "it rained"), ("I am upset", long)], [0, 0],
                                  ["it rained", long])
    assert cut.tolist() == [False, True]
    finder.threshold = 0.0  # keep every candidate, so the long one is among the causes
    turns = [Utterance(long, "A"), Utterance("That made me so angry.", "A")]
    causes = finder.causes(turns, ["neutral", "anger"])[1]
    flags = {c.turn: c.truncated for c in causes}
    assert flags[0] is True and flags[1] is False
    assert Cause(0, 0, 1, "x", 0.9, True).to_dict()["truncated"] is True
    assert "truncated" not in Cause(0, 0, 1, "x", 0.9).to_dict()
