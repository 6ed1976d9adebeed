from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
import pytest

from emotive import InputError, analyze_file


@pytest.fixture
def messy(tmp_path):
    p = tmp_path / "messy.jsonl"
    lines = [json.dumps({"text": f"text number {i}"}) for i in range(7)]
    lines[2] = "{broken"
    lines[4] = json.dumps({"text": "   "})
    lines[5] = json.dumps({"text": None})
    p.write_text("\n".join(lines) + "\n")
    return p


def test_skip_keeps_every_row_once_in_order(messy, tmp_path, tiny_analyzer) -> None:
    out = tmp_path / "out.jsonl"
    s = analyze_file(str(messy), str(out), analyzer=tiny_analyzer, on_error="skip", chunk_size=2)
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["line"] for r in recs] == [1, 2, 3, 4, 5, 6, 7]
    assert [("error" in r) for r in recs] == [False, False, True, False, True, True, False]
    assert recs[4]["error"] == "empty text" and "NoneType" in recs[5]["error"]
    assert recs[6]["text"] == "text number 6" and set(recs[6]) >= {"labels", "scores", "top"}
    assert (s.rows, s.analyzed, s.errors) == (7, 4, 3)
    assert sum(s.label_counts.values()) == sum(len(r.get("labels", [])) for r in recs)


def test_fail_stops_with_file_and_line_and_leaves_no_output(messy, tmp_path, tiny_analyzer) -> None:
    out = tmp_path / "out.csv"
    with pytest.raises(InputError, match=r"messy\.jsonl:3: malformed JSON"):
        analyze_file(str(messy), str(out), analyzer=tiny_analyzer)
    assert list(tmp_path.iterdir()) == [messy]


def test_csv_and_parquet_outputs_have_a_column_per_label(tmp_path, tiny_analyzer) -> None:
    src = tmp_path / "in.txt"
    src.write_text("one\ntwo\nthree\n")
    analyze_file(str(src), str(tmp_path / "o.csv"), analyzer=tiny_analyzer, top_k=1)
    analyze_file(str(src), str(tmp_path / "o.parquet"), analyzer=tiny_analyzer, scheme="ekman")
    rows = list(csv.DictReader((tmp_path / "o.csv").open()))
    assert [r["text"] for r in rows] == ["one", "two", "three"]
    assert "gratitude" in rows[0] and rows[0]["gratitude"] != ""
    assert len(rows[0]["labels"].split(";")) == 1
    table = pq.read_table(tmp_path / "o.parquet")
    assert table.num_rows == 3 and "sadness" in table.column_names
    assert "gratitude" not in table.column_names


def test_truncation_is_counted(tmp_path, tiny_analyzer) -> None:
    src = tmp_path / "in.txt"
    src.write_text("short\n" + "long " * 400 + "\n")
    s = analyze_file(str(src), str(tmp_path / "o.jsonl"), analyzer=tiny_analyzer)
    recs = [json.loads(x) for x in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert s.truncated == 1 and recs[1]["truncated"] is True and "truncated" not in recs[0]


def test_an_interrupted_run_leaves_no_half_written_file_and_resumes(tmp_path, tiny_analyzer) -> None:
    src = tmp_path / "in.txt"
    src.write_text("a\nb\nc\nd\n")
    calls = []

    def stop(done: int, total: int | None, unit: str) -> None:
        calls.append((done, total, unit))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        analyze_file(str(src), str(tmp_path / "o.jsonl"), analyzer=tiny_analyzer,
                     chunk_size=2, progress=stop)
    assert calls == [(4, 8, "bytes")]  # after the first chunk: 4 of the file's 8 bytes
    assert sorted(p.name for p in tmp_path.iterdir()) == [".o.jsonl.emotive-run", "in.txt"]
    with pytest.raises(InputError, match="add --resume"):
        analyze_file(str(src), str(tmp_path / "o.jsonl"), analyzer=tiny_analyzer, chunk_size=2)
    s = analyze_file(str(src), str(tmp_path / "o.jsonl"), analyzer=tiny_analyzer, chunk_size=2,
                     resume=True)
    assert (s.rows, s.analyzed, s.resumed_chunks) == (4, 4, 1)
    analyze_file(str(src), str(tmp_path / "fresh.jsonl"), analyzer=tiny_analyzer, chunk_size=2)
    assert (tmp_path / "o.jsonl").read_bytes() == (tmp_path / "fresh.jsonl").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.jsonl", "in.txt", "o.jsonl"]


def test_bad_on_error_value(tmp_path, tiny_analyzer) -> None:
    with pytest.raises(ValueError, match="choose one of: fail, skip"):
        analyze_file("x.txt", analyzer=tiny_analyzer, on_error="ignore")
