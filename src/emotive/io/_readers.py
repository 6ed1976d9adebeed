"""Read texts from .txt, .csv/.tsv, .jsonl, .parquet files or stdin, one ``Row`` per input.

Readers stream: one pass, memory bounded by the longest row. A row keeps its 1-based line
(or row) number and ``end``, how far into the input it ends (bytes, or rows for Parquet),
for a progress bar that needs no second pass. A row that cannot be used becomes a ``Row``
with ``error`` set, never silently dropped: the caller decides to fail or to skip. Blank
lines of a .txt or .jsonl file are ``Row(blank=True)``: skipped and counted by the jobs.
A text longer than ``max_chars`` is cut there (``clipped``) before any other work.

Hostile input costs bounded memory: a .txt line is read up to what ``max_chars`` characters
can take and the rest is only checked (UTF-8, blank), never kept; a long JSONL line has its
long strings cut before it is parsed (the rest is never decoded); a csv row may hold at most
8 MiB (16 bytes a character of ``max_chars``, when that is more), and a broken row (an
unterminated quote) is reported on its first line while its later lines are read again as
rows, so it swallows none.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
import re
import stat
import sys
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from emotive._errors import InputError

FORMATS = ("txt", "csv", "tsv", "jsonl", "parquet")
MAX_CHARS = 100_000  # per-row text limit: far beyond any model's window, bounded memory
_CSV_FIELD_LIMIT = 1 << 30
_CSV_ROW_BYTES = 8 << 20  # the least a csv row may hold: bounded memory, an unterminated quote found
_BLOCK = 1 << 20  # bytes read at a time from the part of a line that no row needs
_BOM = b"\xef\xbb\xbf"
_SUFFIXES = {"ndjson": "jsonl", "json": "jsonl", "text": "txt", "pq": "parquet"}


@dataclass(frozen=True)
class Row:
    """One input: its text, or why it has none (``error``), and where it came from."""

    line: int
    text: Any = None
    error: str | None = None
    record: dict[str, Any] | None = None  # the other fields of a csv/jsonl/parquet row
    end: int = 0  # bytes (rows for parquet) of the input consumed up to this row
    blank: bool = False  # a blank line: skipped, counted
    clipped: bool = False  # the text was cut at ``max_chars``


@dataclass
class Source:
    """An input opened for streaming: its rows, and the size a progress bar can use."""

    path: str
    kind: str
    rows: Iterator[Row]
    total: int | None  # bytes (rows for parquet); None for stdin
    unit: str  # "bytes" or "rows"

    def __iter__(self) -> Iterator[Row]:
        return self.rows


def detect_format(path: str, fmt: str | None = None) -> str:
    """The input format from ``fmt`` or the file suffix (stdin ``-`` defaults to txt).

    >>> detect_format("chats.ndjson")
    'jsonl'
    """
    if fmt:
        if fmt not in FORMATS:
            raise InputError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
        return fmt
    if path == "-":
        return "txt"
    suffix = Path(path).suffix.lower().lstrip(".")
    suffix = _SUFFIXES.get(suffix, suffix)
    if suffix not in FORMATS:
        raise InputError(f"cannot tell the format of {path!r} from its suffix; "
                         f"pass --format ({', '.join(FORMATS)})")
    return suffix


def check_input(path: str) -> None:
    """Raise ``InputError`` unless ``path`` is ``-`` or a regular file that can be read."""
    if path == "-":
        return
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError("no such file", source=path) from None
    except OSError as exc:  # a symlink loop, a name too long, ...
        raise InputError(f"cannot read: {exc.strerror or exc}", source=path) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError("is a directory, not a file", source=path)
    if not stat.S_ISREG(info.st_mode):
        raise InputError("is not a regular file (a device or a pipe); use - for stdin", source=path)
    if not os.access(path, os.R_OK):
        raise InputError("permission denied", source=path)


def open_rows(path: str, fmt: str | None = None, *, text_column: str = "text",
              text_field: str = "text", max_chars: int = MAX_CHARS) -> Source:
    """The rows of ``path`` (``-`` for stdin) in input order, with the input's size."""
    kind = detect_format(path, fmt)
    check_input(path)
    if kind == "parquet":
        return _parquet(path, text_column, max_chars)
    total = None if path == "-" else os.path.getsize(path)
    raw = open_bytes(path)
    if kind == "txt":
        rows = _txt(raw, max_chars)
    elif kind == "jsonl":
        rows = _jsonl(raw, text_field, max_chars)
    else:
        rows = _csv(raw, path, text_column, "\t" if kind == "tsv" else ",", max_chars)
    return Source(path, kind, rows, total, "bytes")


