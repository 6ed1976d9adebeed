"""Write result records as jsonl (stdout by default), csv or parquet.

A file is written aside (``.name.partial``) and renamed into place only when complete, so an
interrupted run never leaves a half-written output file.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from emotive._errors import InputError

OUTPUTS = ("jsonl", "csv", "parquet")
BASE_COLUMNS = ["line", "text", "top", "labels", "error", "truncated"]


class Writer:
    """Context manager that takes records one by one. ``path=None`` or ``-`` → stdout jsonl.

    ``top_k`` trims each jsonl record's ``scores`` to the k best; csv and parquet always
    carry one score column per label.
    """

    def __init__(self, path: str | None, labels: tuple[str, ...], fmt: str | None = None,
                 top_k: int | None = None, columns: list[str] | None = None,
                 flatten: Callable[[dict[str, Any]], dict[str, Any]] | None = None):
        self.path = None if path in (None, "-") else Path(path)
        self.kind = fmt or (self.path.suffix.lstrip(".").lower() if self.path else "jsonl")
        if self.kind not in OUTPUTS:
            raise InputError(f"cannot write {self.kind!r} output; use one of: {', '.join(OUTPUTS)}")
        self.columns = columns or [*BASE_COLUMNS, *labels]
        self.flatten = flatten or (lambda rec: _flat(rec, labels))
        self.top_k = top_k
        self._fh: IO[str] | None = None
        self._rows: list[dict[str, Any]] = []
        self._csv: Any = None
        self._tmp: Path | None = None

    def __enter__(self) -> Writer:
        if self.path is None:
            self._fh = sys.stdout
            return self
        self._tmp = self.path.with_name(f".{self.path.name}.partial")
        if self.kind != "parquet":
            self._fh = open(self._tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115
        return self

    def write(self, record: dict[str, Any]) -> None:
        if self.kind == "jsonl":
            assert self._fh is not None
            if self.top_k is not None and "scores" in record:
                record = {**record, "scores": dict(list(record["scores"].items())[:self.top_k])}
            self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        elif self.kind == "csv":
            self._write_csv(self.flatten(record))
        else:
            self._rows.append(self.flatten(record))

    def _write_csv(self, flat: dict[str, Any]) -> None:
        if self._csv is None:
            assert self._fh is not None
            self._csv = csv.DictWriter(self._fh, fieldnames=self.columns, extrasaction="ignore")
            self._csv.writeheader()
        self._csv.writerow(flat)

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self._fh is not None and self._fh is not sys.stdout:
            self._fh.close()
        if self._tmp is None:
            sys.stdout.flush()
            return
        if exc_type is not None:
            self._tmp.unlink(missing_ok=True)
            return
        if self.kind == "parquet":
            _write_parquet(self._rows, self._tmp, self.columns)
        if self.kind == "csv" and self._csv is None:  # no rows: still a valid csv with header
            with open(self._tmp, "w", encoding="utf-8", newline="") as fh:
                self._fh = fh
                self._write_csv({})
        os.replace(self._tmp, self.path)  # type: ignore[arg-type]


def _flat(record: dict[str, Any], labels: tuple[str, ...]) -> dict[str, Any]:
    """A record as flat columns: one score column per label, labels joined by ``;``."""
    flat = {k: record.get(k) for k in ("line", "top", "error")}
    text = record.get("text")
    flat["text"] = text if text is None or isinstance(text, str) else str(text)
    flat["labels"] = ";".join(record.get("labels") or [])
    flat["truncated"] = bool(record.get("truncated", False))
    scores = record.get("scores") or {}
    flat.update({lab: scores.get(lab) for lab in labels})
    return flat


def _write_parquet(rows: list[dict[str, Any]], path: Path, columns: list[str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = {c: [r.get(c) for r in rows] for c in columns}
    pq.write_table(pa.table(data), path)
