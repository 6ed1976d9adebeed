from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from emotive import InputError
from emotive.io import detect_format, open_rows, read_rows


def _rows(path, **kw):
    return [(r.line, r.text, r.error) for r in read_rows(str(path), **kw) if not r.blank]


def test_txt_lines_and_invalid_utf8(tmp_path) -> None:
    p = tmp_path / "in.txt"
    p.write_bytes("\ufefffirst\nsecond \xff\n".encode() + b"bad \xff byte\n\nlast")
    rows = _rows(p)
    assert rows[0] == (1, "first", None) and rows[1][1] == "second \xff"
    assert rows[2][0] == 3 and "invalid UTF-8" in rows[2][2]
    assert rows[3] == (5, "last", None)  # the blank line 4 is skipped; numbers stay right
    source = open_rows(str(p))
    rows = list(source)
    assert [r.blank for r in rows] == [False, False, False, True, False]
    assert source.unit == "bytes" and rows[-1].end == source.total == p.stat().st_size


def test_csv_columns_quotes_and_bad_rows(tmp_path) -> None:
    p = tmp_path / "in.csv"
    p.write_bytes(b'id,text\n1,"hello, world"\n2,"multi\nline"\n3\n4,caf\xe9\n')
    rows = _rows(p)
    assert rows[0] == (2, "hello, world", None) and rows[1] == (3, "multi\nline", None)  # its first line
    assert rows[2][0] == 5 and "expected 2 cells, got 1" in rows[2][2]
    assert rows[3][0] == 6 and rows[3][2] == "invalid UTF-8"


def test_csv_missing_column_names_the_columns(tmp_path) -> None:
    p = tmp_path / "in.tsv"
    p.write_text("id\tbody\n1\thi\n")
    with pytest.raises(InputError, match=r"in\.tsv:1: no column 'text'; the columns are: id, body"):
        _rows(p)
    assert _rows(p, text_column="body") == [(2, "hi", None)]


def test_jsonl_malformed_lines_and_fields(tmp_path) -> None:
    p = tmp_path / "in.jsonl"
    lines = [json.dumps({"text": "ok"}), "{not json", json.dumps({"body": "x"}),
             json.dumps([1]), json.dumps({"text": 42}), ""]
    p.write_text("\n".join(lines) + "\n")
    rows = _rows(p)
    assert rows[0] == (1, "ok", None)
    assert rows[1][0] == 2 and rows[1][2].startswith("malformed JSON")
    assert "no field 'text' (fields: body" in rows[2][2]
    assert "expected a JSON object, got list" in rows[3][2]
    assert rows[4] == (5, 42, None)  # not a string: the analyzer's check rejects it
    assert len(rows) == 5 and [r.blank for r in read_rows(str(p))][-1]


def test_parquet_and_its_missing_column(tmp_path) -> None:
    p = tmp_path / "in.parquet"
    pq.write_table(pa.table({"text": ["a", None, "c"], "n": [1, 2, 3]}), p)
    assert _rows(p) == [(1, "a", None), (2, None, None), (3, "c", None)]
    source = open_rows(str(p))
    assert (source.total, source.unit) == (3, "rows") and [r.end for r in source] == [1, 2, 3]
    with pytest.raises(InputError, match="no column 'body'"):
        _rows(p, text_column="body")


def test_unreadable_and_unknown_files(tmp_path) -> None:
    with pytest.raises(InputError, match=r"nope\.txt: no such file"):
        _rows(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="cannot tell the format"):
        detect_format("data.xlsx")
    assert detect_format("x.ndjson") == "jsonl" and detect_format("-") == "txt"
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(InputError, match="cannot read parquet file"):
        _rows(tmp_path / "bad.parquet")
