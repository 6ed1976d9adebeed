from __future__ import annotations

from collections import Counter

import pytest

from emotive import ConfigError, InputError
from emotive.datasets import goemotions


@pytest.mark.parametrize("split,rows", [("train", 43410), ("dev", 5426), ("test", 5427)])
def test_split_sizes(split: str, rows: int) -> None:
    assert sum(1 for _ in goemotions.read(split)) == rows


def test_records_and_labels() -> None:
    labels = goemotions.labels()
    assert len(labels) == 28 and labels[0] == "admiration" and labels[-1] == "neutral"
    first = next(goemotions.read("train"))
    assert first.text == "My favourite food is anything I didn't have to cook myself."
    assert first.labels == ("neutral",) and first.id == "eebbqej"
    counts = Counter(n for r in goemotions.read("dev") for n in [len(r.labels)])
    assert counts[2] > 0  # multi-label rows exist


def test_env_var_overrides_the_data_folder(tmp_path, monkeypatch, data_root) -> None:
    folder = tmp_path / "goemotions"
    folder.mkdir()
    (folder / "emotions.txt").write_text((data_root / "goemotions/emotions.txt").read_text())
    (folder / "test.tsv").write_text("fine text\t27\tid1\nbroken row without tabs\n")
    monkeypatch.setenv("EMOTIVE_DATA", str(tmp_path))
    rows = goemotions.read("test")
    assert next(rows).labels == ("neutral",)
    with pytest.raises(InputError, match=r"test\.tsv:2: expected 3 tab-separated columns"):
        next(rows)


def test_bad_label_id_and_unknown_split(tmp_path, data_root) -> None:
    folder = tmp_path / "goemotions"
    folder.mkdir()
    (folder / "emotions.txt").write_text((data_root / "goemotions/emotions.txt").read_text())
    (folder / "dev.tsv").write_text("text\t99\tid1\n")
    with pytest.raises(InputError, match=r"dev\.tsv:1: bad label ids '99'"):
        list(goemotions.read("dev", tmp_path))
    with pytest.raises(InputError, match="choose one of: train, dev, test"):
        list(goemotions.read("valid", tmp_path))
    with pytest.raises(ConfigError, match="corpus folder not found"):
        list(goemotions.read("dev", tmp_path / "nowhere"))
