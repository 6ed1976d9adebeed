from __future__ import annotations

import json

from emotive.analyze import mine_causes
from emotive.report._themes import terms, themes

SPANS = ["the refund was denied", "refund denied again", "they denied my refund", "CI is red",
         "the CI build is broken", "build broken on main", "the", "ok so"]


def test_lexically_close_spans_share_a_theme() -> None:
    found = themes(SPANS)
    by_member = {i: t.name for t in found for i in t.members}
    assert by_member[0] == by_member[1] == by_member[2] and "refund" in by_member[0]
    assert by_member[4] == by_member[5] and by_member[0] != by_member[4]
    assert by_member[6] == "(other)"  # no content words
    assert sorted(i for t in found for i in t.members) == list(range(len(SPANS)))  # nothing lost
    assert [len(t.members) for t in found[:2]] == sorted((len(t.members) for t in found[:2]), reverse=True)


def test_cap_sends_the_rest_to_other() -> None:
    found = themes(SPANS, clusters=1)
    assert [t.name for t in found][-1] == "(other)" and len(found) == 2
    assert themes([]) == []


def test_terms_drop_stop_words_and_add_bigrams() -> None:
    assert terms("I can't log in!") == ["log"]


def test_mine_causes_end_to_end_mechanics(tmp_path, tiny_model, tiny_conv_model) -> None:
    from emotive import Analyzer

    src = tmp_path / "chat.jsonl"
    src.write_text("\n".join(json.dumps({"id": f"c{i}", "turns": [
        {"speaker": "A", "text": "They denied my refund twice."},
        {"speaker": "B", "text": "That is outrageous!"}]}) for i in range(3)) + "\n")
    an = Analyzer(tiny_model, conversation_model=tiny_conv_model)
    an.cause_finder.threshold = 0.0  # every candidate is a cause: mechanics only
    report = mine_causes(str(src), analyzer=an, chunk=2)  # themes by meaning: the shipped encoder
    assert report.to_dict()["themes_by"] == "meaning"
    words = mine_causes(str(src), analyzer=an, chunk=2, themes_by="words")
    assert sum(t["count"] for t in words.themes) == len(words.causes) == len(report.causes)
    assert report.conversations == 3
    assert sum(t["count"] for t in report.themes) == len(report.causes)
    for t in report.themes:
        assert len(t["examples"]) == len({(q["conversation"], q["turn"], q["text"]) for q in t["examples"]})


def test_themes_by_meaning_group_spans_that_share_no_words() -> None:
    from emotive.models._encoder import SentenceEncoder

    spans = ["my refund was denied", "they would not give me my money back", "the CI build is broken",
             "tests keep failing on main"]
    found = themes(spans, vectors=SentenceEncoder(threads=1).encode(spans))  # the shipped encoder
    by_member = {i: t.name for t in found for i in t.members}
    assert by_member[0] == by_member[1] != by_member[2] == by_member[3]
    assert "(other)" not in by_member.values()
    words = {i: t.name for t in themes(spans) for i in t.members}
    assert words[0] != words[1]  # TF-IDF alone cannot see it


def test_mine_causes_refuses_an_unknown_grouping(tmp_path) -> None:
    import pytest

    from emotive import InputError

    with pytest.raises(InputError, match="themes_by"):
        mine_causes(str(tmp_path / "any.jsonl"), themes_by="topics")
