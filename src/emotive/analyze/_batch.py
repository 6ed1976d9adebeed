"""Analyze a whole file through the runner: every row once, in order, resumable.

``TextBatch`` is the job's pure batch function (rows in, records out); ``analyze_file``
opens the source, describes the job and hands both to ``emotive.runner.run``.
"""

from __future__ import annotations

import reprlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emotive._errors import ConfigError, InputError
from emotive.analyze._analyzer import Analyzer, text_problem, text_scheme
from emotive.io import MAX_CHARS, Layout, Row, open_rows, text_layout
from emotive.runner import Job, chunk_rows, run

ON_ERROR = ("fail", "skip")
CHUNK = 1024
Progress = Callable[[int, "int | None", str], None]


@dataclass
class Summary:
    """What a file run did: every input row is counted once, as analyzed, as an error or
    as a skipped blank line; ``clipped`` rows were cut at the per-row size limit;
    ``unsupported`` analyzed texts are in a language the model was not trained on (their
    scores are a guess), ``unsupported_languages`` counts them per ISO 639-1 code."""

    source: str
    scheme: str
    rows: int = 0
    analyzed: int = 0
    errors: int = 0
    truncated: int = 0
    conversations: int = 0
    blank: int = 0
    clipped: int = 0
    resumed_chunks: int = 0
    label_counts: Counter[str] = field(default_factory=Counter)
    unsupported: int = 0
    unsupported_languages: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, source: str, scheme: str, counts: dict[str, Any], resumed: int = 0) -> Summary:
        keys = ("rows", "analyzed", "errors", "truncated", "conversations", "blank", "clipped", "unsupported")
        return cls(source, scheme, **{k: int(counts.get(k, 0)) for k in keys},
                   resumed_chunks=resumed, label_counts=Counter(counts.get("label_counts", {})),
                   unsupported_languages=Counter(counts.get("unsupported_languages", {})))

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "scheme": self.scheme, "rows": self.rows,
                "analyzed": self.analyzed, "errors": self.errors, "truncated": self.truncated,
                "conversations": self.conversations, "blank": self.blank,
                "clipped": self.clipped, "resumed_chunks": self.resumed_chunks,
                "label_counts": dict(self.label_counts.most_common()),
                "unsupported": self.unsupported,
                "unsupported_languages": dict(self.unsupported_languages.most_common())}


def check_on_error(on_error: str) -> None:
    if on_error not in ON_ERROR:
        raise ConfigError(f"unknown on_error {on_error!r}; choose one of: {', '.join(ON_ERROR)}")


@dataclass
class TextBatch:
    """The analyze job's batch function: rows in, one record per row out, in order.

    ``on_error="fail"`` raises ``InputError`` (file and line) at the first bad row;
    ``"skip"`` gives the bad row a record with an ``error`` field instead.
    """

    analyzer: Analyzer
    source: str
    scheme: str
    top_k: int | None = None
    threshold: float | None = None
    explain: bool = False
    on_error: str = "fail"

    def __call__(self, chunk: list[Row]) -> list[dict[str, Any]]:
        problems = [row.error or text_problem(row.text) for row in chunk]
        bad = [(row, p) for row, p in zip(chunk, problems) if p]
        if bad and self.on_error == "fail":
            raise InputError(f"{bad[0][1]} (use --on-error skip to keep going)", source=self.source,
                             line=bad[0][0].line)
        good = [row for row, p in zip(chunk, problems) if not p]
        results = iter(self.analyzer._analyze([r.text for r in good], self.scheme, self.threshold,
                                              self.top_k) if good else [])
        return [self._record(row, problem, results) for row, problem in zip(chunk, problems)]

    def _record(self, row: Row, problem: str | None, results: Any) -> dict[str, Any]:
        if problem:
            text = row.text if isinstance(row.text, (str, int, float, bool)) or row.text is None \
                else reprlib.repr(row.text)  # a list or object: bounded, whatever its size
            return {"line": row.line, "text": text, "error": problem}
        record = {"line": row.line, **next(results).to_dict()}
        if row.clipped:
            record["clipped"] = True
        if self.explain:
            record["triggers"] = [t.to_dict() for t in self.analyzer.explain(record["text"])]
        return record


