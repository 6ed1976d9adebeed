from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from emotive._errors import InputError
from emotive.datasets import empatheticdialogues
from emotive.datasets.empatheticdialogues import LABELS, read

HEADER = "conv_id,utterance_idx,context,prompt,speaker_role,utterance\n"


def test_labels_constant() -> None:
    assert len(LABELS) == 32 and LABELS == sorted(set(LABELS))
    assert empatheticdialogues.COMMERCIAL_USE is False


@pytest.mark.corpus("empatheticdialogues")
def test_valid_counts_labels_and_first_conversation() -> None:
    convs = list(read("valid"))
    assert len(convs) == 2770
    assert sum(len(c.turns) for c in convs) == 12079
    assert {c.annotations["emotion"] for c in convs} == set(LABELS)
    first = convs[0]
    assert first.id == "hit:3_conv:6"
    assert first.annotations["emotion"] == "terrified"
    assert first.annotations["situation"].startswith("Today,as i was leaving for work")
    assert [u.speaker for u in first.turns[:2]] == ["speaker", "listener"]
    assert first.turns[0].id == "hit:3_conv:6:1"


@pytest.mark.corpus("empatheticdialogues")
def test_test_counts_and_dev_alias() -> None:
    convs = list(read("test"))
    assert len(convs) == 2550 and sum(len(c.turns) for c in convs) == 10986
    roles = Counter(u.speaker for c in convs for u in c.turns)
    assert roles == {"speaker": 5721, "listener": 5265}
    assert next(read("dev")).id == "hit:3_conv:6"


def _write(root: Path, body: str) -> Path:
    (root / "empatheticdialogues").mkdir()
    path = root / "empatheticdialogues" / "test.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_groups_consecutive_rows(tmp_path: Path) -> None:
    _write(tmp_path, 'c1,1,sad,"I lost, sadly",speaker,hi\nc1,2,sad,"I lost, sadly",listener,oh\n'
                     "c2,1,proud,won,speaker,yay\n")
    convs = list(read("test", tmp_path))
    assert [(c.id, len(c.turns)) for c in convs] == [("c1", 2), ("c2", 1)]
    assert convs[0].annotations == {"emotion": "sad", "situation": "I lost, sadly"}


def test_malformed_row_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "c1,1,sad,s,speaker,hi\nc1,x,sad,s,listener,oh\n")
    with pytest.raises(InputError, match="utterance_idx must be an integer") as exc:
        list(read("test", tmp_path))
    assert (exc.value.source, exc.value.line) == (str(path), 3)
    assert f"{path}:3:" in str(exc.value)


def test_unknown_split_names_choices() -> None:
    with pytest.raises(InputError, match="train, valid, test"):
        next(read("validation"))
