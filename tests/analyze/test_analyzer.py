from __future__ import annotations

import pytest

from emotive import Analysis, Analyzer, InputError, get_scheme


def test_single_text_and_list(tiny_fp32) -> None:
    analyzer = Analyzer(tiny_fp32, threads=1)
    one = analyzer.analyze("I am so happy for you")
    many = analyzer.analyze(["I am so happy for you", "ugh"])
    assert isinstance(one, Analysis) and len(many) == 2
    assert one.scores == pytest.approx(many[0].scores, abs=1e-5)
    assert set(one.scores) == set(get_scheme("goemotions").labels)


def test_labels_are_never_empty_and_best_first(tiny_analyzer) -> None:
    res = tiny_analyzer.analyze(["hmm", "what", "ok then"], threshold=1.0)
    for a in res:
        assert a.labels == (a.top,)
    many = tiny_analyzer.analyze("yes", threshold=0.0)
    assert len(many.labels) == 28
    assert [many.scores[lab] for lab in many.labels] == sorted(many.scores.values(), reverse=True)


def test_tuned_thresholds_decide_labels(tiny_analyzer) -> None:
    a = tiny_analyzer.analyze("this is a test sentence")
    th = dict(zip(tiny_analyzer.labels, tiny_analyzer.thresholds))
    over = {lab for lab, s in a.scores.items() if s >= th[lab]}
    assert set(a.labels) == (over or {a.top})


def test_schemes_and_top_k(tiny_analyzer) -> None:
    fine = tiny_analyzer.analyze("so annoying")
    ek = tiny_analyzer.analyze("so annoying", scheme="ekman", top_k=2)
    assert ek.scheme == "ekman" and len(ek.labels) <= 2
    assert ek.scores["anger"] == max(fine.scores[m] for m in ("anger", "annoyance", "disapproval"))
    assert len(fine.to_dict(top_k=3)["scores"]) == 3


def test_pipeline_form(tiny_analyzer) -> None:
    out = tiny_analyzer.pipeline("nice", top_k=2)
    assert len(out) == 2 and set(out[0]) == {"label", "score"}
    assert out[0]["score"] >= out[1]["score"]
    assert len(tiny_analyzer.pipeline(["a", "b"])) == 2


@pytest.mark.parametrize("bad,msg", [("", "text 1: empty text"), ("   \n", "empty text"),
                                     (None, "expected a string, got NoneType")])
def test_bad_texts(tiny_analyzer, bad, msg) -> None:
    with pytest.raises(InputError, match=msg):
        tiny_analyzer.analyze(["fine", bad] if bad is None else bad)


def test_bad_options(tiny_analyzer) -> None:
    with pytest.raises(InputError, match="threshold must be between 0 and 1"):
        tiny_analyzer.analyze("x", threshold=1.5)
    with pytest.raises(InputError, match="top_k must be at least 1"):
        tiny_analyzer.analyze("x", top_k=0)


def test_native_schemes_are_refused_for_texts(tiny_analyzer) -> None:
    from emotive import ConfigError

    with pytest.raises(ConfigError, match="scheme 'ed32' comes from its own model head"):
        tiny_analyzer.analyze("hello", scheme="ed32")
    assert tiny_analyzer.analyze("hello", scheme="plutchik").scheme == "plutchik"
