"""Read conversations: JSONL with one conversation per line, or flat files with one turn
per row (csv/tsv/jsonl/parquet) grouped by a conversation column.

Documented behaviours:
- a JSONL line with ``text`` and no ``turns`` is a one-turn conversation (mixed files of
  single texts and conversations lose nothing);
- a turn without a speaker gets the speaker ``unknown``;
- a conversation with no turns, a turn without text, or two rows with the same turn
  number in one conversation is an error item (``ConvRow.error``) naming the line;
- flat rows keep file order within a conversation unless ``turn_column`` is given, and
  conversations come out in order of first appearance. A flat file is grouped in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from emotive._errors import InputError
from emotive.analyze._conversation import UNKNOWN_SPEAKER
from emotive.analyze._readers import Row, detect_format, read_rows
from emotive.schema import Conversation, Utterance


@dataclass(frozen=True)
class ConvRow:
    """One conversation read from ``line`` (its first line, for flat files), or an error."""

    line: int
    conversation: Conversation | None = None
    error: str | None = None
    id: str | None = None


def read_conversations(path: str, fmt: str | None = None, *, text_column: str = "text",
                       conversation_column: str | None = None, speaker_column: str = "speaker",
                       turn_column: str | None = None) -> Iterator[ConvRow]:
    """Conversations of ``path``; nested JSONL unless ``conversation_column`` is given."""
    if conversation_column is None:
        if (detect_format(path, fmt) if fmt or path != "-" else "jsonl") != "jsonl":  # stdin: JSONL
            raise InputError("a csv/tsv/parquet file of turns needs --conversation-column "
                             "(and --speaker-column)", source=path)
        return _nested(path)
    rows = read_rows(path, fmt, text_column=text_column, text_field=text_column)
    return _flat(rows, path, conversation_column, speaker_column, turn_column)


def _nested(path: str) -> Iterator[ConvRow]:
    with open(path, "rb") if path != "-" else _stdin() as fh:
        for n, raw in enumerate(fh, 1):
            if not raw.strip():
                yield ConvRow(n, error="blank line")
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                yield ConvRow(n, error=f"invalid UTF-8 at byte {exc.start}")
                continue
            except json.JSONDecodeError as exc:
                yield ConvRow(n, error=f"malformed JSON: {exc.msg} (column {exc.colno})")
                continue
            yield _from_object(n, obj)


def _stdin():  # type: ignore[no-untyped-def]
    import sys

    return sys.stdin.buffer


def _from_object(n: int, obj: Any) -> ConvRow:
    if not isinstance(obj, dict):
        return ConvRow(n, error=f"expected a JSON object, got {type(obj).__name__}")
    cid = str(obj.get("id", f"line-{n}"))
    if "turns" not in obj and "text" in obj:  # a single text: a one-turn conversation
        obj = {"turns": [{"speaker": obj.get("speaker"), "text": obj["text"]}]}
    turns = obj.get("turns")
    if not isinstance(turns, list):
        return ConvRow(n, error="no 'turns' list (expected {\"id\", \"turns\": [{\"speaker\", \"text\"}]})", id=cid)
    if not turns:
        return ConvRow(n, error=f"conversation {cid!r} has no turns", id=cid)
    utts = []
    for k, t in enumerate(turns):
        if not isinstance(t, dict) or not isinstance(t.get("text"), str) or not t["text"].strip():
            return ConvRow(n, error=f"conversation {cid!r}, turn {k}: no text", id=cid)
        utts.append(Utterance(t["text"], _speaker(t.get("speaker"))))
    return ConvRow(n, Conversation(cid, tuple(utts)), id=cid)


def _speaker(value: Any) -> str:
    return UNKNOWN_SPEAKER if value is None or str(value).strip() == "" else str(value)


def _flat(rows: Iterator[Row], path: str, conv_col: str, speaker_col: str,
          turn_col: str | None) -> Iterator[ConvRow]:
    groups: dict[str, list[Row]] = {}
    for row in rows:
        if row.error:
            yield ConvRow(row.line, error=row.error)
            continue
        rec = row.record or {}
        if conv_col not in rec:
            raise InputError(f"no column {conv_col!r} (columns: {', '.join(rec)})",
                             source=path, line=row.line)
        groups.setdefault(str(rec[conv_col]), []).append(row)
    for cid, group in groups.items():
        yield _group(cid, group, speaker_col, turn_col)


def _group(cid: str, group: list[Row], speaker_col: str, turn_col: str | None) -> ConvRow:
    first = group[0].line
    if turn_col is not None:
        try:
            keyed = [(float(r.record[turn_col]), r) for r in group]  # type: ignore[index]
        except (KeyError, TypeError, ValueError):
            return ConvRow(first, error=f"conversation {cid!r}: missing or non-numeric "
                                        f"turn column {turn_col!r}", id=cid)
        numbers = [k for k, _ in keyed]
        if len(set(numbers)) != len(numbers):
            dup = next(r.line for k, r in keyed if numbers.count(k) > 1)
            return ConvRow(dup, error=f"conversation {cid!r}: duplicated turn numbers "
                                      f"in {turn_col!r}", id=cid)
        group = [r for _, r in sorted(keyed, key=lambda kr: kr[0])]
    utts = []
    for r in group:
        if not isinstance(r.text, str) or not r.text.strip():
            return ConvRow(r.line, error=f"conversation {cid!r}: turn without text", id=cid)
        utts.append(Utterance(r.text, _speaker((r.record or {}).get(speaker_col))))
    return ConvRow(first, Conversation(cid, tuple(utts)), id=cid)
