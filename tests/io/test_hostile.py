"""Hostile input: every case gives an analyzed row, a row error or a clear whole-file error
(file and line, exit 2), never a traceback, with and without the progress bar.

Memory and time of the huge-text cases are measured by ``benchmarks/hostile_input.py``;
these tests check only that the result is right.
"""

from __future__ import annotations

import builtins
import json
import os
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from emotive import InputError
from emotive.io import MAX_CHARS, read_conversations, read_rows

WORDS = "I can't believe how happy and a little worried this makes me today. "


def cli(args, env) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "emotive", *args], capture_output=True, text=True,
                          env=env, timeout=300, stdin=subprocess.DEVNULL)


def strict_json(line: str) -> dict:
    """A JSON line parsed, refusing NaN and Infinity (which JSON does not have)."""
    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in JSON output")

    return json.loads(line, parse_constant=refuse)


def records(path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [strict_json(line) for line in fh]


def rows(path, **options) -> list:
    return [r for r in read_rows(str(path), **options) if not r.blank]


def no_traceback(out: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in out.stderr, out.stderr


def refused(out: subprocess.CompletedProcess[str], *needles: str) -> None:
    no_traceback(out)
    assert out.returncode == 2, out.stderr
    for needle in needles:
        assert needle in out.stderr, out.stderr


QUIET = pytest.mark.parametrize("quiet", [[], ["-q"]], ids=["bar", "quiet"])


# -- one huge text ----------------------------------------------------------------------


def huge_text(size: int, emoji: bool = False) -> str:
    text = (WORDS * (size // len(WORDS) + 1))[:size]
    return "😀" + text[1:] if emoji else text


@pytest.fixture(scope="module")
def huge_files(tmp_path_factory) -> dict[str, str]:
    """A 10 MB message and a 50 MB line, as .txt and .jsonl (one with an emoji: 4 bytes a
    character in memory if it were decoded whole)."""
    folder = tmp_path_factory.mktemp("huge")
    files = {}
    for mb, emoji in ((10, False), (50, True)):
        text = huge_text(mb * 1_000_000, emoji)
        files[f"{mb}.txt"] = str(folder / f"m{mb}.txt")
        with open(files[f"{mb}.txt"], "w", encoding="utf-8") as fh:
            fh.write("short one\n" + text + "\nlast one\n")
        files[f"{mb}.jsonl"] = str(folder / f"m{mb}.jsonl")
        with open(files[f"{mb}.jsonl"], "w", encoding="utf-8") as fh:
            fh.write(json.dumps({"text": "short one"}) + "\n")
            fh.write(json.dumps({"id": 7, "text": text, "note": "x" * 3_000_000},
                                ensure_ascii=emoji) + "\n")
            fh.write(json.dumps({"text": "last one"}) + "\n")
    return files


@pytest.mark.parametrize("name", ["10.txt", "10.jsonl", "50.txt", "50.jsonl"])
def test_a_huge_text_is_cut_at_max_chars_by_the_reader(huge_files, name) -> None:
    mb = int(name.split(".")[0])
    got = rows(huge_files[name])
    assert [(r.line, r.clipped, r.error) for r in got] == [(1, False, None), (2, True, None),
                                                           (3, False, None)]
    assert got[1].text == huge_text(mb * 1_000_000, emoji=mb == 50)[:MAX_CHARS]
    assert got[2].text == "last one" and got[1].end < got[2].end


@pytest.mark.parametrize("name,explain", [("10.txt", False), ("10.jsonl", True),
                                          ("50.txt", True), ("50.jsonl", False)])
def test_a_huge_text_through_the_cli(cli_env, tiny_model, huge_files, tmp_path, name, explain) -> None:
    out = tmp_path / "out.jsonl"
    run = cli(["analyze", huge_files[name], "-o", str(out), "--model", str(tiny_model),
               *(["--explain"] if explain else [])], cli_env)
    no_traceback(run)
    assert run.returncode == 0, run.stderr
    recs = records(out)
    assert [r["line"] for r in recs] == [1, 2, 3] and not any("error" in r for r in recs)
    assert recs[1]["clipped"] is True and len(recs[1]["text"]) == MAX_CHARS
    assert "clipped" not in recs[0] and recs[1]["truncated"] is True
    if explain:
        assert all("triggers" in r for r in recs)
    assert "3 rows: 3 analyzed, 0 errors" in run.stderr and "1 cut at the row size limit" in run.stderr


def test_max_chars_cuts_every_reader(tmp_path) -> None:
    (tmp_path / "in.txt").write_text("abcdef\nab\n")
    (tmp_path / "in.jsonl").write_text('{"text": "abc\\u00e9f"}\n{"text": "ab"}\n')
    (tmp_path / "in.csv").write_text('text\n"abc,def"\nab\n')
    for name in ("in.txt", "in.jsonl", "in.csv"):
        got = rows(tmp_path / name, max_chars=3)
        assert [(r.text, r.clipped) for r in got] == [("abc", True), ("ab", False)], name


def test_the_rest_of_a_long_line_is_still_checked(tmp_path) -> None:
    p = tmp_path / "in.txt"
    p.write_bytes(b"a" * 100 + b"\xff tail\n" + b" " * 100 + b"\t\n" + b" " * 100 + b"x\nend\n")
    got = list(read_rows(str(p), max_chars=10))
    assert got[0].error == "invalid UTF-8 at byte 100"  # past the cut, but the line is bad
    assert got[1].blank and not got[2].blank and got[2].text == " " * 10 and got[2].clipped
    assert [r.line for r in got] == [1, 2, 3, 4] and got[-1].end == p.stat().st_size


def test_a_long_jsonl_line_with_escapes_keeps_its_first_characters(tmp_path) -> None:
    text = "é\"\\\n😀\u2028 " * 400
    p = tmp_path / "in.jsonl"
    with open(p, "w", encoding="utf-8") as fh:
        for ascii_only in (True, False):
            fh.write(json.dumps({"meta": ["a" * 5000, {"b": "c" * 5000}], "text": text},
                                ensure_ascii=ascii_only) + "\n")
    got = rows(p, max_chars=50)
    assert [(r.text, r.clipped) for r in got] == [(text[:50], True)] * 2


def test_a_jsonl_line_that_is_big_without_long_texts_is_a_row_error(tmp_path) -> None:
    p = tmp_path / "in.jsonl"
    p.write_text(json.dumps({"text": "hi", "n": list(range(200_000))}) + "\n" + '{"text": "ok"}\n')
    got = rows(p, max_chars=100)
    assert "too big to read" in got[0].error and got[1].text == "ok"


# -- an unencodable text ----------------------------------------------------------------

SURROGATE = b'{"text": "good"}\n{"text": "hello \\ud800 world"}\n{"text": "fine"}\n'


@QUIET
def test_a_lone_surrogate_is_a_row_error(cli_env, tiny_model, tmp_path, quiet) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(SURROGATE)
    out = tmp_path / "out.jsonl"
    run = cli(["analyze", str(src), "-o", str(out), "--on-error", "skip", "--model", str(tiny_model),
               *quiet], cli_env)
    no_traceback(run)
    assert run.returncode == 0, run.stderr
    recs = records(out)
    assert [r["line"] for r in recs] == [1, 2, 3] and "error" not in recs[0] and "error" not in recs[2]
    assert "lone surrogate" in recs[1]["error"] and recs[1]["text"] == "hello \ud800 world"
    refused(cli(["analyze", str(src), "-o", str(tmp_path / "o2.jsonl"), "--model", str(tiny_model),
                 *quiet], cli_env), "in.jsonl:2: not valid Unicode: a lone surrogate")
    assert not (tmp_path / "o2.jsonl").exists() and src.read_bytes() == SURROGATE


@QUIET
def test_a_lone_surrogate_in_a_conversation_turn(cli_env, tiny_model, tiny_conv_model, tmp_path,
                                                 quiet) -> None:
    src = tmp_path / "conv.jsonl"
    src.write_text('{"id": "a", "turns": [{"speaker": "u", "text": "hi \\udc00"}]}\n'
                   '{"id": "b", "turns": [{"speaker": "u\\ud800", "text": "all good"}]}\n')
    got = list(read_conversations(str(src)))
    assert "turn 0: not valid Unicode" in got[0].error and got[1].conversation is not None
    model = ["--model", str(tiny_model), "--conversation-model", str(tiny_conv_model)]
    out = tmp_path / "out.jsonl"
    run = cli(["analyze", str(src), "--conversations", "-o", str(out), "--on-error", "skip",
               *model, *quiet], cli_env)
    no_traceback(run)
    assert run.returncode == 0, run.stderr
    recs = records(out)
    assert [r["line"] for r in recs] == [1, 2] and "error" in recs[0] and recs[1]["speaker"] == "u\ud800"
    refused(cli(["analyze", str(src), "--conversations", "-o", str(out), *model, *quiet], cli_env),
            "conv.jsonl:1: conversation 'a', turn 0: not valid Unicode")


# -- junk in each format ----------------------------------------------------------------


JUNK_LINES = [
    b'\xef\xbb\xbf{"text": "a BOM first"}',          # 1: accepted as in .txt/.csv
    b'{"text": "big", "n": ' + b"9" * 4400 + b"}",  # 2: an integer of more than 4,300 digits
    b'{"text": "deep", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",  # 3: RecursionError
    b'{"text": NaN}',                                # 4: a float, not a text
    b'{"text": Infinity, "score": -Infinity}',       # 5
    b'{"text": "fine", "score": NaN}',               # 6: NaN elsewhere: never written
    b'{"text": 1e999}',                              # 7: inf
]


@QUIET
def test_junk_jsonl_rows_are_row_errors(cli_env, tiny_model, tmp_path, quiet) -> None:
    src = tmp_path / "junk.jsonl"
    src.write_bytes(b"\n".join(JUNK_LINES) + b"\n")
    got = list(read_rows(str(src)))
    assert [(r.line, r.text if r.error is None else None) for r in got][:1] == [(1, "a BOM first")]
    assert "unreadable JSON value: Exceeds the limit (4300 digits)" in got[1].error
    assert got[2].error == "JSON nested too deeply"
    out = tmp_path / "out.jsonl"
    run = cli(["analyze", str(src), "-o", str(out), "--on-error", "skip", "--model", str(tiny_model),
               *quiet], cli_env)
    no_traceback(run)
    recs = records(out)  # strict: no NaN, no Infinity
    assert [r["line"] for r in recs] == list(range(1, 8))
    assert [("error" in r) for r in recs] == [False, True, True, True, True, False, True]
    assert recs[3]["text"] is None and recs[4]["text"] is None and "expected a string" in recs[3]["error"]
    refused(cli(["analyze", str(src), "-o", str(tmp_path / "o2.jsonl"), "--model", str(tiny_model),
                 *quiet], cli_env), "junk.jsonl:2: unreadable JSON value")


def test_a_bom_alone_on_the_first_jsonl_line_is_blank(tmp_path) -> None:
    p = tmp_path / "in.jsonl"
    p.write_bytes(b'\xef\xbb\xbf\n{"text": "x"}\n')
    assert [(r.line, r.blank, r.text) for r in read_rows(str(p))] == [(1, True, None), (2, False, "x")]


def test_csv_cells_over_128_kib_are_read_and_cut(tmp_path) -> None:
    p = tmp_path / "in.csv"
    big = "é" * (200 * 1024)
    p.write_text(f'id,text\n1,"{big}"\n2,"{big[:MAX_CHARS - 1]}\nline two"\n3,end\n', encoding="utf-8")
    got = rows(p)
    assert [(r.line, r.clipped, r.error) for r in got] == [(2, True, None), (3, True, None),
                                                           (5, False, None)]
    assert got[0].text == big[:MAX_CHARS] and got[1].text.endswith("é\n")


def test_a_csv_row_past_the_row_limit_is_an_error_and_swallows_nothing(tmp_path) -> None:
    p = tmp_path / "in.csv"
    p.write_bytes(b'id,text\n1,"' + b"x" * (9 << 20) + b'"\n2,after\n')
    got = rows(p)
    assert got[0].line == 2 and "more than a csv row may hold" in got[0].error
    assert (got[1].line, got[1].text) == (3, "after")


UNTERMINATED = b'id,text\n1,first\n2,"open and never closed\n3,third\n4,fourth\n'


def test_an_unterminated_csv_quote_is_reported_on_its_line(tmp_path) -> None:
    p = tmp_path / "in.csv"
    p.write_bytes(UNTERMINATED)
    got = rows(p)
    assert [(r.line, r.text) for r in got] == [(1 + 1, "first"), (3, None), (4, "third"), (5, "fourth")]
    assert got[1].error.startswith("unterminated quote") and "lines 4-5 are read again" in got[1].error
    assert got[-1].end == p.stat().st_size


def test_a_quote_that_closes_lines_later_merges_no_rows(tmp_path) -> None:
    p = tmp_path / "in.csv"
    p.write_bytes(b'id,text\n1,ok\n2,"abc\n3,def\n4,"ghi"\n5,jkl\n')
    got = rows(p)
    assert [(r.line, r.text) for r in got] == [(2, "ok"), (3, None), (4, "def"), (5, "ghi"), (6, "jkl")]
    assert "on line 5, in a row that starts here: is a quote unterminated?" in got[1].error


@QUIET
def test_an_unterminated_csv_quote_through_the_cli(cli_env, tiny_model, tmp_path, quiet) -> None:
    src = tmp_path / "in.csv"
    src.write_bytes(UNTERMINATED)
    out = tmp_path / "out.jsonl"
    run = cli(["analyze", str(src), "-o", str(out), "--on-error", "skip", "--model", str(tiny_model),
               *quiet], cli_env)
    no_traceback(run)
    assert [r["line"] for r in records(out)] == [2, 3, 4, 5]
    refused(cli(["analyze", str(src), "--model", str(tiny_model), *quiet], cli_env),
            "in.csv:3: unterminated quote")


def test_a_csv_header_with_an_unterminated_quote_is_a_file_error(tmp_path) -> None:
    p = tmp_path / "in.csv"
    p.write_bytes(b'id,"text\n1,a\n')
    with pytest.raises(InputError, match=r"in\.csv:1: unreadable CSV header"):
        rows(p)


def _parquet_bytes(tmp_path) -> bytes:
    path = tmp_path / "real.parquet"
    pq.write_table(pa.table({"text": [f"row {i}" for i in range(3000)]}), path, row_group_size=1000)
    return path.read_bytes()


@pytest.mark.parametrize("kind", ["random", "truncated", "no-footer"])
def test_a_corrupt_parquet_file_is_a_file_error(tmp_path, kind) -> None:
    data = _parquet_bytes(tmp_path)
    data = {"random": os.urandom(4096), "truncated": data[:len(data) // 2],
            "no-footer": data[:-12]}[kind]
    p = tmp_path / "bad.parquet"
    p.write_bytes(data)
    with pytest.raises(InputError, match=r"bad\.parquet: cannot read parquet file"):
        rows(p)


def test_corrupt_parquet_pages_name_the_row(tmp_path) -> None:
    data = bytearray(_parquet_bytes(tmp_path))
    footer = len(data) - 8 - int.from_bytes(data[-8:-4], "little")
    for i in range(footer // 2, footer - 16):  # the last row groups' pages, not the footer
        data[i] ^= 0x5A
    p = tmp_path / "bad.parquet"
    p.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"bad\.parquet:\d+: corrupt parquet data after row \d+"):
        rows(p)


@QUIET
def test_a_corrupt_parquet_file_through_the_cli(cli_env, tiny_model, tmp_path, quiet) -> None:
    p = tmp_path / "bad.parquet"
    p.write_bytes(_parquet_bytes(tmp_path)[:5000])
    refused(cli(["analyze", str(p), "--on-error", "skip", "-o", str(tmp_path / "o.jsonl"),
                 "--model", str(tiny_model), *quiet], cli_env), "bad.parquet: cannot read parquet file")
    assert not (tmp_path / "o.jsonl").exists()


@QUIET
def test_parquet_nan_texts_never_reach_the_json(cli_env, tiny_model, tmp_path, quiet) -> None:
    p = tmp_path / "in.parquet"
    pq.write_table(pa.table({"text": [1.5, float("nan"), float("inf"), None],
                             "score": [float("nan")] * 4}), p)
    out = tmp_path / "out.jsonl"
    run = cli(["analyze", str(p), "-o", str(out), "--on-error", "skip", "--model", str(tiny_model),
               *quiet], cli_env)
    no_traceback(run)
    assert run.returncode == 1  # every row failed: the summary says why
    recs = records(out)
    assert [r["text"] for r in recs] == [1.5, None, None, None]
    assert all("expected a string" in r["error"] for r in recs)


def test_parquet_values_python_cannot_hold_are_row_errors(tmp_path) -> None:
    p = tmp_path / "in.parquet"
    when = pa.array([0, 400_000_000_000, 0], pa.timestamp("s"))  # year 14645: no datetime holds it
    pq.write_table(pa.table({"text": ["a", "b", "c"], "when": when}), p)
    got = rows(p)
    assert [r.error is None for r in got] == [True, False, True]
    assert "column 'when': unreadable value" in got[1].error


def test_long_parquet_texts_are_cut_in_arrow(tmp_path) -> None:
    p = tmp_path / "in.parquet"
    pq.write_table(pa.table({"text": ["é" * 50, "short", None]}), p)
    got = list(read_rows(str(p), max_chars=10))
    assert [(r.text, r.clipped) for r in got] == [("é" * 10, True), ("short", False), (None, False)]
    assert got[0].record["text"] == "é" * 10


# -- unreadable files -------------------------------------------------------------------


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_a_file_without_read_permission_through_the_cli(cli_env, tmp_path) -> None:
    p = tmp_path / "secret.txt"
    p.write_text("hi\n")
    p.chmod(0)
    refused(cli(["analyze", str(p)], cli_env), "secret.txt: permission denied")


@pytest.mark.parametrize("name", ["in.txt", "in.jsonl", "in.csv"])
def test_a_file_that_cannot_be_read_names_itself(tmp_path, monkeypatch, name) -> None:
    p = tmp_path / name
    p.write_text("text\nhi\n")
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(InputError, match=f"{name}: permission denied"):
        rows(p)
    monkeypatch.undo()

    def denied(file, *args, **kwargs):
        if str(file) == str(p):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    real_open = builtins.open
    monkeypatch.setattr(builtins, "open", denied)
    with pytest.raises(InputError, match=f"{name}: cannot read file: Permission denied"):
        rows(p)
    with pytest.raises(InputError, match=f"{name}: cannot read file: Permission denied"):
        list(read_conversations(str(p), "jsonl"))
