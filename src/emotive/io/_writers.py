"""Write result records as jsonl (stdout by default), csv or parquet, streaming.

Records are written as they come: jsonl and csv line by line, parquet in row groups of
``ROW_GROUP`` rows (memory stays bounded, whatever the file's length). A file is written
aside (``.name.partial``) and renamed into place only when complete, so an interrupted
write never leaves a half-written output file under the final name. JSON never holds
``NaN`` or ``Infinity`` (they become ``null``), and text that is not valid Unicode (a lone
surrogate) is written escaped, never lost. A JSON line holds no character that a line
splitter may break on (U+0085, U+2028, U+2029 are escaped), so ``str.splitlines`` and
JavaScript read it back whole.
"""

from __future__ import annotations

import csv
import json
import math
import re
import sys
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from emotive._errors import InputError
from emotive._files import atomic_path

OUTPUTS = ("jsonl", "csv", "parquet")
ROW_GROUP = 16_384
_LINE_BREAKS = re.compile("[\u0085\u2028\u2029]")  # line ends to str.splitlines, not to JSON
BASE_COLUMNS = (("line", "int64"), ("text", "string"), ("top", "string"), ("labels", "string"),
                ("error", "string"), ("truncated", "bool"), ("clipped", "bool"))


@dataclass(frozen=True)
class Layout:
    """How records become csv/parquet rows: typed columns and a ``flatten`` function.

    Column types are Arrow type names (``int64``, ``float64``, ``bool``, ``string``), so
    every row group of a Parquet file has one schema whatever its rows hold.
    """

    columns: tuple[tuple[str, str], ...]
    flatten: Callable[[dict[str, Any]], dict[str, Any]]

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.columns]


def text_layout(labels: Iterable[str]) -> Layout:
    """The layout of text analysis records: base columns and one score column per label."""
    labels = tuple(labels)
    return Layout((*BASE_COLUMNS, *((lab, "float64") for lab in labels)),
                  lambda rec: _flat(rec, labels))


def output_kind(path: str | None, fmt: str | None = None) -> str:
    """The output format from ``fmt`` or the suffix; stdout (None or ``-``) is jsonl."""
    kind = fmt or (Path(path).suffix.lstrip(".").lower() if path not in (None, "-") else "jsonl")
    kind = {"ndjson": "jsonl", "pq": "parquet"}.get(kind, kind)
    if kind not in OUTPUTS:
        raise InputError(f"cannot write {kind!r} output; use one of: {', '.join(OUTPUTS)}",
                         source=path)
    return kind


def check_output(path: str | None) -> None:
    """Refuse, before any work, an output that cannot be written: a missing folder or a
    folder in the file's place."""
    if path in (None, "-"):
        return
    target = Path(path)
    if target.is_dir():
        raise InputError("is a directory; give a file name to write", source=str(path))
    parent = target.parent
    if not parent.is_dir():
        raise InputError(f"no directory {str(parent)!r} to write into", source=str(path))


