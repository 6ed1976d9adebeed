"""Read conversations: JSONL with one conversation per line, or flat files with one turn
per row (csv/tsv/jsonl/parquet) grouped by a conversation column.

Documented behaviours:
- a JSONL line with ``text`` and no ``turns`` is a one-turn conversation (mixed files of
  single texts and conversations lose nothing);
- a turn without a speaker gets the speaker ``unknown``;
- blank lines are skipped and counted (``ConvRow.blank``);
- a conversation with no turns, a turn without text (or with text that is not valid
  Unicode, a lone surrogate), a non-finite turn number, or two rows with the same turn
  number in one conversation is an error item (``ConvRow.error``) naming the line; so is
  a JSONL row without the conversation field (a csv/parquet file without the column is
  an ``InputError``: the whole file is unusable);
- a turn's text is cut at ``max_chars`` (``ConvRow.clipped``);
- flat rows keep file order within a conversation unless ``turn_column`` is given, and
  conversations come out in order of first appearance. A flat file is grouped in memory;
  nested JSONL streams (memory bounded by the longest conversation).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from emotive._errors import InputError
from emotive.io._readers import (
    MAX_CHARS,
    Row,
    Source,
    blank_json,
    check_input,
    clip,
    detect_format,
    load_json_line,
    open_bytes,
    open_rows,
)
from emotive.schema import UNKNOWN_SPEAKER, Conversation, Utterance


@dataclass(frozen=True)
class ConvRow:
    """One conversation read from ``line`` (its first line, for flat files), or an error."""

    line: int
    conversation: Conversation | None = None
    error: str | None = None
    id: str | None = None
    end: int = 0  # bytes (rows for parquet) consumed up to this conversation
    blank: bool = False
    clipped: bool = False


@dataclass
class ConversationSource:
    """Conversations opened for streaming, with the input's size for a progress bar."""

    path: str
    rows: Iterator[ConvRow]
    total: int | None
    unit: str

    def __iter__(self) -> Iterator[ConvRow]:
        return self.rows


def open_conversations(path: str, fmt: str | None = None, *, text_column: str = "text",
                       conversation_column: str | None = None, speaker_column: str = "speaker",
                       turn_column: str | None = None,
                       max_chars: int = MAX_CHARS) -> ConversationSource:
    """Conversations of ``path``; nested JSONL unless ``conversation_column`` is given."""
    if conversation_column is None:
        if (detect_format(path, fmt) if fmt or path != "-" else "jsonl") != "jsonl":  # stdin: JSONL
            raise InputError("a csv/tsv/parquet file of turns needs --conversation-column "
                             "(and --speaker-column)", source=path)
        check_input(path)
        total = None if path == "-" else os.path.getsize(path)
        return ConversationSource(path, _nested(open_bytes(path), max_chars), total, "bytes")
    rows = open_rows(path, fmt, text_column=text_column, text_field=text_column, max_chars=max_chars)
    return ConversationSource(path, _flat(rows, path, conversation_column, speaker_column, turn_column),
                              rows.total, rows.unit)


def read_conversations(path: str, fmt: str | None = None, **options: Any) -> Iterator[ConvRow]:
    """The conversations of ``path`` in order (see ``open_conversations``)."""
    return open_conversations(path, fmt, **options).rows


def _nested(fh: BinaryIO, max_chars: int) -> Iterator[ConvRow]:
    end = 0
    with fh:
        for n, raw in enumerate(fh, 1):
            end += len(raw)
            if blank_json(raw, n):
                yield ConvRow(n, end=end, blank=True)
                continue
            obj, err = load_json_line(raw, n, max_chars)
            row = ConvRow(n, error=err) if err else from_object(n, obj, max_chars)
            yield ConvRow(row.line, row.conversation, row.error, row.id, end, clipped=row.clipped)


def from_object(n: int, obj: Any, max_chars: int = MAX_CHARS) -> ConvRow:
    """A conversation from one parsed JSON object ``{"id", "turns": [...]}`` (line ``n``)."""
    if not isinstance(obj, dict):
        return ConvRow(n, error=f"expected a JSON object, got {type(obj).__name__}")
    cid = str(obj.get("id", f"line-{n}"))[:1000]
    if "turns" not in obj and "text" in obj:  # a single text: a one-turn conversation
        obj = {"turns": [{"speaker": obj.get("speaker"), "text": obj["text"]}]}
    turns = obj.get("turns")
    if not isinstance(turns, list):
        return ConvRow(n, error="no 'turns' list (expected {\"id\", \"turns\": [{\"speaker\", \"text\"}]})", id=cid)
    if not turns:
        return ConvRow(n, error=f"conversation {cid!r} has no turns", id=cid)
    utts, clipped = [], False
    for k, t in enumerate(turns):
        problem = _turn_problem(t.get("text") if isinstance(t, dict) else None)
        if problem:
            return ConvRow(n, error=f"conversation {cid!r}, turn {k}: {problem}", id=cid)
        text, cut = clip(t["text"], max_chars)
        clipped |= cut
        utts.append(Utterance(text, _speaker(t.get("speaker"))))
    return ConvRow(n, Conversation(cid, tuple(utts)), id=cid, clipped=clipped)


def _turn_problem(text: Any) -> str | None:
    """Why a turn's ``text`` cannot be read, or None when it can."""
    if not isinstance(text, str) or not text.strip():
        return "no text"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"not valid Unicode: a lone surrogate at character {exc.start}"
    return None


def _speaker(value: Any) -> str:
    if value is None or str(value).strip() == "":
        return UNKNOWN_SPEAKER
    return str(value)[:200]


def _flat(rows: Source, path: str, conv_col: str, speaker_col: str,
          turn_col: str | None) -> Iterator[ConvRow]:
    groups: dict[str, list[Row]] = {}
    end = 0
    for row in rows:
        end = row.end
        if row.blank:
            yield ConvRow(row.line, end=end, blank=True)
            continue
        if row.error:
            yield ConvRow(row.line, error=row.error, end=end)
            continue
        rec = row.record or {}
        if conv_col not in rec:
            if rows.kind == "jsonl":  # one row without the field: the others may have it
                yield ConvRow(row.line, error=f"no field {conv_col!r} (fields: "
                                              f"{', '.join(map(str, rec))[:200]})", end=end)
                continue
            raise InputError(f"no column {conv_col!r} (columns: {', '.join(map(str, rec))})",
                             source=path, line=row.line)
        groups.setdefault(str(rec[conv_col]), []).append(row)
    for cid, group in groups.items():
        conv = _group(cid, group, speaker_col, turn_col)
        yield ConvRow(conv.line, conv.conversation, conv.error, conv.id, end,
                      clipped=any(r.clipped for r in group))


def _group(cid: str, group: list[Row], speaker_col: str, turn_col: str | None) -> ConvRow:
    first = group[0].line
    if turn_col is not None:
        try:
            keyed = [(float(r.record[turn_col]), r) for r in group]  # type: ignore[index]
        except (KeyError, TypeError, ValueError, OverflowError):
            keyed = []
        if len(keyed) != len(group) or not all(math.isfinite(k) for k, _ in keyed):
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
        problem = _turn_problem(r.text)
        if problem:
            what = "without text" if problem == "no text" else f"text {problem}"
            return ConvRow(r.line, error=f"conversation {cid!r}: turn {what}", id=cid)
        utts.append(Utterance(r.text, _speaker((r.record or {}).get(speaker_col))))
    return ConvRow(first, Conversation(cid, tuple(utts)), id=cid)