def read_rows(path: str, fmt: str | None = None, *, text_column: str = "text",
              text_field: str = "text", max_chars: int = MAX_CHARS) -> Iterator[Row]:
    """Rows of ``path`` (``-`` for stdin) in input order."""
    return open_rows(path, fmt, text_column=text_column, text_field=text_field,
                     max_chars=max_chars).rows


def open_bytes(path: str) -> BinaryIO:
    """``path`` opened for reading bytes (``-``: stdin); an unreadable file is an ``InputError``."""
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")  # noqa: SIM115 - closed by the generators
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", source=path) from exc


def decode_line(data: bytes) -> tuple[str, str | None]:
    """A line as text, or why it is not UTF-8."""
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return "", f"invalid UTF-8 at byte {exc.start}"


class _Utf8Check:
    """UTF-8 fed in pieces: each piece's text, and the first invalid byte of all of them.

    >>> check = _Utf8Check()
    >>> check.feed(b"caf\\xc3"), check.feed(b"\\xa9 ok"), check.error
    ('caf', 'é ok', None)
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.size = 0  # bytes fed
        self.error: str | None = None

    def feed(self, data: bytes, final: bool = False) -> str:
        """The text of ``data`` (a character cut at its end waits for the next piece)."""
        pending = len(self._decoder.getstate()[0])
        self.size += len(data)
        if self.error:
            return ""
        try:
            return self._decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            self.error = f"invalid UTF-8 at byte {self.size - len(data) - pending + exc.start}"
            return ""

    def close(self) -> None:
        """The input ended: a character cut at its end is an error."""
        self.feed(b"", final=True)


def clip(text: Any, max_chars: int) -> tuple[Any, bool]:
    """``text`` cut at ``max_chars`` characters, and whether it was."""
    if isinstance(text, str) and len(text) > max_chars:
        return text[:max_chars], True
    return text, False


def _txt(raw: BinaryIO, max_chars: int) -> Iterator[Row]:
    limit = 4 * (max_chars + 1)  # bytes that hold max_chars + 1 characters, whatever they are
    end = n = 0
    with raw:
        while line := raw.readline(limit):
            n += 1
            if line.endswith(b"\n") or len(line) < limit:
                end += len(line)
                yield _txt_row(n, line, end, max_chars)
            else:
                text, size, err, blank = _long_line(raw, line, n == 1)
                end += size
                yield _txt_long_row(n, text, err, blank, end, max_chars)


def _txt_row(n: int, line: bytes, end: int, max_chars: int) -> Row:
    text, err = decode_line(line.rstrip(b"\r\n"))
    if err:
        return Row(n, error=err, end=end)
    if n == 1:
        text = text.removeprefix("\ufeff")
    if not text.strip():
        return Row(n, text, end=end, blank=True)
    text, clipped = clip(text, max_chars)
    return Row(n, text, end=end, clipped=clipped)


def _txt_long_row(n: int, text: str, err: str | None, blank: bool, end: int, max_chars: int) -> Row:
    if err:
        return Row(n, error=err, end=end)
    if blank:
        return Row(n, "", end=end, blank=True)
    text, clipped = clip(text, max_chars)
    return Row(n, text, end=end, clipped=clipped)


def _long_line(raw: BinaryIO, head: bytes, first: bool) -> tuple[str, int, str | None, bool]:
    """A line longer than a row needs, read on from its ``head``: the head's text, the
    line's size in bytes, why it is not UTF-8, and whether it is whitespace only. The rest
    is read in blocks and checked, never kept."""
    check = _Utf8Check()
    text = check.feed(head)
    if first:
        text = text.removeprefix("\ufeff")
    blank = not text.strip()
    chunk = head
    while not chunk.endswith(b"\n") and (chunk := raw.readline(_BLOCK)):
        part = check.feed(chunk)
        blank = blank and not part.strip()
    check.close()
    return text, check.size, check.error, blank


def load_json_line(line: bytes, n: int, max_chars: int = MAX_CHARS) -> tuple[Any, str | None]:
    """One JSONL line parsed, or why it cannot be (never raises). A line longer than a row
    needs has its long strings cut first (``_shrink_json``), so it parses small."""
    if len(line) > _json_string_cap(max_chars):
        line, err = _shrunk(line, max_chars)
        if err:
            return None, err
    text, err = decode_line(line)
    if err:
        return None, err
    if n == 1:
        text = text.removeprefix("\ufeff")
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, f"malformed JSON: {exc.msg} (column {exc.colno})"
    except RecursionError:
        return None, "JSON nested too deeply"
    except ValueError as exc:  # an integer of more than 4,300 digits
        return None, f"unreadable JSON value: {exc}"


_JSON_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)  # possessive: no backtracking


def _json_string_cap(max_chars: int) -> int:
    """The bytes of the longest JSON string that may still hold at most ``max_chars + 1``
    characters: 12 bytes a character at most (an escaped surrogate pair), and its quotes."""
    return 12 * (max_chars + 1) + 2


@lru_cache(maxsize=8)
def _json_patterns(max_chars: int) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """What ``_shrink_json`` matches: all up to the next long JSON string (anything but a
    quote, and strings of at most ``_json_string_cap`` units, a unit one byte or an escape),
    and the first ``2 * (max_chars + 1)`` units of a long string's body (a surrogate pair
    counts twice): at least ``max_chars + 1`` characters once parsed."""
    skip = rb'(?:[^"]++|"(?:[^"\\]|\\.){0,%d}+")*+' % _json_string_cap(max_chars)
    unit = rb"(?:[^\\\x80-\xff]|[\xc0-\xff][\x80-\xbf]{0,3}|\\u[0-9A-Fa-f]{4}|\\.)"
    head = unit + b"{0,%d}+" % (2 * (max_chars + 1))
    return re.compile(skip, re.DOTALL), re.compile(head, re.DOTALL)


def _shrink_json(line: bytes, max_chars: int) -> bytes:
    """``line`` with every JSON string too long to matter cut, at a character, to more than
    ``max_chars`` characters: ``clip`` then cuts it and marks it, the rest is never decoded.
    The patterns are possessive (no backtracking) and step over short strings in C.

    >>> _shrink_json(b'{"text": "' + b"ab" * 20 + b'", "id": 1}', 2)
    b'{"text": "ababab", "id": 1}'
    """
    skip, head = _json_patterns(max_chars)
    out, done, at = [], 0, 0
    while (at := _matched(skip, line, at)) < len(line):
        string = _JSON_STRING.match(line, at)
        if string is None:  # an unterminated string: json.loads says so
            break
        out += [line[done:_matched(head, line, at + 1, string.end() - 1)], b'"']
        done = at = string.end()
    return b"".join([*out, line[done:]]) if out else line


def _matched(pattern: re.Pattern[bytes], line: bytes, *span: int) -> int:
    """Where ``pattern`` (one that also matches the empty string) ends, matched at ``span``."""
    match = pattern.match(line, *span)
    assert match is not None, "the pattern matches the empty string"
    return match.end()


def _shrunk(line: bytes, max_chars: int) -> tuple[bytes, str | None]:
    check = _Utf8Check()
    for start in range(0, len(line), _BLOCK):
        check.feed(line[start:start + _BLOCK])
    check.close()
    if check.error:
        return b"", check.error
    small = _shrink_json(line, max_chars)
    limit = 4 * _json_string_cap(max_chars)
    if len(small) > limit:
        return b"", (f"a JSON line of {len(line):,} bytes that holds {len(small):,} bytes besides its "
                     f"long texts (at most {limit:,}): too big to read")
    return small, None


def _jsonl(raw: BinaryIO, field: str, max_chars: int) -> Iterator[Row]:
    end = 0
    with raw:
        for n, line in enumerate(raw, 1):
            end += len(line)
            if blank_json(line, n):
                yield Row(n, end=end, blank=True)
                continue
            obj, err = load_json_line(line, n, max_chars)
            yield Row(n, error=err, end=end) if err else _field_row(n, obj, field, end, max_chars)


def blank_json(line: bytes, n: int) -> bool:
    """Whether a JSONL line is blank: whitespace only, after a BOM on the first line."""
    return not (line.removeprefix(_BOM) if n == 1 else line).strip()


def _field_row(n: int, obj: Any, field: str, end: int, max_chars: int) -> Row:
    if not isinstance(obj, dict):
        return Row(n, error=f"expected a JSON object, got {type(obj).__name__}", end=end)
    if field not in obj:
        keys = ", ".join(map(str, obj))[:200] or "none"
        return Row(n, error=f"no field {field!r} (fields: {keys}; choose with --text-field)", end=end)
    text, clipped = clip(obj[field], max_chars)
    return Row(n, text, record=obj, end=end, clipped=clipped)


# -- csv -----------------------------------------------------------------------------------


def _csv_row_limit(max_chars: int) -> int:
    """The most bytes one csv row may hold: a longer one is an error row."""
    return max(_CSV_ROW_BYTES, 16 * max_chars)


class _RowTooLong(Exception):
    """A csv row grew past the row limit (an unterminated quote, or one huge line)."""


class _CsvLines:
    """The physical lines of a csv file for ``csv.reader``, numbered and measured in bytes.

    The lines of the row being read are kept (at most the row limit), so that after a
    broken row its later lines are read again as rows of their own: an unterminated quote
    is reported on its line and swallows no rows. A line ends at ``\\n``, ``\\r\\n`` or a lone
    ``\\r``; a line longer than the row limit is skipped in blocks and given as ``None``.
    """

    def __init__(self, raw: BinaryIO, limit: int):
        self.limit = limit
        self.number = 0  # lines given so far
        self.end = 0  # bytes given so far
        self._lines = _physical_lines(raw, limit)
        self._row: list[tuple[bytes | None, int]] = []
        self._row_bytes = 0
        self._again: deque[tuple[bytes | None, int]] = deque()

    def start_row(self) -> int:
        """A row begins: the number its first line will have."""
        self._row, self._row_bytes = [], 0
        return self.number + 1

    def __iter__(self) -> _CsvLines:
        return self

    def __next__(self) -> str:
        data, size = self._again.popleft() if self._again else next(self._lines)
        self.number += 1
        self.end += size
        self._row.append((data, size))
        self._row_bytes += size
        if data is None or self._row_bytes > self.limit:
            raise _RowTooLong
        text = data.decode("utf-8", "surrogateescape")
        return text.removeprefix("\ufeff") if self.number == 1 else text

    def read_again(self) -> None:
        """The row read is broken: give its lines after the first again, as new rows."""
        rest = self._row[1:]
        self._again.extendleft(reversed(rest))
        self.number -= len(rest)
        self.end -= sum(size for _, size in rest)
        self._row = self._row[:1]


_LONE_CR = re.compile(rb"(?<=\r)(?!\n)")


def _physical_lines(raw: BinaryIO, limit: int) -> Iterator[tuple[bytes | None, int]]:
    while line := raw.readline(limit + 1):
        if len(line) > limit:
            yield None, len(line) + _skip_line(raw, line)
            continue
        for piece in _LONE_CR.split(line) if b"\r" in line else (line,):
            if piece:
                yield piece, len(piece)


def _skip_line(raw: BinaryIO, head: bytes) -> int:
    """Read the rest of a line begun by ``head``; its size in bytes."""
    size, chunk = 0, head
    while not chunk.endswith(b"\n") and (chunk := raw.readline(_BLOCK)):
        size += len(chunk)
    return size


def _csv(raw: BinaryIO, path: str, column: str, delimiter: str, max_chars: int) -> Iterator[Row]:
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    lines = _CsvLines(raw, _csv_row_limit(max_chars))

    def reader() -> Any:
        return csv.reader(lines, delimiter=delimiter, strict=True)

    with raw:
        header = _header(reader(), lines, path)
        if header is None:
            return
        if column not in header:
            raise InputError(f"no column {column!r}; the columns are: {', '.join(header)} "
                             "(choose with --text-column)", source=path, line=1)
        yield from _csv_rows(lines, reader, header, header.index(column), max_chars)


def _header(reader: Any, lines: _CsvLines, path: str) -> list[str] | None:
    lines.start_row()
    try:
        return next(reader, None)
    except csv.Error as exc:
        raise InputError(f"unreadable CSV header: {exc}", source=path, line=1) from None
    except _RowTooLong:
        raise InputError(f"the CSV header runs past {lines.limit:,} bytes: is a quote "
                         "unterminated?", source=path, line=1) from None


def _csv_rows(lines: _CsvLines, reader: Callable[[], Any], header: list[str], col: int,
              max_chars: int) -> Iterator[Row]:
    rows = reader()
    while True:
        start = lines.start_row()
        try:
            cells = next(rows)
            problem = _swallowed(cells, header, start, lines.number)
        except StopIteration:
            return
        except (csv.Error, _RowTooLong) as exc:
            problem = _csv_problem(exc, start, lines)
        if problem is None:
            yield _csv_row(start, cells, header, col, lines.end, max_chars)
            continue
        lines.read_again()
        rows = reader()  # a fresh parser from the line after the broken row's first
        yield Row(start, error=problem, end=lines.end)


def _swallowed(cells: list[str], header: list[str], start: int, last: int) -> str | None:
    """Why a row of several lines with the wrong number of cells is broken: a quote that
    opened a cell on its first line closed lines later, taking the lines between."""
    if not cells or len(cells) == len(header) or last == start:
        return None
    return (f"expected {len(header)} cells, got {len(cells)} in a row that runs to line {last}: "
            f"is a quote unterminated?{_again(start, last)}")


def _csv_row(start: int, cells: list[str], header: list[str], col: int, end: int,
             max_chars: int) -> Row:
    if not cells:
        return Row(start, end=end, blank=True)
    if len(cells) != len(header):
        return Row(start, error=f"expected {len(header)} cells, got {len(cells)}", end=end)
    if any(_has_bad_bytes(c) for c in cells):
        return Row(start, error="invalid UTF-8", end=end)
    text, clipped = clip(cells[col], max_chars)
    return Row(start, text, record=dict(zip(header, cells)), end=end, clipped=clipped)


def _again(start: int, last: int) -> str:
    if last > start + 1:
        return f"; lines {start + 1}-{last} are read again as rows"
    return f"; line {last} is read again as a row" if last == start + 1 else ""


def _csv_problem(exc: Exception, start: int, lines: _CsvLines) -> str:
    last = lines.number  # the line the row broke on
    again = _again(start, last)
    if isinstance(exc, _RowTooLong):
        if last == start:
            return f"a line longer than {lines.limit:,} bytes, more than a csv row may hold"
        return f"a row that runs past {lines.limit:,} bytes: is a quote unterminated?{again}"
    msg = str(exc)
    if "unexpected end of data" in msg:
        return f"unterminated quote: a quoted cell of this row never closes{again}"
    if last > start:
        return f"malformed CSV: {msg} on line {last}, in a row that starts here: is a quote unterminated?{again}"
    return f"malformed CSV: {msg}"


_BAD_BYTE = re.compile("[\udc80-\udcff]")  # a byte that is not UTF-8, decoded with surrogateescape


def _has_bad_bytes(cell: str) -> bool:
    return _BAD_BYTE.search(cell) is not None


# -- parquet -------------------------------------------------------------------------------


def _arrow_errors() -> tuple[type[BaseException], ...]:
    import pyarrow as pa

    return (OSError, ValueError, MemoryError, OverflowError, pa.ArrowException)


def _parquet(path: str, column: str, max_chars: int) -> Source:
    pf = _parquet_file(path)
    try:
        names = pf.schema_arrow.names
    except _arrow_errors() as exc:
        raise InputError(f"cannot read parquet schema: {exc}", source=path) from None
    if column not in names:
        raise InputError(f"no column {column!r}; the columns are: {', '.join(names)} "
                         "(choose with --text-column)", source=path)
    return Source(path, "parquet", _parquet_rows(pf, path, column, max_chars),
                  int(pf.metadata.num_rows), "rows")


def _parquet_file(path: str) -> Any:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except _arrow_errors() as exc:
        raise InputError(f"cannot read parquet file: {exc}", source=path) from None


def _parquet_rows(pf: Any, path: str, column: str, max_chars: int) -> Iterator[Row]:
    n = 0
    batches = pf.iter_batches(batch_size=1024)
    while True:
        try:
            batch = next(batches)
            names = batch.schema.names
            texts, clipped = _clipped_texts(batch.column(names.index(column)), max_chars)
            columns = {name: texts if name == column else _values(batch.column(i))
                       for i, name in enumerate(names)}
        except StopIteration:
            return
        except _arrow_errors() as exc:
            raise InputError(f"corrupt parquet data after row {n}: {exc}", source=path,
                             line=n + 1) from None
        for j in range(batch.num_rows):
            n += 1
            yield _parquet_row(n, {name: values[j] for name, values in columns.items()}, column,
                               clipped[j], max_chars)


def _parquet_row(n: int, rec: dict[str, Any], column: str, clipped: bool, max_chars: int) -> Row:
    bad = next(((name, v) for name, v in rec.items() if isinstance(v, _Unreadable)), None)
    if bad:
        return Row(n, error=f"column {bad[0]!r}: unreadable value ({bad[1].why})", end=n)
    text, cut = clip(rec[column], max_chars)
    return Row(n, text, record=rec, end=n, clipped=clipped or cut)


@dataclass(frozen=True)
class _Unreadable:
    """A Parquet value that Python cannot hold (a date out of range, invalid UTF-8)."""

    why: str


def _values(array: Any) -> list[Any]:
    try:
        return array.to_pylist()
    except _arrow_errors():
        return [_value(array, i) for i in range(len(array))]


def _value(array: Any, i: int) -> Any:
    try:
        return array[i].as_py()
    except _arrow_errors() as exc:
        return _Unreadable(f"{type(exc).__name__}: {exc}"[:200])


def _clipped_texts(array: Any, max_chars: int) -> tuple[list[Any], list[bool]]:
    """The text column's values, a long string cut in Arrow (no huge Python string made)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return _values(array), [False] * len(array)
    try:
        over = pc.fill_null(pc.greater(pc.utf8_length(array), max_chars), False)
        if pc.any(over).as_py():
            array = pc.utf8_slice_codeunits(array, 0, max_chars)
        return _values(array), over.to_pylist()
    except _arrow_errors():  # invalid UTF-8 in the column: value by value
        return _values(array), [False] * len(array)


def parquet_rows(path: str) -> int:
    """The row count of a Parquet file, from its metadata."""
    return int(_parquet_file(path).metadata.num_rows)
