"""Analyze a whole file: stream rows in chunks, keep order, account for every row."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from emotive._errors import ConfigError, InputError
from emotive.analyze._analyzer import Analyzer, text_problem, text_scheme
from emotive.analyze._readers import Row, read_rows
from emotive.analyze._writers import Writer

ON_ERROR = ("fail", "skip")


@dataclass
class Summary:
    """What a file run did: every input row is counted once, as analyzed or as an error."""

    source: str
    scheme: str
    rows: int = 0
    analyzed: int = 0
    errors: int = 0
    truncated: int = 0
    conversations: int = 0
    label_counts: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "scheme": self.scheme, "rows": self.rows,
                "analyzed": self.analyzed, "errors": self.errors, "truncated": self.truncated,
                "conversations": self.conversations,
                "label_counts": dict(self.label_counts.most_common())}


def analyze_file(path: str, output: str | None = None, *, analyzer: Analyzer | None = None,
                 fmt: str | None = None, text_column: str = "text", text_field: str = "text",
                 on_error: str = "fail", scheme: str | None = None, top_k: int | None = None,
                 threshold: float | None = None, chunk_size: int = 256, explain: bool = False,
                 progress: Callable[[int], None] | None = None) -> Summary:
    """Analyze every row of ``path`` and write one record per row to ``output``.

    ``on_error="fail"`` raises ``InputError`` (file and line) at the first bad row and
    leaves no output file; ``"skip"`` writes the bad row with an ``error`` field instead.
    Output order is input order. ``output=None`` writes jsonl to stdout. ``explain`` adds
    each record's ``triggers`` (the words behind its labels; see ``Analyzer.explain``).
    """
    if on_error not in ON_ERROR:
        raise ConfigError(f"unknown on_error {on_error!r}; choose one of: {', '.join(ON_ERROR)}")
    analyzer = analyzer or Analyzer()
    sch = text_scheme(scheme or analyzer.scheme)
    summary = Summary(source=path, scheme=sch.name)
    rows = read_rows(path, fmt, text_column=text_column, text_field=text_field)
    with Writer(output, sch.labels, top_k=top_k) as writer:
        for chunk in _chunks(rows, chunk_size):
            for record in _run_chunk(chunk, analyzer, sch.name, top_k, threshold, on_error, path):
                if explain and "error" not in record:
                    record["triggers"] = [t.to_dict() for t in analyzer.explain(record["text"])]
                writer.write(record)
                _count(summary, record)
            if progress is not None:
                progress(len(chunk))
    return summary


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def _run_chunk(chunk: list[Row], analyzer: Analyzer, scheme: str, top_k: int | None,
               threshold: float | None, on_error: str, path: str) -> list[dict[str, Any]]:
    problems = [row.error or text_problem(row.text) for row in chunk]
    bad = [(row, p) for row, p in zip(chunk, problems) if p]
    if bad and on_error == "fail":
        raise InputError(f"{bad[0][1]} (use --on-error skip to keep going)", source=path,
                         line=bad[0][0].line)
    good = [row for row, p in zip(chunk, problems) if not p]
    results = iter(analyzer._analyze([r.text for r in good], scheme, threshold, top_k)
                   if good else [])
    records: list[dict[str, Any]] = []
    for row, problem in zip(chunk, problems):
        if problem:
            records.append({"line": row.line, "text": row.text, "error": problem})
        else:
            records.append({"line": row.line, **next(results).to_dict()})
    return records


def _count(summary: Summary, record: dict[str, Any]) -> None:
    summary.rows += 1
    if "error" in record:
        summary.errors += 1
        return
    summary.analyzed += 1
    summary.truncated += bool(record.get("truncated"))
    summary.label_counts.update(record["labels"])
