from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from emotive._errors import InputError
from emotive.datasets.emobank import VadText, read

VIEW_HEADER = '"id","V","A","D","stdV","stdA","stdD","N"\n'


@pytest.mark.corpus("emobank")
def test_split_sizes_and_one_record() -> None:
    rows = list(read())
    assert Counter(r.split for r in rows) == {"train": 8062, "dev": 1000, "test": 1000}
    assert all(1.0 <= x <= 5.0 for r in rows for x in (r.v, r.a, r.d))
    assert all(r.reader is not None and r.writer is not None for r in rows)
    record = next(r for r in rows if r.id == "110CYL068_1079_1110")
    assert record == VadText(id="110CYL068_1079_1110", split="test",
                             text="If I wasn't working here.", v=2.8, a=3.1, d=2.8,
                             reader=(2.6, 3.0, 2.6), writer=(3.0, 3.2, 3.0))


@pytest.mark.corpus("emobank")
def test_one_split() -> None:
    dev = list(read("dev"))
    assert len(dev) == 1000 and {r.split for r in dev} == {"dev"}


def _write(root: Path, body: str) -> Path:
    folder = root / "emobank"
    folder.mkdir()
    (folder / "reader.csv").write_text(VIEW_HEADER + '"a","3.0","2.0","1.5","0","0","0","5"\n',
                                       encoding="utf-8")
    (folder / "writer.csv").write_text(VIEW_HEADER, encoding="utf-8")
    path = folder / "emobank.csv"
    path.write_text("id,split,V,A,D,text\n" + body, encoding="utf-8")
    return path


def test_views_join_by_id(tmp_path: Path) -> None:
    _write(tmp_path, 'a,train,3.0,3.0,3.0,"Hi, ""you"""\nb,dev,1.0,2.0,3.0,x\n')
    a, b = read(root=tmp_path)
    assert a.text == 'Hi, "you"' and a.reader == (3.0, 2.0, 1.5) and a.writer is None
    assert b.reader is None


def test_malformed_row_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "a,train,3.0,3.0,3.0,ok\nb,train,3.0,high,3.0,bad\n")
    with pytest.raises(InputError, match="V, A and D must be numbers") as exc:
        list(read("train", tmp_path))
    assert (exc.value.source, exc.value.line) == (str(path), 3)
    assert f"{path}:3:" in str(exc.value)


def test_unknown_split_names_choices() -> None:
    with pytest.raises(InputError, match="train, dev, test"):
        next(read("validation"))
