from __future__ import annotations

import json

import numpy as np
import pytest

from emotive import InputError, analyze_file
from emotive.analyze._explain import occluded, rank, units


@pytest.mark.parametrize("text", ["I love 🍕, café!", "naïve cafe\u0301 👩‍👩‍👧 ok", "don't", "   ", "🙂"])
def test_units_are_valid_spans_of_the_original_string(text: str) -> None:
    for s, e in units(text):
        assert 0 <= s < e <= len(text) and text[s:e].strip() == text[s:e]


def test_apostrophes_stay_inside_words() -> None:
    text = "don't stop"
    assert [text[s:e] for s, e in units(text)] == ["don't", "stop"]


def test_combining_marks_stay_with_their_word() -> None:
    text = "cafe\u0301 time"
    assert [text[s:e] for s, e in units(text)] == ["cafe\u0301", "time"]


def test_occlusion_removes_one_unit_at_a_time() -> None:
    text = "so happy today!"
    assert occluded(text, units(text)) == ["happy today!", "so today!", "so happy !", "so happy today"]


def test_rank_keeps_the_largest_drops_over_the_minimum() -> None:
    spans = [(0, 2), (3, 8), (9, 14)]
    base = np.array([0.9, 0.1])
    masked = np.array([[0.88, 0.1], [0.2, 0.1], [0.7, 0.1]])
    out = rank("so happy today", spans, base, masked, ["joy", "anger"], {"joy": 0, "anger": 1}, 2)
    assert [(t.label, t.text) for t in out] == [("joy", "happy"), ("joy", "today")]
    assert out[0].score == pytest.approx(0.7)


def test_explain_offsets_with_a_real_model(tiny_analyzer) -> None:
    text = "Thank you 🙏 for the café!"
    found = tiny_analyzer.explain(text, labels=["gratitude", "joy"], top_n=5)
    for t in found:
        assert text[t.start:t.end] == t.text and t.label in {"gratitude", "joy"} and t.score >= 0.02
    with pytest.raises(InputError, match="unknown label"):
        tiny_analyzer.explain(text, labels=["happiness"])
    with pytest.raises(InputError, match="empty text"):
        tiny_analyzer.explain(" ")


def test_file_records_get_triggers(tmp_path, tiny_analyzer) -> None:
    src = tmp_path / "in.txt"
    src.write_text("what a lovely day\n")
    analyze_file(str(src), str(tmp_path / "o.jsonl"), analyzer=tiny_analyzer, explain=True)
    rec = json.loads((tmp_path / "o.jsonl").read_text())
    assert isinstance(rec["triggers"], list)


def test_stop_words_and_punctuation_are_never_candidates() -> None:
    from emotive.analyze._explain import candidates

    text = "My day... the WORST, ugh!! 😭 and I'm done."
    assert [text[s:e] for s, e in candidates(text)] == ["day", "WORST", "ugh", "😭", "done"]


def test_triggers_are_deduplicated_per_word_and_label() -> None:
    from emotive.analyze._explain import Trigger, dedupe

    found = dedupe([Trigger("joy", 0, 4, "love", 0.2), Trigger("joy", 10, 14, "Love", 0.5),
                    Trigger("love", 0, 4, "love", 0.3)])
    assert [(t.label, t.start, t.score) for t in found] == [("joy", 10, 0.5), ("love", 0, 0.3)]


def test_the_trigger_head_is_fitted_and_used_in_one_pass(tmp_path, tiny_model) -> None:
    import shutil

    from emotive import Analyzer
    from emotive.training.token_states import fit_trigger_head

    assert Analyzer(tiny_model).has_trigger_head  # the GoEmotions recipe's last step
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    info = fit_trigger_head(model, ["I love this so much", "this is awful and broken", "thanks a lot!"])
    analyzer = Analyzer(model, threads=1)
    assert analyzer.has_trigger_head and info["units"] >= 6  # love, much, awful, broken, thanks, lot
    text = "I love this café, thanks!"
    head = analyzer.explain(text, labels=["love", "gratitude"], top_n=5, method="head")
    for t in head:
        assert text[t.start:t.end] == t.text and t.text.lower() not in {"i", "this", ","}
    assert analyzer.analyze(text).scores == Analyzer(tiny_model).analyze(text).scores  # same graph outputs


def test_the_shipped_trigger_head_finds_the_emotion_words() -> None:
    from emotive import Analyzer

    analyzer = Analyzer()
    assert analyzer.has_trigger_head
    words = {t.text for t in analyzer.explain("I'm really worried the refund won't come through.")}
    assert "worried" in words
    assert [t.text for t in analyzer.explain("Thank you so much for the help!")][:1] == ["Thank"]


def test_the_shipped_model_reads_emoji_and_explain_points_at_them() -> None:
    from emotive import Analyzer

    analyzer = Analyzer(threads=1)
    text = "lol 😂 that was great"
    assert analyzer.analyze(text).top == "amusement"
    triggers = analyzer.explain(text, labels=["amusement"])
    emoji = [t for t in triggers if t.text == "😂"]
    assert emoji and text[emoji[0].start:emoji[0].end] == "😂"
    shrug = "ok 🤷‍♀️ whatever, I hate this"  # a ZWJ sequence stays one unit
    spans = {shrug[t.start:t.end] for t in analyzer.explain(shrug, top_n=5)}
    assert "🤷‍♀️" in spans and not any("🤷" in s and s != "🤷‍♀️" for s in spans)
