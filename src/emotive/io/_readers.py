"""Read texts from .txt, .csv/.tsv, .jsonl, .parquet files or stdin, one ``Row`` per input.

Readers stream: one pass, memory bounded by the longest row. A row keeps its 1-based line
(or row) number and ``end``, how far into the input it ends (bytes, or rows for Parquet),
for a progress bar that needs no second pass. A row that cannot be used becomes a ``Row``
with ``error`` set, never silently dropped: the caller decides to fail or to skip. Blank
lines of a .txt or .jsonl file are ``Row(blank=True)``: skipped and counted by the jobs.
A text longer than ``max_chars`` is cut there (``clipped``) before any other work.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from emotive._errors import InputError

FORMATS = ("txt", "csv", "tsv", "jsonl", "parquet")
MAX_CHARS = 100_000  # per-row text limit: far beyond any model's window, bounded memory
_CSV_FIELD_LIMIT = 1 << 30
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
    raw = _open_bytes(path)
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


def _open_bytes(path: str) -> BinaryIO:
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


def clip(text: Any, max_chars: int) -> tuple[Any, bool]:
    """``text`` cut at ``max_chars`` characters, and whether it was."""
    if isinstance(text, str) and len(text) > max_chars:
        return text[:max_chars], True
    return text, False


def _txt(raw: BinaryIO, max_chars: int) -> Iterator[Row]:
    end = 0
    with raw:
        for n, line in enumerate(raw, 1):
            end += len(line)
            text, err = decode_line(line.rstrip(b"\r\n"))
            if n == 1:
                text = text.removeprefix("\ufeff")
            if err:
                yield Row(n, error=err, end=end)
            elif not text.strip():
                yield Row(n, text, end=end, blank=True)
            else:
                text, clipped = clip(text, max_chars)
                yield Row(n, text, end=end, clipped=clipped)


def load_json_line(line: bytes, n: int) -> tuple[Any, str | None]:
    """One JSONL line parsed, or why it cannot be (never raises)."""
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


def _jsonl(raw: BinaryIO, field: str, max_chars: int) -> Iterator[Row]:
    end = 0
    with raw:
        for n, line in enumerate(raw, 1):
            end += len(line)
            if not line.strip() or (n == 1 and line.strip() == b"\xef\xbb\xbf"):
                yield Row(n, end=end, blank=True)
                continue
            obj, err = load_json_line(line, n)
            yield Row(n, error=err, end=end) if err else _field_row(n, obj, field, end, max_chars)


def _field_row(n: int, obj: Any, field: str, end: int, max_chars: int) -> Row:
    if not isinstance(obj, dict):
        return Row(n, error=f"expected a JSON object, got {type(obj).__name__}", end=end)
    if field not in obj:
        keys = ", ".join(map(str, obj))[:200] or "none"
        return Row(n, error=f"no field {field!r} (fields: {keys}; choose with --text-field)", end=end)
    text, clipped = clip(obj[field], max_chars)
    return Row(n, text, record=obj, end=end, clipped=clipped)


def _csv(raw: BinaryIO, path: str, column: str, delimiter: str, max_chars: int) -> Iterator[Row]:
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    with io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, strict=True)
        header = _header(reader, path)
        if header is None:
            return
        if column not in header:
            raise InputError(f"no column {column!r}; the columns are: {', '.join(header)} "
                             "(choose with --text-column)", source=path, line=1)
        col = header.index(column)
        yield from _csv_rows(reader, raw, header, col, max_chars)


def _header(reader: Any, path: str) -> list[str] | None:
    try:
        return next(reader, None)
    except csv.Error as exc:
        raise InputError(f"unreadable CSV header: {exc}", source=path, line=1) from None


def _csv_rows(reader: Any, raw: BinaryIO, header: list[str], col: int,
              max_chars: int) -> Iterator[Row]:
    last = reader.line_num
    while True:
        start = last + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            last = reader.line_num
            yield Row(start, error=_csv_problem(exc, start), end=_tell(raw))
            continue
        last = reader.line_num
        end = _tell(raw)
        if not cells:
            yield Row(start, end=end, blank=True)
        elif len(cells) != len(header):
            yield Row(start, error=f"expected {len(header)} cells, got {len(cells)}", end=end)
        elif any(_has_bad_bytes(c) for c in cells):
            yield Row(start, error="invalid UTF-8", end=end)
        else:
            text, clipped = clip(cells[col], max_chars)
            yield Row(start, text, record=dict(zip(header, cells)), end=end, clipped=clipped)


def _csv_problem(exc: csv.Error, line: int) -> str:
    msg = str(exc)
    if "unexpected end of data" in msg:
        return (f"unterminated quote: the quoted cell that starts on line {line} runs to the "
                "end of the file")
    return f"malformed CSV: {msg}"


def _tell(raw: BinaryIO) -> int:
    try:
        return raw.tell()
    except (OSError, ValueError):
        return 0


def _has_bad_bytes(cell: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in cell)


def _parquet(path: str, column: str, max_chars: int) -> Source:
    pf = _parquet_file(path)
    names = pf.schema_arrow.names
    if column not in names:
        raise InputError(f"no column {column!r}; the columns are: {', '.join(names)} "
                         "(choose with --text-column)", source=path)
    return Source(path, "parquet", _parquet_rows(pf, path, column, max_chars),
                  int(pf.metadata.num_rows), "rows")


def _parquet_file(path: str) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise InputError(f"cannot read parquet file: {exc}", source=path) from None


def _parquet_rows(pf: Any, path: str, column: str, max_chars: int) -> Iterator[Row]:
    import pyarrow as pa

    n = 0
    batches = pf.iter_batches(batch_size=4096)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (OSError, ValueError, pa.ArrowException) as exc:
            raise InputError(f"corrupt parquet data after row {n}: {exc}", source=path,
                             line=n + 1) from None
        for rec in batch.to_pylist():
            n += 1
            text, clipped = clip(rec[column], max_chars)
            yield Row(n, text, record=rec, end=n, clipped=clipped)


def parquet_rows(path: str) -> int:
    """The row count of a Parquet file, from its metadata."""
    return int(_parquet_file(path).metadata.num_rows)
