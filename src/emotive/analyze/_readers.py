"""Read texts from .txt, .csv/.tsv, .jsonl, .parquet files or stdin, one ``Row`` per input.

A row keeps its 1-based line (or row) number. A row that cannot be used becomes a ``Row``
with ``error`` set, never silently dropped: the caller decides to fail or to skip.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from emotive._errors import InputError

FORMATS = ("txt", "csv", "tsv", "jsonl", "parquet")


@dataclass(frozen=True)
class Row:
    """One input: its text, or why it has none (``error``), and where it came from."""

    line: int
    text: Any = None
    error: str | None = None
    record: dict[str, Any] | None = None  # the other fields of a csv/jsonl/parquet row


def detect_format(path: str, fmt: str | None = None) -> str:
    """The input format from ``fmt`` or the file suffix (stdin ``-`` defaults to txt)."""
    if fmt:
        if fmt not in FORMATS:
            raise InputError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
        return fmt
    if path == "-":
        return "txt"
    suffix = Path(path).suffix.lower().lstrip(".")
    suffix = {"ndjson": "jsonl", "json": "jsonl", "text": "txt", "pq": "parquet"}.get(suffix, suffix)
    if suffix not in FORMATS:
        raise InputError(f"cannot tell the format of {path!r} from its suffix; "
                         f"pass --format ({', '.join(FORMATS)})")
    return suffix


def read_rows(path: str, fmt: str | None = None, *, text_column: str = "text",
              text_field: str = "text") -> Iterator[Row]:
    """Rows of ``path`` (``-`` for stdin) in input order."""
    kind = detect_format(path, fmt)
    if kind == "parquet":
        return _parquet(path, text_column)
    raw = _open_bytes(path)
    if kind == "txt":
        return _txt(raw, path)
    if kind == "jsonl":
        return _jsonl(raw, path, text_field)
    return _csv(raw, path, text_column, "\t" if kind == "tsv" else ",")


def _open_bytes(path: str) -> BinaryIO:
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")  # noqa: SIM115 - closed by the generators
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", source=path) from exc


def _decode(data: bytes) -> tuple[str, str | None]:
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return "", f"invalid UTF-8 at byte {exc.start}"


def _txt(raw: BinaryIO, path: str) -> Iterator[Row]:
    with raw:
        for n, line in enumerate(raw, 1):
            text, err = _decode(line.rstrip(b"\r\n"))
            if n == 1:
                text = text.removeprefix("\ufeff")
            yield Row(n, error=err) if err else Row(n, text)


def _jsonl(raw: BinaryIO, path: str, field: str) -> Iterator[Row]:
    with raw:
        for n, line in enumerate(raw, 1):
            text, err = _decode(line)
            if err:
                yield Row(n, error=err)
                continue
            if not text.strip():
                yield Row(n, error="blank line")
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield Row(n, error=f"malformed JSON: {exc.msg} (column {exc.colno})")
                continue
            yield _field_row(n, obj, field)


def _field_row(n: int, obj: Any, field: str) -> Row:
    if not isinstance(obj, dict):
        return Row(n, error=f"expected a JSON object, got {type(obj).__name__}")
    if field not in obj:
        keys = ", ".join(obj) or "none"
        return Row(n, error=f"no field {field!r} (fields: {keys}; choose with --text-field)")
    return Row(n, obj[field], record=obj)


def _csv(raw: BinaryIO, path: str, column: str, delimiter: str) -> Iterator[Row]:
    with io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            return
        if column not in header:
            raise InputError(f"no column {column!r}; the columns are: {', '.join(header)} "
                             "(choose with --text-column)", source=path, line=1)
        col = header.index(column)
        for cells in reader:
            n = reader.line_num
            if len(cells) != len(header):
                yield Row(n, error=f"expected {len(header)} cells, got {len(cells)}")
            elif any(_has_bad_bytes(c) for c in cells):
                yield Row(n, error="invalid UTF-8")
            else:
                yield Row(n, cells[col], record=dict(zip(header, cells)))


def _has_bad_bytes(cell: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in cell)


def _parquet(path: str, column: str) -> Iterator[Row]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read parquet file: {exc}", source=path) from exc
    names = pf.schema_arrow.names
    if column not in names:
        raise InputError(f"no column {column!r}; the columns are: {', '.join(names)} "
                         "(choose with --text-column)", source=path)
    n = 0
    for batch in pf.iter_batches(batch_size=4096):
        for rec in batch.to_pylist():
            n += 1
            yield Row(n, rec[column], record=rec)


def count_rows(path: str, fmt: str | None = None) -> int | None:
    """How many rows ``path`` holds, for a progress bar (None for stdin)."""
    if path == "-":
        return None
    kind = detect_format(path, fmt)
    if kind == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    if kind in ("csv", "tsv"):
        with open(path, encoding="utf-8", errors="replace", newline="") as fh:
            return max(0, sum(1 for _ in csv.reader(fh, delimiter="\t" if kind == "tsv" else ",")) - 1)
    with open(path, "rb") as fh:
        return sum(1 for _ in fh)
