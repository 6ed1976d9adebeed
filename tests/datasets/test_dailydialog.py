from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from emotive._errors import InputError
from emotive.datasets import dailydialog
from emotive.datasets.dailydialog import read


@pytest.fixture(scope="module")
def test_split() -> list:
    return list(read("test"))


@pytest.mark.corpus("dailydialog")
def test_test_split_counts_and_labels(test_split: list) -> None:
    assert len(test_split) == 1000
    assert sum(len(c.turns) for c in test_split) == 7740
    emotions = Counter(u.annotations["emotion"] for c in test_split for u in c.turns)
    assert set(emotions) == set(dailydialog.EMOTIONS)
    assert emotions["neutral"] == 6321 and emotions["joy"] == 1019
    assert {u.annotations["act"] for c in test_split for u in c.turns} == set(dailydialog.ACTS)


@pytest.mark.corpus("dailydialog")
def test_test_uses_original_text_and_keeps_raw_label(test_split: list) -> None:
    conv = test_split[0]
    assert conv.id == "test-0"
    assert conv.annotations == {"topic": "Politics"}
    first, second = conv.turns[:2]
    assert first.text == "Hey man , you wanna buy some weed ?"  # convlab: "wannabuy"
    assert (first.speaker, first.id) == ("user", "test-0:0")
    assert first.annotations == {"emotion": "neutral", "emotion_raw": "no emotion",
                                 "act": "directive"}
    assert second.annotations["emotion"] == "surprise"


@pytest.mark.corpus("dailydialog")
def test_dev_is_validation_and_train_keeps_convlab_text() -> None:
    dev = list(read("dev"))
    assert len(dev) == 1000 and sum(len(c.turns) for c in dev) == 8069
    assert dev[0].id == "validation-0"
    train = next(read("train"))
    assert train.id == "train-0"
    assert train.turns[0].text == "Say, Jim, how about going for a few beers after dinner?"


def _write_corpus(root: Path, lines: list[str], original: str | None = None) -> Path:
    folder = root / "dailydialog" / "convlab3_unified"
    folder.mkdir(parents=True)
    path = folder / "test.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if original is not None:
        orig = root / "dailydialog" / "original" / "test"
        orig.mkdir(parents=True)
        (orig / "dialogues_test.txt").write_text(original, encoding="utf-8")
    return path


def _dialogue(n_turns: int, emotion: str = "happiness") -> str:
    turns = [{"speaker": "user", "utterance": f"convlab{k}", "emotion": emotion,
              "act": "inform"} for k in range(n_turns)]
    return json.dumps({"dialogue_id": "dailydialog-test-0", "original_id": "test-0",
                       "topic": "Work", "turns": turns})


def test_original_text_only_when_turn_counts_match(tmp_path: Path) -> None:
    _write_corpus(tmp_path / "a", [_dialogue(2)], " one  __eou__ two __eou__\n")
    conv = next(read("test", tmp_path / "a"))
    assert [u.text for u in conv.turns] == ["one", "two"]
    assert conv.turns[0].annotations["emotion"] == "joy"
    _write_corpus(tmp_path / "b", [_dialogue(2)], "one __eou__ two __eou__ three __eou__\n")
    assert [u.text for u in next(read("test", tmp_path / "b")).turns] == ["convlab0", "convlab1"]


def test_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    path = _write_corpus(tmp_path, [_dialogue(1), '{"original_id": "test-1", "turns": ['])
    with pytest.raises(InputError) as exc:
        list(read("test", tmp_path))
    assert (exc.value.source, exc.value.line) == (str(path), 2)
    assert f"{path}:2:" in str(exc.value)


def test_unknown_label_names_file_and_line(tmp_path: Path) -> None:
    path = _write_corpus(tmp_path, [_dialogue(1), _dialogue(1, emotion="happy")])
    with pytest.raises(InputError, match="unknown emotion 'happy'") as exc:
        list(read("test", tmp_path))
    assert exc.value.line == 2 and exc.value.source == str(path)


def test_unknown_split_names_choices() -> None:
    with pytest.raises(InputError, match="train, validation, test"):
        next(read("valid"))
