"""Analyze a file of conversations: one record per turn (or per conversation, nested)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from emotive._errors import ConfigError, InputError
from emotive.analyze._analyzer import Analyzer
from emotive.analyze._batch import ON_ERROR, Summary
from emotive.analyze._conv_readers import ConvRow, read_conversations
from emotive.analyze._writers import Writer

TURN_COLUMNS = ["line", "conversation", "turn", "speaker", "text", "emotion", "top", "labels",
                "v", "a", "d", "intensity", "shift_from", "contagion_from_turn", "causes",
                "truncated", "error"]


def analyze_conversation_file(path: str, output: str | None = None, *,
                              analyzer: Analyzer | None = None, nested: bool = False,
                              on_error: str = "fail", top_k: int | None = None,
                              chunk_turns: int = 512,
                              progress: Callable[[int], None] | None = None,
                              **read_options: Any) -> Summary:
    """Analyze every conversation of ``path``; ``read_options`` go to ``read_conversations``.

    Output: one record per turn (``conversation``, ``turn``, ``speaker``, ``emotion`` in
    context, fine ``labels``/``scores``, ``vad``, ``intensity``, ``shift_from``,
    ``contagion_from_turn``), or with ``nested=True`` one record per conversation with its
    speakers, shifts and contagion. A bad conversation fails the run (``on_error="fail"``,
    file and line in the message) or becomes one record with an ``error`` field.
    """
    if on_error not in ON_ERROR:
        raise ConfigError(f"unknown on_error {on_error!r}; choose one of: {', '.join(ON_ERROR)}")
    if nested and output and not output.endswith(".jsonl"):
        raise ConfigError("--nested output is jsonl only; use -o FILE.jsonl or stdout")
    analyzer = analyzer or Analyzer()
    summary = Summary(source=path, scheme="context7")
    rows = read_conversations(path, read_options.pop("fmt", None), **read_options)
    with Writer(output, (), columns=TURN_COLUMNS, flatten=_flat_turn, top_k=top_k) as writer:
        for chunk in _by_turns(rows, chunk_turns):
            for record in _run(chunk, analyzer, nested, on_error, path, top_k):
                writer.write(record)
                _count(summary, record)
            summary.conversations += sum(r.conversation is not None for r in chunk)
            if progress is not None:
                progress(len(chunk))
    return summary


def _by_turns(rows: Iterator[ConvRow], size: int) -> Iterator[list[ConvRow]]:
    """Chunks of whole conversations holding about ``size`` turns (memory stays bounded
    by the longest conversation, not the file)."""
    chunk: list[ConvRow] = []
    turns = 0
    for row in rows:
        chunk.append(row)
        turns += len(row.conversation.turns) if row.conversation else 1
        if turns >= size:
            yield chunk
            chunk, turns = [], 0
    if chunk:
        yield chunk


def _run(chunk: list[ConvRow], analyzer: Analyzer, nested: bool, on_error: str, path: str,
         top_k: int | None) -> list[dict[str, Any]]:
    bad = [r for r in chunk if r.error]
    if bad and on_error == "fail":
        raise InputError(f"{bad[0].error} (use --on-error skip to keep going)", source=path,
                         line=bad[0].line)
    convs = [r.conversation for r in chunk if r.conversation is not None]
    results = iter(analyzer.analyze_conversations(convs, top_k=top_k) if convs else [])
    records: list[dict[str, Any]] = []
    for row in chunk:
        if row.error:
            records.append({"line": row.line, "conversation": row.id, "error": row.error})
            continue
        res = next(results)
        if nested:
            records.append({"line": row.line, **res.to_dict()})
        else:
            records += [{"line": row.line, **rec} for rec in res.turn_records()]
    return records


def _count(summary: Summary, record: dict[str, Any]) -> None:
    if "error" in record:
        summary.rows += 1
        summary.errors += 1
        return
    turns = record.get("turns", [record])
    summary.rows += len(turns)
    summary.analyzed += len(turns)
    summary.truncated += sum(bool(t.get("truncated")) for t in turns)
    summary.label_counts.update(t["emotion"] for t in turns)


def _flat_turn(record: dict[str, Any]) -> dict[str, Any]:
    flat = {c: record.get(c) for c in TURN_COLUMNS}
    flat["labels"] = ";".join(record.get("labels") or [])
    for key in "vad":
        flat[key] = (record.get("vad") or {}).get(key)
    flat["truncated"] = bool(record.get("truncated", False))
    flat["causes"] = json.dumps(record["causes"], ensure_ascii=False) if "causes" in record else None
    return flat
