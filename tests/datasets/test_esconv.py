from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from emotive._errors import InputError
from emotive.datasets import esconv
from emotive.datasets._paths import corpus_dir
from emotive.datasets.esconv import STRATEGIES, read


@pytest.mark.corpus("esconv")
def test_strategies_match_strategy_json() -> None:
    listed = json.loads((corpus_dir("esconv") / "strategy.json").read_text(encoding="utf-8"))
    assert list(STRATEGIES) == [s.strip("[]") for s in listed]
    assert len(STRATEGIES) == 8 and esconv.COMMERCIAL_USE is False


@pytest.mark.corpus("esconv")
def test_test_counts_labels_and_first_dialogue() -> None:
    convs = list(read("test"))
    assert len(convs) == 195
    assert sum(len(c.turns) for c in convs) == 6039
    speakers = Counter(u.speaker for c in convs for u in c.turns)
    assert speakers == {"usr": 3144, "sys": 2895}
    used = {u.annotations["strategy"] for c in convs for u in c.turns if u.speaker == "sys"}
    assert used == set(STRATEGIES)
    assert all(not u.annotations for c in convs for u in c.turns if u.speaker == "usr")
    first = convs[0]
    assert first.id == "test-0"
    assert first.annotations == {
        "emotion_type": "depression", "problem_type": "ongoing depression",
        "situation": "I am always depressed and the upcoming holidays are making it a lot worse."}
    assert first.turns[0].text == "Hello. How are you today?"
    assert first.turns[0].annotations == {"strategy": "Others"}
    assert (first.turns[1].speaker, first.turns[1].id) == ("usr", "test-0:1")


@pytest.mark.corpus("esconv")
def test_dev_alias_counts() -> None:
    convs = list(read("dev"))
    assert len(convs) == 195 and sum(len(c.turns) for c in convs) == 5678
    assert convs[0].id == "valid-0"


def _write(root: Path, lines: list[str]) -> Path:
    (root / "esconv").mkdir()
    path = root / "esconv" / "test.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = json.dumps({"emotion_type": "anger", "problem_type": "job crisis", "situation": "s",
                   "dialog": [{"text": "hi", "speaker": "usr"},
                              {"text": "hello", "speaker": "sys", "strategy": "Question"}]})


def test_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, [GOOD, GOOD, '{"emotion_type": "anger", "dialog": '])
    with pytest.raises(InputError, match="invalid JSON") as exc:
        list(read("test", tmp_path))
    assert (exc.value.source, exc.value.line) == (str(path), 3)
    assert f"{path}:3:" in str(exc.value)


def test_unknown_strategy_names_line(tmp_path: Path) -> None:
    bad = GOOD.replace('"Question"', '"Questions"')
    path = _write(tmp_path, [GOOD, bad])
    with pytest.raises(InputError, match="unknown strategy 'Questions'") as exc:
        list(read("test", tmp_path))
    assert exc.value.line == 2 and exc.value.source == str(path)


def test_missing_field_names_field_and_line(tmp_path: Path) -> None:
    _write(tmp_path, [GOOD, json.dumps({"emotion_type": "anger", "dialog": []})])
    with pytest.raises(InputError, match="problem_type") as exc:
        list(read("test", tmp_path))
    assert exc.value.line == 2


def test_unknown_split_names_choices() -> None:
    with pytest.raises(InputError, match="train, valid, test"):
        next(read("validation"))
