from __future__ import annotations

import pytest

from emotive.training._cause_data import cee_scores, pairs, span_scores, token_f1


@pytest.mark.corpus("reccon")
def test_reccon_pairs_on_the_real_data() -> None:
    test = pairs("dailydialog_test")
    assert len(test) == 7097 and sum(p.label for p in test) == 1767
    for p in test[:200]:
        assert p.candidate <= p.target
        if p.span:
            text = p.inputs[1][p.offset:]
            assert text[p.span[0]:p.span[1]] == p.answer.strip()
    assert all(not p.inputs[0].startswith("neutral") for p in test)


def test_cee_scores() -> None:
    s = cee_scores([1, 1, 0, 0], [1, 0, 0, 0])
    assert s["pos_f1"] == pytest.approx(2 / 3) and s["neg_f1"] == pytest.approx(0.8)
    assert s["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)


def test_span_scores_follow_the_reccon_definitions() -> None:
    class Ex:
        def __init__(self, label: int, answer: str):
            self.label, self.answer = label, answer

    exs = [Ex(1, "refund was denied"), Ex(1, "it'll be fun"), Ex(0, ""), Ex(0, "")]
    s = span_scores(exs, ["refund was denied", "be fun", "", "something"])
    assert s["exact_match"] == 0.5
    assert s["pos_f1"] == pytest.approx((1 + token_f1("be fun", "it'll be fun")) / 2)
    assert s["f1"] == pytest.approx((1 + token_f1("be fun", "it'll be fun") + 1 + 0) / 4)
