from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from emotive._errors import InputError
from emotive.datasets import meld
from emotive.datasets.meld import fix_mojibake, read

HEADER = ("Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID,Season,Episode,"
          "StartTime,EndTime\n")


@pytest.mark.corpus("meld")
def test_test_split_counts_labels_and_first_dialogue() -> None:
    convs = list(read("test"))
    assert len(convs) == 280
    assert sum(len(c.turns) for c in convs) == 2610
    emotions = Counter(u.annotations["emotion"] for c in convs for u in c.turns)
    assert set(emotions) == set(meld.EMOTIONS) and emotions["neutral"] == 1256
    sentiments = {u.annotations["sentiment"] for c in convs for u in c.turns}
    assert sentiments == set(meld.SENTIMENTS)
    first = convs[0]
    assert first.id == "dia0" and first.annotations == {"season": 3, "episode": 19}
    assert first.turns[0].text == "Why do all you’re coffee mugs have numbers on the bottom?"
    assert (first.turns[0].speaker, first.turns[0].id) == ("Mark", "dia0_utt0")
    assert first.turns[0].annotations == {"emotion": "surprise", "sentiment": "positive"}
    assert convs[-1].id == "dia279" and len(convs[-1].turns) == 16


@pytest.mark.corpus("meld")
def test_dev_counts() -> None:
    convs = list(read("dev"))
    assert len(convs) == 114 and sum(len(c.turns) for c in convs) == 1109


def test_fix_mojibake() -> None:
    assert fix_mojibake("donâ€™t") == "don’t"
    assert fix_mojibake("don’t") == "don’t"
    assert fix_mojibake("café — “ok”") == "café — “ok”"
    assert fix_mojibake("plain") == "plain"


def _write(root: Path, body: str) -> Path:
    (root / "meld").mkdir()
    path = root / "meld" / "test_sent_emo.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_groups_orders_and_fixes_text(tmp_path: Path) -> None:
    _write(tmp_path,
           "1,second,B,joy,positive,7,1,1,2,x,y\n"
           "2,other,C,fear,negative,3,0,1,1,x,y\n"
           "3,donâ€™t,A,neutral,neutral,7,0,1,2,x,y\n")
    convs = list(read("test", tmp_path))
    assert [c.id for c in convs] == ["dia3", "dia7"]
    assert [u.text for u in convs[1].turns] == ["don’t", "second"]
    assert [u.id for u in convs[1].turns] == ["dia7_utt0", "dia7_utt1"]


def test_malformed_row_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "1,fine,A,joy,positive,0,0,1,1,x,y\n2,short,A,joy\n")
    with pytest.raises(InputError, match="expected 11 columns") as exc:
        list(read("test", tmp_path))
    assert (exc.value.source, exc.value.line) == (str(path), 3)
    assert f"{path}:3:" in str(exc.value)


def test_unknown_label_names_line(tmp_path: Path) -> None:
    _write(tmp_path, "1,fine,A,happy,positive,0,0,1,1,x,y\n")
    with pytest.raises(InputError, match="unknown emotion 'happy'") as exc:
        list(read("test", tmp_path))
    assert exc.value.line == 2


def test_unknown_split_names_choices() -> None:
    with pytest.raises(InputError, match="train, dev, test"):
        next(read("validation"))
