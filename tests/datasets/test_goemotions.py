from __future__ import annotations

from collections import Counter

import pytest

from emotive import ConfigError, InputError, get_scheme
from emotive.datasets import goemotions

# emotions.txt of the corpus: the 28 labels in file order, neutral (id 27) last.
EMOTIONS_TXT = "\n".join(get_scheme("goemotions").labels) + "\n"


@pytest.mark.corpus("goemotions")
@pytest.mark.parametrize("split,rows", [("train", 43410), ("dev", 5426), ("test", 5427)])
def test_split_sizes(split: str, rows: int) -> None:
    assert sum(1 for _ in goemotions.read(split)) == rows


@pytest.mark.corpus("goemotions")
def test_records_and_labels() -> None:
    labels = goemotions.labels()
    assert labels == list(get_scheme("goemotions").labels)  # what EMOTIONS_TXT stands in for
    assert len(labels) == 28 and labels[0] == "admiration" and labels[-1] == "neutral"
    first = next(goemotions.read("train"))
    assert first.text == "My favourite food is anything I didn't have to cook myself."
    assert first.labels == ("neutral",) and first.id == "eebbqej"
    counts = Counter(n for r in goemotions.read("dev") for n in [len(r.labels)])
    assert counts[2] > 0  # multi-label rows exist


def test_env_var_overrides_the_data_folder(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "goemotions"
    folder.mkdir()
    (folder / "emotions.txt").write_text(EMOTIONS_TXT)
    (folder / "test.tsv").write_text("fine text\t27\tid1\nbroken row without tabs\n")
    monkeypatch.setenv("EMOTIVE_DATA", str(tmp_path))
    rows = goemotions.read("test")
    assert next(rows).labels == ("neutral",)
    with pytest.raises(InputError, match=r"test\.tsv:2: expected 3 tab-separated columns"):
        next(rows)


def test_bad_label_id_and_unknown_split(tmp_path) -> None:
    folder = tmp_path / "goemotions"
    folder.mkdir()
    (folder / "emotions.txt").write_text(EMOTIONS_TXT)
    (folder / "dev.tsv").write_text("text\t99\tid1\n")
    with pytest.raises(InputError, match=r"dev\.tsv:1: bad label ids '99'"):
        list(goemotions.read("dev", tmp_path))
    with pytest.raises(InputError, match="choose one of: train, dev, test"):
        list(goemotions.read("valid", tmp_path))
    with pytest.raises(ConfigError, match="corpus folder not found"):
        list(goemotions.read("dev", tmp_path / "nowhere"))
