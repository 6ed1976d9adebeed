"""Reading results: every output format of emotive analyze gives the same figures; the
input's columns join by line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emotive._errors import InputError
from emotive.report import build_report, open_results

from .conftest import conversations, text_records, turn_records, write_input, write_texts, write_turns


def figures(path: Path, **options) -> tuple:
    t = build_report(str(path), **options).tally
    return (t.rows, t.errors, t.conversations, dict(t.labels), dict(t.fine), dict(t.multi), t.vad.count,
            dict(t.causes.with_cause), [k.name for k in t.intense.best()], dict(t.speakers))


def test_every_turn_format_gives_the_same_figures(tmp_path) -> None:
    records = turn_records()
    nested = tmp_path / "nested.jsonl"
    nested.write_text("".join(json.dumps(r) + "\n" for r in conversations()), encoding="utf-8")
    got = [figures(write_turns(tmp_path / f"turns.{ext}", records)) for ext in ("parquet", "jsonl", "csv")]
    got.append(figures(nested))
    assert got[0] == got[1] == got[2] == got[3]
    rows, errors, convs, labels, *_ = got[0]
    assert (rows, errors, convs) == (12, 0, 3) and labels["sadness"] == 3 and labels["anger"] == 2


def test_every_text_format_gives_the_same_figures(tmp_path) -> None:
    jsonl = tmp_path / "texts.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in text_records()), encoding="utf-8")
    outs = [build_report(str(p)).tally for p in (write_texts(tmp_path / "t.parquet"), write_texts(tmp_path / "t.csv"),
                                                   jsonl)]
    for t in outs:
        assert (t.rows, t.errors, t.vad, t.causes) == (6, 1, None, None)
        assert dict(t.labels) == dict(outs[0].labels) and t.labels["disgust"] == 1
        assert [k.rows[0]["top"] for k in t.intense.best()][:1] == ["gratitude"]  # neutral left out, best first


def test_columns_join_from_the_input_by_line(turns_parquet, chats_input) -> None:
    report = build_report(str(turns_parquet), input=str(chats_input), time_column="ts", by=["channel"])
    channel = report.tally.groups[0]
    assert {k: g.count for k, g in channel.groups.items()} == {"email": 4, "chat": 8}
    assert channel.groups["email"].labels["anger"] == 2
    assert sum(g.count for g in report.tally.time.buckets.values()) == 12  # every turn has its own time
    assert report.tally.time.missing == 0 and len(report.tally.time.buckets) == 12


def test_a_results_column_needs_no_input(turns_parquet) -> None:
    report = build_report(str(turns_parquet), by=["speaker"])
    assert {k: g.count for k, g in report.tally.groups[0].groups.items()} == {"customer": 7, "agent": 4, "manager": 1}
    with pytest.raises(InputError, match=r"no column 'channel' in the results .*--input"):
        build_report(str(turns_parquet), by=["channel"])


def test_an_input_that_is_not_the_results_source_is_refused(tmp_path, turns_parquet) -> None:
    short = write_input(tmp_path / "short.jsonl")
    short.write_text(short.read_text().splitlines()[0] + "\n")
    with pytest.raises(InputError, match=r"short\.jsonl: ends before line 2 of the results"):
        build_report(str(turns_parquet), input=str(short), by=["channel"])
    records = turn_records()
    shuffled = write_turns(tmp_path / "shuffled.parquet", records[5:] + records[:5])
    with pytest.raises(InputError, match=r"go back from line 3 to line 1: they are not in the input's order"):
        build_report(str(shuffled), input=str(write_input(tmp_path / "in.jsonl")), by=["channel"])


def test_a_flat_csv_input_joins_its_rows(tmp_path) -> None:
    texts = write_texts(tmp_path / "texts.parquet")
    source = tmp_path / "tickets.csv"
    rows = [f"t{k},{'web' if k % 2 else 'phone'},{1706774400 + k * 86400}\n" for k in range(6)]
    source.write_text("body,channel,created\n" + "".join(rows))
    # the results' lines 1-6 are the input's rows 1-6 here; a real csv's first row is line 2
    report = build_report(str(texts), input=str(source), time_column="created", by=["channel"])
    assert sum(g.count for g in report.tally.groups[0].groups.values()) == 5  # the error row is not counted
    with pytest.raises(InputError, match=r"no column 'nope'.*see --time-column and --by"):
        build_report(str(texts), input=str(source), by=["nope"])


def test_not_analyze_output(tmp_path) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_text("line,text\n1,hello\n")
    with pytest.raises(InputError, match=r"not the output of emotive analyze"):
        build_report(str(plain))
    txt = tmp_path / "notes.txt"
    txt.write_text("hello\n")
    with pytest.raises(InputError, match=r"not a \.txt file"):
        open_results(str(txt))
    with pytest.raises(InputError, match=r"no such file"):
        open_results(str(tmp_path / "missing.parquet"))
