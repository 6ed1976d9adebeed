from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from emotive._errors import InputError
from emotive.datasets import reccon
from emotive.datasets.reccon import read


@pytest.mark.corpus("reccon")
def test_dailydialog_test_counts_labels_and_records() -> None:
    convs = {c.id: c for c in read("dailydialog_test")}
    assert len(convs) == 225
    assert sum(len(c.turns) for c in convs.values()) == 2405
    emotions = Counter(u.annotations["emotion"] for c in convs.values() for u in c.turns)
    assert set(emotions) == {"anger", "disgust", "excited", "fear", "happiness", "neutral",
                             "sadness", "surprise"}
    assert emotions["happiness"] == 676  # 675 + one "happines"
    turn = convs["tr_10180"].turns[2]
    assert (turn.id, turn.speaker) == ("tr_10180:3", "A")
    assert turn.annotations == {
        "turn": 3, "emotion": "anger", "emotion_raw": "anger", "cause_turns": [3],
        "cause_spans": ["Now , you're on housework duty while I'm here !"]}


@pytest.mark.corpus("reccon")
def test_placeholders_dropped_with_their_spans() -> None:
    convs = {c.id: c for c in read("dailydialog_test")}
    ann = convs["tr_9911"].turns[2].annotations  # evidence [1, "b"]
    assert ann["cause_turns"] == [1] and ann["cause_spans"] == ["it was nice talking to you ."]
    assert convs["tr_10180"].turns[0].annotations["cause_turns"] == []  # evidence ["b"]


@pytest.mark.corpus("reccon")
def test_other_files() -> None:
    sizes = {}
    for split in reccon.SPLITS:
        convs = list(read(split))
        sizes[split] = (len(convs), sum(len(c.turns) for c in convs))
    assert sizes == {"dailydialog_train": (834, 8206), "dailydialog_valid": (47, 493),
                     "dailydialog_test": (225, 2405), "iemocap_test": (16, 665)}
    iemocap = list(read("iemocap_test"))
    assert {u.annotations["emotion"] for c in iemocap for u in c.turns} == {
        "anger", "excited", "frustrated", "happiness", "neutral", "sadness"}


def _write(root: Path, text: str) -> Path:
    folder = root / "reccon" / "original_annotation"
    folder.mkdir(parents=True)
    path = folder / "dailydialog_test.json"
    path.write_text(text, encoding="utf-8")
    return path


def _turn(n: int, emotion: str = "happy") -> dict:
    return {"turn": n, "speaker": "AB"[n % 2], "utterance": f"u{n}", "emotion": emotion,
            "expanded emotion cause evidence": [n, "b"],
            "expanded emotion cause span": [f"u{n}", "b"], "type": ["no-context", "latent"]}


def test_normalises_emotion(tmp_path: Path) -> None:
    _write(tmp_path, json.dumps({"d1": [[_turn(1), _turn(2, "sad")]]}))
    (conv,) = read("dailydialog_test", tmp_path)
    assert [u.annotations["emotion"] for u in conv.turns] == ["happiness", "sadness"]
    assert conv.turns[0].annotations["emotion_raw"] == "happy"
    assert conv.turns[1].annotations["cause_turns"] == [2]


def test_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, '{\n  "d1": [[\n    {"turn": 1,,}\n  ]]\n}\n')
    with pytest.raises(InputError, match="invalid JSON") as exc:
        list(read("dailydialog_test", tmp_path))
    assert (exc.value.source, exc.value.line) == (str(path), 3)
    assert f"{path}:3:" in str(exc.value)


def test_malformed_dialogue_names_file_and_line(tmp_path: Path) -> None:
    bad = _turn(1)
    del bad["utterance"]
    path = _write(tmp_path, json.dumps({"d1": [[_turn(1)]], "d2": [[bad]]}, indent=4))
    with pytest.raises(InputError, match="malformed dialogue 'd2'.*utterance") as exc:
        list(read("dailydialog_test", tmp_path))
    line = path.read_text().splitlines().index('    "d2": [') + 1
    assert (exc.value.source, exc.value.line) == (str(path), line)


def test_unknown_split_names_choices() -> None:
    with pytest.raises(InputError, match="dailydialog_train, dailydialog_valid"):
        next(read("test"))
