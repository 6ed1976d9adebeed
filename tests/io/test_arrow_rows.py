"""Flat rows as Arrow columns: the typed cells a Parquet file holds, whatever a row carries."""

from __future__ import annotations

import math

from emotive.io._writers import Layout, arrow_schema, arrow_table


def _table(rows: list[dict]) -> dict[str, list]:
    layout = Layout((("line", "int64"), ("score", "float64"), ("ok", "bool"), ("text", "string")), dict)
    return arrow_table(rows, layout, arrow_schema(layout)).to_pydict()


def test_score_columns_of_floats_and_gaps_are_kept_as_they_are() -> None:
    out = _table([{"line": 1, "score": 0.25, "ok": True, "text": "a"}, {"line": 2}, {"score": math.nan}])
    assert out["score"][:2] == [0.25, None] and math.isnan(out["score"][2])
    assert out["line"] == [1, 2, None] and out["ok"] == [True, None, None] and out["text"] == ["a", None, None]


def test_a_float_column_holding_other_values_gets_the_same_cells_as_before() -> None:
    out = _table([{"score": 1}, {"score": True}, {"score": "0.5"}, {"score": 0.5}, {"score": 2**70}])
    assert out["score"] == [1.0, 1.0, None, 0.5, float(2**70)]
    assert _table([{"line": 2**64, "text": "lone \udc80"}])["line"] == [None]
