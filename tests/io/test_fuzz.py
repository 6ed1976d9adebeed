"""Fuzz every reader and the end-to-end file path over arbitrary bytes and structured junk.

Properties:
- a reader never raises anything but ``InputError`` (a whole-file problem: a csv header
  without the column, a flat file without the conversation column); txt and jsonl readers
  never raise at all and give one ``Row`` per line, numbered 1, 2, ...;
- a long text is cut to exactly its first ``max_chars`` characters, however it is written
  (raw UTF-8, JSON escapes, surrogate pairs), and a csv row broken by an unterminated
  quote swallows none of the rows after it;
- ``analyze_file(..., on_error="skip")`` writes exactly one record per non-blank line, in
  input order, whatever the other lines hold; the CLI does the same in a subprocess and
  never prints a traceback.

``EMOTIVE_FUZZ_EXAMPLES`` raises the number of examples (default 60; 10 for the CLI).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emotive import InputError
from emotive.io import read_conversations, read_rows

pa = __import__("pytest").importorskip("pyarrow")
pq = __import__("pyarrow.parquet").parquet

EXAMPLES = int(os.environ.get("EMOTIVE_FUZZ_EXAMPLES", "60"))
CLI_EXAMPLES = max(EXAMPLES // 6, 10)
# The default run is reproducible (the same examples every time, so CI never fails by luck);
# EMOTIVE_FUZZ_RANDOM=1 explores new ones, as a fuzzing session should.
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    derandomize=not os.environ.get("EMOTIVE_FUZZ_RANDOM"),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
BOM = b"\xef\xbb\xbf"

# -- structured junk ---------------------------------------------------------------------

any_text = st.text(st.characters() | st.characters(categories=["Cs"]), max_size=30)  # surrogates too
odd_bytes = st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\r", b"\x0b", b"\x1c",
                             b"\xc2\x85", b"\xe2\x80\xa8", BOM, b'"', b",", b"\t", b"\\", b" "])
json_literals = st.sampled_from([
    b"NaN", b"Infinity", b"-Infinity", b'{"text": NaN}', b'{"text": Infinity}', b"null", b"[]",
    b'{"text": "hello \\ud800 world"}', b'{"text": "\\udc00"}', b'{"text": "\\ud83d\\ude00 ok"}',
    b'{"text": "a", "n": ' + b"7" * 4400 + b"}", b'{"text": ' + b"9" * 4400 + b"}",
    b'{"text": "a", "x": ' + b"[" * 3000 + b"]" * 3000 + b"}", b"{" * 50_000,
    b'{"text": "unterminated', b'{"text": "x"} trailing', b'{"text": "\\x"}', b'{"text": "a\tb"}',
    b'{"text": "a", "text": "b"}', b'{"text": 1e999}', b'{"text": "   "}', b'{"text": ""}',
])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | any_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=8)


@st.composite
def json_object_line(draw: st.DrawFn) -> bytes:
    obj = draw(st.dictionaries(st.sampled_from(["id", "speaker", "meta", "body"]), json_values,
                               max_size=3))
    if draw(st.booleans()):
        obj["text"] = draw(json_values | any_text)
    line = json.dumps(obj, ensure_ascii=draw(st.booleans()))
    return line.encode("utf-8", "surrogatepass")  # a raw surrogate: invalid UTF-8


def _line(parts: list[bytes]) -> bytes:
    return b"".join(parts).replace(b"\n", b" ")


text_line = st.lists(st.binary(max_size=12) | odd_bytes | any_text.map(
    lambda s: s.encode("utf-8", "surrogatepass")), max_size=6).map(_line)
jsonl_line = st.one_of(json_object_line(), json_literals, text_line,
                       st.lists(json_literals | odd_bytes, max_size=3).map(_line))


@st.composite
def file_of(draw: st.DrawFn, line: st.SearchStrategy[bytes]) -> bytes:
    """Lines joined by newlines (``\\n`` or ``\\r\\n``), maybe a BOM, maybe no final newline."""
    lines = draw(st.lists(line | st.just(b"") | st.just(b"  "), max_size=12))
    eol = draw(st.sampled_from([b"\n", b"\r\n"]))
    data = eol.join(lines) + (eol if lines and draw(st.booleans()) else b"")
    return (BOM + data) if draw(st.booleans()) else data


csv_cell = st.one_of(any_text.map(lambda s: s.encode("utf-8", "surrogatepass")), odd_bytes,
                     st.sampled_from([b'"quoted, cell"', b'"multi\nline"', b'"open', b'x"y',
                                      b'"a""b"', b"1", b"nan", b"inf", b"", b"\n"]))


@st.composite
def csv_file(draw: st.DrawFn, header: bytes = b"id,text", delimiter: bytes = b",") -> bytes:
    width = header.count(b",") + 1
    rows = draw(st.lists(st.lists(csv_cell, min_size=0, max_size=width + 1), max_size=10))
    body = b"\n".join(delimiter.join(cells) for cells in rows)
    head = header.replace(b",", delimiter) if draw(st.booleans()) else draw(
        st.lists(csv_cell, max_size=3).map(delimiter.join))
    return (BOM if draw(st.booleans()) else b"") + head + b"\n" + body


junk = st.binary(max_size=300)


def _write(folder: str, name: str, data: bytes) -> str:
    path = os.path.join(folder, name)
    Path(path).write_bytes(data)
    return path


def _lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    return lines[:-1] if lines and lines[-1] == b"" else lines


def _read_all(path: str, **options) -> list:
    try:
        return list(read_rows(path, **options))
    except InputError:
        return []


# -- readers -------------------------------------------------------------------------------


@SETTINGS
@given(st.one_of(junk, file_of(text_line)))
def test_txt_reader_one_row_per_line(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        rows = list(read_rows(_write(folder, "in.txt", data)))
    assert [r.line for r in rows] == list(range(1, len(_lines(data)) + 1))
    for row in rows:
        assert row.blank or row.error or isinstance(row.text, str)


@SETTINGS
@given(st.one_of(junk, file_of(jsonl_line)))
def test_jsonl_reader_one_row_per_line(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        rows = list(read_rows(_write(folder, "in.jsonl", data)))
    assert [r.line for r in rows] == list(range(1, len(_lines(data)) + 1))
    assert all(r.error is None or isinstance(r.error, str) for r in rows)


@SETTINGS
@given(st.one_of(junk, csv_file(), csv_file(delimiter=b"\t")), st.sampled_from(["csv", "tsv"]))
def test_csv_reader_raises_only_input_error(data: bytes, fmt: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        rows = _read_all(_write(folder, f"in.{fmt}", data))
    numbers = [r.line for r in rows]
    assert numbers == sorted(set(numbers))  # in order, each row once


@SETTINGS
@given(st.one_of(junk, file_of(jsonl_line), file_of(st.builds(
    lambda turns, cid: json.dumps({"id": cid, "turns": turns}).encode(),
    st.lists(st.dictionaries(st.sampled_from(["speaker", "text"]), json_values | any_text), max_size=3),
    json_values))))
def test_nested_conversations_raise_nothing(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        rows = list(read_conversations(_write(folder, "in.jsonl", data)))
    assert [r.line for r in rows] == list(range(1, len(_lines(data)) + 1))
    for row in rows:
        assert row.blank or (row.error is None) == (row.conversation is not None)
        if row.conversation is not None:
            for turn in row.conversation.turns:
                turn.text.encode("utf-8")  # every turn a text the model can read


@SETTINGS
@given(st.one_of(junk, csv_file(b"conv,speaker,text,turn")), st.booleans())
def test_flat_conversations_raise_only_input_error(data: bytes, ordered: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, "in.csv", data)
        try:
            rows = list(read_conversations(path, conversation_column="conv",
                                           turn_column="turn" if ordered else None))
        except InputError:
            return
    for row in rows:
        assert row.blank or (row.error is None) == (row.conversation is not None)


def _parquet_sample() -> bytes:
    sink = pa.BufferOutputStream()
    table = pa.table({"text": [f"row {i} é" for i in range(300)] + [None], "n": list(range(301))})
    pq.write_table(table, sink, row_group_size=100)
    return sink.getvalue().to_pybytes()


PARQUET = _parquet_sample()


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, len(PARQUET) - 1), st.integers(1, 255)), max_size=8),
       st.integers(0, len(PARQUET)))
def test_parquet_reader_raises_only_input_error(flips: list[tuple[int, int]], keep: int) -> None:
    data = bytearray(PARQUET)
    for at, mask in flips:
        data[at] ^= mask
    with tempfile.TemporaryDirectory() as folder:
        rows = _read_all(_write(folder, "in.parquet", bytes(data[:keep] if keep < 64 else data)))
    assert [r.line for r in rows] == list(range(1, len(rows) + 1))


@SETTINGS
@given(any_text.filter(lambda t: "\n" not in t), st.integers(1, 12), st.booleans())
def test_a_long_text_keeps_exactly_its_first_characters(text: str, max_chars: int, ascii_only: bool) -> None:
    text = (text * 40)[:400]
    line = json.dumps({"meta": "x" * 200, "text": text}, ensure_ascii=ascii_only)
    with tempfile.TemporaryDirectory() as folder:
        row = next(read_rows(_write(folder, "in.jsonl", line.encode("utf-8", "surrogatepass")),
                             max_chars=max_chars))
        if row.error:  # a raw surrogate is invalid UTF-8
            assert not ascii_only and "invalid UTF-8" in row.error
        else:  # JSON joins an escaped surrogate pair into one character, as a decoder must
            decoded = json.loads(line)["text"]
            assert (row.text, row.clipped) == (decoded[:max_chars], len(decoded) > max_chars)
        try:
            raw = text.encode("utf-8")
        except UnicodeEncodeError:
            return
        row = next(read_rows(_write(folder, "in.txt", raw + b"\n"), max_chars=max_chars), None)
    if text.strip():
        assert (row.text, row.clipped) == (text[:max_chars], len(text) > max_chars)


@SETTINGS
@given(st.lists(st.text("abc xyz,\t", min_size=1, max_size=8).filter(str.strip), min_size=1,
                max_size=8), st.data())
def test_an_unterminated_quote_swallows_no_row(texts: list[str], data: st.DataObject) -> None:
    lines = [f'{i},"{t}"' for i, t in enumerate(texts)]
    broken = data.draw(st.integers(0, len(lines)))
    lines.insert(broken, f'{broken},"never closed')
    with tempfile.TemporaryDirectory() as folder:
        rows = list(read_rows(_write(folder, "in.csv", ("id,text\n" + "\n".join(lines) + "\n").encode())))
    assert [r.line for r in rows] == list(range(2, len(lines) + 2))
    assert [r.text for r in rows if not r.error] == texts
    assert "quote" in rows[broken].error


# -- end to end ----------------------------------------------------------------------------


def _expected_lines(data: bytes, fmt: str) -> list[int]:
    """The 1-based numbers of the lines that are not blank (blank: whitespace only)."""
    out = []
    for n, line in enumerate(_lines(data), 1):
        if n == 1:
            line = line.removeprefix(BOM)
        if fmt == "jsonl":
            blank = not line.strip()
        else:
            try:
                blank = not line.decode("utf-8").strip()
            except UnicodeDecodeError:
                blank = False
        if not blank:
            out.append(n)
    return out


@SETTINGS
@given(st.sampled_from(["txt", "jsonl"]).flatmap(
    lambda fmt: st.tuples(st.just(fmt), file_of(jsonl_line if fmt == "jsonl" else text_line))))
def test_analyze_file_one_record_per_line(tiny_analyzer, case: tuple[str, bytes]) -> None:
    from emotive.analyze import analyze_file

    fmt, data = case
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "out.jsonl")
        summary = analyze_file(_write(folder, f"in.{fmt}", data), out, analyzer=tiny_analyzer,
                               on_error="skip", chunk_size=4)
        lines = Path(out).read_text(encoding="utf-8").splitlines()
    records = [_strict_json(x) for x in lines]
    assert [r["line"] for r in records] == _expected_lines(data, fmt)
    assert summary.rows == len(records) == summary.analyzed + summary.errors


@settings(max_examples=CLI_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(file_of(jsonl_line))
def test_cli_never_prints_a_traceback(cli_env, tiny_model, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path, out = _write(folder, "in.jsonl", data), os.path.join(folder, "out.jsonl")
        skip = _cli(["analyze", path, "-o", out, "--on-error", "skip", "--model", str(tiny_model)], cli_env)
        assert "Traceback" not in skip.stderr and skip.returncode in (0, 1), skip.stderr
        records = [_strict_json(x) for x in Path(out).read_text(encoding="utf-8").splitlines()]
        assert [r["line"] for r in records] == _expected_lines(data, "jsonl")
        fail = _cli(["analyze", path, "-o", os.path.join(folder, "out2.jsonl"), "--model", str(tiny_model)], cli_env)
    assert "Traceback" not in fail.stderr and fail.returncode in (0, 1, 2), fail.stderr
    bad = [r["line"] for r in records if "error" in r]
    if bad:
        assert fail.returncode == 2 and f"in.jsonl:{bad[0]}: " in fail.stderr


def _strict_json(line: str) -> dict:
    """A JSON line parsed, refusing NaN and Infinity (which JSON does not have)."""
    return json.loads(line, parse_constant=lambda name: (_ for _ in ()).throw(AssertionError(name)))


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "emotive", *args], capture_output=True, text=True,
                          env=env, timeout=120)