def dumps_record(record: dict[str, Any]) -> str:
    """One JSON line: non-ASCII kept, NaN/Infinity as null, lone surrogates and the
    characters that split lines (U+0085, U+2028, U+2029) escaped.

    >>> dumps_record({"score": float("nan"), "text": "café"})
    '{"score": null, "text": "café"}'
    >>> dumps_record({"text": "one" + chr(0x2028) + "two"})
    '{"text": "one\\\\u2028two"}'
    """
    try:
        line = json.dumps(record, ensure_ascii=False, allow_nan=False)
    except ValueError:
        line = json.dumps(_finite(record), ensure_ascii=False, allow_nan=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(_finite(record), ensure_ascii=True, allow_nan=False)
    if _LINE_BREAKS.search(line):  # in JSON they stand only inside strings: escaping keeps them
        line = _LINE_BREAKS.sub(lambda m: f"\\u{ord(m.group()):04x}", line)
    return line


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def safe_text(value: Any) -> Any:
    """A string that UTF-8 can encode (lone surrogates escaped); other values as they are."""
    if not isinstance(value, str):
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


class Writer:
    """Context manager that takes records one by one. ``path=None`` or ``-`` → stdout jsonl.

    ``top_k`` trims each jsonl record's ``scores`` to the k best; csv and parquet carry the
    ``layout``'s columns (by default one score column per label). ``header=False`` leaves
    out the csv header (a part of a longer file). The file appears under ``path`` only
    when the block ends without an exception.
    """

    def __init__(self, path: str | None, layout: Layout, fmt: str | None = None,
                 top_k: int | None = None, *, header: bool = True, fsync: bool = True):
        self.path = None if path in (None, "-") else Path(path)
        self.kind = output_kind(path, fmt)
        self.layout = layout
        self.top_k = top_k
        self.header = header
        self.fsync = fsync
        self.rows = 0
        self._stack = ExitStack()
        self._fh: IO[str] | None = None
        self._csv: Any = None
        self._parquet: Any = None
        self._buffer: list[dict[str, Any]] = []

    def __enter__(self) -> Writer:
        if self.path is None:
            self._fh = sys.stdout
            return self
        with ExitStack() as stack:
            tmp = stack.enter_context(atomic_path(self.path, fsync=self.fsync))
            if self.kind != "parquet":
                self._fh = stack.enter_context(open(tmp, "w", encoding="utf-8", newline=""))
            self._tmp = tmp
            self._stack = stack.pop_all()
        if self.kind == "csv" and self.header:
            self._csv_writer()
        return self

    def write(self, record: dict[str, Any]) -> None:
        self.rows += 1
        if self.kind == "jsonl":
            assert self._fh is not None
            if self.top_k is not None and isinstance(record.get("scores"), dict):
                record = {**record, "scores": dict(list(record["scores"].items())[:self.top_k])}
            self._fh.write(dumps_record(record) + "\n")
        elif self.kind == "csv":
            self._csv_writer().writerow(_safe_row(self.layout.flatten(record)))
        else:
            self._buffer.append(self.layout.flatten(record))
            if len(self._buffer) >= ROW_GROUP:
                self._flush_parquet()

    def write_many(self, records: Iterable[dict[str, Any]]) -> None:
        for record in records:
            self.write(record)

    def _csv_writer(self) -> Any:
        if self._csv is None:
            assert self._fh is not None
            self._csv = csv.DictWriter(self._fh, fieldnames=self.layout.names, extrasaction="ignore")
            if self.header:
                self._csv.writeheader()
        return self._csv

    def _flush_parquet(self) -> None:
        import pyarrow.parquet as pq

        schema = arrow_schema(self.layout)
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self._tmp, schema)
        if self._buffer:
            self._parquet.write_table(arrow_table(self._buffer, self.layout, schema))
            self._buffer = []

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self.path is None:
            sys.stdout.flush()
            return
        try:
            if exc_type is None and self.kind == "parquet":
                self._flush_parquet()
            if self._parquet is not None:
                self._parquet.close()
        except BaseException as error:
            self._stack.__exit__(type(error), error, error.__traceback__)
            raise
        self._stack.__exit__(exc_type, exc, tb)


def arrow_schema(layout: Layout) -> Any:
    import pyarrow as pa

    types = {"int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_(), "string": pa.string()}
    return pa.schema([(name, types[kind]) for name, kind in layout.columns])


def arrow_table(rows: list[dict[str, Any]], layout: Layout, schema: Any) -> Any:
    """Flat rows as an Arrow table of the layout's schema (non-finite floats kept as NaN)."""
    import pyarrow as pa

    data = {name: _column([r.get(name) for r in rows], kind) for name, kind in layout.columns}
    return pa.table(data, schema=schema)


def _column(values: list[Any], kind: str) -> list[Any]:
    if kind == "float64" and all(v is None or type(v) is float for v in values):
        return values  # the score columns: already what ``_cell`` would give, one call less a cell
    return [_cell(v, kind) for v in values]


def _cell(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "string":
        return safe_text(value if isinstance(value, str) else str(value))
    if kind == "bool":
        return bool(value)
    if kind == "int64":
        return value if isinstance(value, int) and abs(value) < 2**63 else None
    return float(value) if isinstance(value, (int, float)) else None


def _safe_row(flat: dict[str, Any]) -> dict[str, Any]:
    return {k: safe_text(v) for k, v in flat.items()}


def _flat(record: dict[str, Any], labels: tuple[str, ...]) -> dict[str, Any]:
    """A record as flat columns: one score column per label, labels joined by ``;``."""
    flat = {k: record.get(k) for k in ("line", "top", "error")}
    text = record.get("text")
    flat["text"] = text if text is None or isinstance(text, str) else str(text)
    flat["labels"] = ";".join(record.get("labels") or [])
    flat["truncated"] = bool(record.get("truncated", False))
    flat["clipped"] = bool(record.get("clipped", False))
    scores = record.get("scores") or {}
    flat.update({lab: scores.get(lab) for lab in labels})
    return flat