def tally_texts(chunk: list[Row], records: list[dict[str, Any]]) -> dict[str, Any]:
    """A chunk's counts: rows, analyzed, errors, truncated, clipped, labels, texts in
    unsupported languages."""
    errors = sum("error" in r for r in records)
    labels: Counter[str] = Counter()
    for r in records:
        labels.update(r.get("labels") or ())
    foreign = unsupported_languages(records)
    return {"rows": len(records), "errors": errors, "analyzed": len(records) - errors,
            "truncated": sum(bool(r.get("truncated")) for r in records),
            "clipped": sum(bool(r.get("clipped")) for r in records), "label_counts": dict(labels),
            "unsupported": sum(foreign.values()), "unsupported_languages": dict(foreign)}


def unsupported_languages(records: list[dict[str, Any]]) -> Counter[str]:
    """Records (texts or turns) in a language the model does not support, per language."""
    return Counter(str(r.get("language")) for r in records if r.get("supported") is False)


def language_layout(layout: Layout) -> Layout:
    """``layout`` with ``language`` and ``supported`` columns after the base columns (csv/parquet).

    >>> [n for n in language_layout(text_layout(["joy"])).names][-3:]
    ['language', 'supported', 'joy']
    """
    names = layout.names
    at = names.index("clipped") + 1 if "clipped" in names else len(names)
    columns = (*layout.columns[:at], ("language", "string"), ("supported", "bool"), *layout.columns[at:])
    base = layout.flatten

    def flatten(rec: dict[str, Any]) -> dict[str, Any]:
        return {**base(rec), "language": rec.get("language"), "supported": rec.get("supported")}

    return Layout(columns, flatten)


def analyze_file(path: str, output: str | None = None, *, analyzer: Analyzer | None = None,
                 fmt: str | None = None, text_column: str = "text", text_field: str = "text",
                 on_error: str = "fail", scheme: str | None = None, top_k: int | None = None,
                 threshold: float | None = None, chunk_size: int = CHUNK, explain: bool = False,
                 progress: Progress | None = None, resume: bool = False, engine: str = "local",
                 engine_options: dict[str, Any] | None = None,
                 max_chars: int = MAX_CHARS) -> Summary:
    """Analyze every row of ``path`` and write one record per row to ``output``.

    ``on_error="fail"`` raises ``InputError`` (file and line) at the first bad row and
    leaves no output file; ``"skip"`` writes the bad row with an ``error`` field instead.
    Output order is input order; blank lines are skipped and counted. ``output=None``
    writes jsonl to stdout. ``explain`` adds each record's ``triggers``. ``resume``
    continues an interrupted run into the same ``output``; ``engine="ray"`` runs the
    chunks on Ray (``engine_options``: ``address``, ``concurrency``).
    """
    check_on_error(on_error)
    analyzer = analyzer or Analyzer()
    sch = text_scheme(scheme or analyzer.scheme)
    source = open_rows(path, fmt, text_column=text_column, text_field=text_field, max_chars=max_chars)
    batch = TextBatch(analyzer, path, sch.name, top_k, threshold, explain, on_error)
    job = Job("analyze", batch, chunk_rows(chunk_size), tally_texts, settings={
        "model": analyzer.model.manifest.name, "model_version": analyzer.model.manifest.version,
        "scheme": sch.name, "top_k": top_k, "threshold": threshold, "explain": explain,
        "on_error": on_error, "chunk_size": chunk_size, "text_column": text_column,
        "text_field": text_field, "max_chars": max_chars})
    result = run(source, job, output, layout=language_layout(text_layout(sch.labels)), top_k=top_k, resume=resume,
                 engine=engine, engine_options=engine_options, progress=progress)
    return Summary.of(path, sch.name, result.counts, result.resumed)
