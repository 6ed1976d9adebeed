"""File reading shared by the corpus readers: CSV rows and JSONL records with line numbers."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from emotive._errors import InputError


def csv_rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line, row)`` of a CSV file whose header must hold ``columns``; a short or long row,
    or broken quoting, raises ``InputError`` with the file and line."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or ())]
        if missing:
            raise InputError(f"missing column(s) {', '.join(missing)}; expected a header with "
                             f"{', '.join(columns)}", source=str(path), line=1)
        try:
            for row in reader:
                if None in row or None in row.values():
                    raise InputError(f"expected {len(reader.fieldnames or ())} columns",
                                     source=str(path), line=reader.line_num)
                yield reader.line_num, row
        except csv.Error as exc:
            raise InputError(f"bad CSV ({exc})", source=str(path), line=reader.line_num) from None


def jsonl_records(path: Path) -> Iterator[tuple[int, Any]]:
    """``(line, object)`` of a JSONL file, skipping blank lines; bad JSON names the line."""
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"invalid JSON ({exc.msg})", source=str(path),
                                 line=lineno) from None
