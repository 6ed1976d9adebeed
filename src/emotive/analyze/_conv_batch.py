"""Analyze a file of conversations through the runner: one record per turn (or per
conversation, nested), every conversation once, in order, resumable."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from emotive._errors import ConfigError, InputError
from emotive.analyze._analyzer import Analyzer
from emotive.analyze._batch import Progress, Summary, check_on_error, unsupported_languages
from emotive.io import MAX_CHARS, ConvRow, Layout, open_conversations
from emotive.runner import Job, run
from emotive.runner import chunk_turns as by_turns

TURN_COLUMNS = (("line", "int64"), ("conversation", "string"), ("turn", "int64"),
                ("speaker", "string"), ("text", "string"), ("emotion", "string"),
                ("top", "string"), ("labels", "string"), ("language", "string"), ("supported", "bool"),
                ("v", "float64"), ("a", "float64"),
                ("d", "float64"), ("intensity", "float64"), ("shift_from", "string"),
                ("contagion_from_turn", "int64"), ("causes", "string"), ("truncated", "bool"),
                ("clipped", "bool"), ("error", "string"))
CHUNK_TURNS = 512


@dataclass
class ConversationBatch:
    """The conversations job's batch function: conversations in, their records out."""

    analyzer: Analyzer
    source: str
    nested: bool = False
    on_error: str = "fail"
    top_k: int | None = None

    def __call__(self, chunk: list[ConvRow]) -> list[dict[str, Any]]:
        bad = [r for r in chunk if r.error]
        if bad and self.on_error == "fail":
            raise InputError(f"{bad[0].error} (use --on-error skip to keep going)", source=self.source,
                             line=bad[0].line)
        convs = [r.conversation for r in chunk if r.conversation is not None]
        results = iter(self.analyzer.analyze_conversations(convs, top_k=self.top_k) if convs else [])
        records: list[dict[str, Any]] = []
        for row in chunk:
            if row.error:
                records.append({"line": row.line, "conversation": row.id, "error": row.error})
                continue
            res = next(results)
            extra = {"clipped": True} if row.clipped else {}
            if self.nested:
                records.append({"line": row.line, **res.to_dict(), **extra})
            else:
                records += [{"line": row.line, **rec, **extra} for rec in res.turn_records()]
        return records


def tally_turns(chunk: list[ConvRow], records: list[dict[str, Any]]) -> dict[str, Any]:
    """A chunk's counts: turns (rows), analyzed, errors, conversations, emotions, turns in
    unsupported languages."""
    counts: dict[str, Any] = {"rows": 0, "analyzed": 0, "errors": 0, "truncated": 0,
                              "clipped": sum(r.clipped for r in chunk),
                              "conversations": sum(r.conversation is not None for r in chunk)}
    labels: Counter[str] = Counter()
    foreign: Counter[str] = Counter()
    for record in records:
        if "error" in record:
            counts["rows"] += 1
            counts["errors"] += 1
            continue
        turns = record.get("turns", [record])
        counts["rows"] += len(turns)
        counts["analyzed"] += len(turns)
        counts["truncated"] += sum(bool(t.get("truncated")) for t in turns)
        labels.update(t["emotion"] for t in turns)
        foreign.update(unsupported_languages(turns))
    counts["label_counts"] = dict(labels)
    counts["unsupported"], counts["unsupported_languages"] = sum(foreign.values()), dict(foreign)
    return counts


def analyze_conversation_file(path: str, output: str | None = None, *,
                              analyzer: Analyzer | None = None, nested: bool = False,
                              on_error: str = "fail", top_k: int | None = None,
                              chunk_turns: int = CHUNK_TURNS, progress: Progress | None = None,
                              resume: bool = False, engine: str = "local",
                              engine_options: dict[str, Any] | None = None,
                              max_chars: int = MAX_CHARS, **read_options: Any) -> Summary:
    """Analyze every conversation of ``path``; ``read_options`` go to ``open_conversations``.

    Output: one record per turn (``conversation``, ``turn``, ``speaker``, ``emotion`` in
    context, fine ``labels``/``scores``, ``vad``, ``intensity``, ``shift_from``,
    ``contagion_from_turn``), or with ``nested=True`` one record per conversation with its
    speakers, shifts and contagion. A bad conversation fails the run (``on_error="fail"``,
    file and line in the message) or becomes one record with an ``error`` field.
    ``resume`` and ``engine`` as in ``analyze_file``.
    """
    check_on_error(on_error)
    if nested and output not in (None, "-") and not str(output).endswith(".jsonl"):
        raise ConfigError("--nested output is jsonl only; use -o FILE.jsonl or stdout")
    analyzer = analyzer or Analyzer()
    fmt = read_options.pop("fmt", None)
    source = open_conversations(path, fmt, max_chars=max_chars, **read_options)
    batch = ConversationBatch(analyzer, path, nested, on_error, top_k)
    conv = analyzer.conversation_model.manifest
    job = Job("conversations", batch, by_turns(chunk_turns), tally_turns, settings={
        "model": analyzer.model.manifest.name, "model_version": analyzer.model.manifest.version,
        "conversation_model": conv.name, "conversation_model_version": conv.version,
        "nested": nested, "on_error": on_error, "top_k": top_k, "chunk_turns": chunk_turns,
        "max_chars": max_chars, **{k: v for k, v in read_options.items()}})
    result = run(source, job, output, layout=Layout(TURN_COLUMNS, flat_turn), top_k=top_k,
                 resume=resume, engine=engine, engine_options=engine_options, progress=progress)
    return Summary.of(path, "context7", result.counts, result.resumed)


def flat_turn(record: dict[str, Any]) -> dict[str, Any]:
    """A turn record as flat columns (csv/parquet)."""
    flat = {c: record.get(c) for c, _ in TURN_COLUMNS}
    flat["labels"] = ";".join(record.get("labels") or [])
    for key in "vad":
        flat[key] = (record.get("vad") or {}).get(key)
    flat["truncated"] = bool(record.get("truncated", False))
    flat["clipped"] = bool(record.get("clipped", False))
    flat["causes"] = json.dumps(record["causes"], ensure_ascii=False) if "causes" in record else None
    return flat
