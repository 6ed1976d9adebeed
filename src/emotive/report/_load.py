"""Read the results of ``emotive analyze`` in batches of columns, streaming.

Any output of ``emotive analyze`` is read: texts or conversation turns, as Parquet, JSONL or
csv, and nested JSONL conversations (``--nested``, one record per conversation, spread here
into its turns). A batch is a dict of equal-length lists under the names of the Parquet
layout (``v``, ``a``, ``d`` for JSONL's ``vad``; ``score`` is the top label's score of a
text). Parquet is read by column, only the columns a report needs.

Columns that the results lack (a timestamp, a channel) come from the input the results were
made from (``input=``), read in lockstep: the results are in input order and each row's
``line`` names its input line (its row, for Parquet). A turn takes the field from its turn
object in a nested JSONL conversation when it is there, else from the conversation; the
turns of a flat file of turns take the columns of their conversation's first row.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from emotive._errors import InputError
from emotive.io import check_input, detect_format, read_rows

BATCH = 8192
TURN_COLUMNS = ("line", "conversation", "turn", "speaker", "text", "emotion", "top", "labels", "v", "a",
                "d", "intensity", "shift_from", "contagion_from_turn", "causes", "error")
TEXT_COLUMNS = ("line", "text", "top", "labels", "error")


@dataclass
class Results:
    """Results opened for a report: their kind (``texts`` or ``turns``), the columns a
    batch holds and the batches; ``total`` rows when known (Parquet)."""

    path: str
    kind: str
    columns: tuple[str, ...]
    batches: Iterator[dict[str, list[Any]]]
    total: int | None = None


def open_results(path: str, *, extra: Sequence[str] = (), input: str | None = None) -> Results:
    """The results of ``path`` with the ``extra`` columns (from the results, or joined
    from ``input``); ``InputError`` when the file is not analyze output or lacks a column."""
    check_input(path)
    kind = detect_format(path)
    if kind == "txt":
        raise InputError("a report reads the output of emotive analyze (.parquet, .jsonl or .csv), "
                         "not a .txt file", source=path)
    results = _parquet(path, extra, input is None) if kind == "parquet" else _records(path, extra, input is None)
    if input is not None:
        check_input(input)
        results.batches = _joined(results.batches, input, [c for c in extra if c not in results.columns])
        results.columns = (*results.columns, *[c for c in extra if c not in results.columns])
    return results


def _parquet(path: str, extra: Sequence[str], strict: bool) -> Results:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        names = pf.schema_arrow.names
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read parquet file: {exc}", source=path) from None
    kind = _kind(names, path)
    base = TURN_COLUMNS if kind == "turns" else TEXT_COLUMNS
    scores = [n for n in names if n not in base and n not in ("truncated", "clipped")] if kind == "texts" else []
    _check_extra(extra, names, path, strict)
    wanted = [c for c in dict.fromkeys([*base, *scores, *extra]) if c in names]
    batches = _parquet_batches(pf, wanted, kind, scores, path)
    own = (*base, "score") if kind == "texts" else base
    return Results(path, kind, tuple(c for c in (*own, *extra) if c in wanted or c == "score"),
                   batches, int(pf.metadata.num_rows))


def _kind(names: Sequence[str], path: str) -> str:
    if {"conversation", "turn", "emotion"} <= set(names):
        return "turns"
    if "top" in names and "labels" in names:
        return "texts"
    raise InputError("not the output of emotive analyze (no 'top'/'labels' columns, nor a "
                     f"conversation's turns); columns: {', '.join(names)[:300]}", source=path)


def _check_extra(extra: Sequence[str], names: Sequence[str], path: str, strict: bool) -> None:
    missing = [c for c in extra if c not in names]
    if missing and strict:
        raise InputError(f"no column {missing[0]!r} in the results (columns: {', '.join(names)[:300]}); "
                         "pass the analyzed input with --input to take it from there", source=path)


def _parquet_batches(pf: Any, wanted: list[str], kind: str, scores: list[str],
                     path: str) -> Iterator[dict[str, list[Any]]]:
    import pyarrow as pa

    try:
        for batch in pf.iter_batches(batch_size=BATCH, columns=wanted):
            cols = {name: _pylist(batch.column(k)) for k, name in enumerate(batch.schema.names)}
            if kind == "texts":
                top = cols.get("top") or []
                cols["score"] = [cols[t][i] if t in cols else None for i, t in enumerate(top)]
                for name in scores:
                    cols.pop(name, None)
            yield cols
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise InputError(f"corrupt parquet data: {exc}", source=path) from None


def _pylist(array: Any) -> list[Any]:
    """A column as Python values; times and dates as epoch seconds (numbers count fast)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_timestamp(array.type) or pa.types.is_date(array.type):
        seconds = pc.cast(pc.cast(array, pa.timestamp("ms", "UTC") if pa.types.is_timestamp(array.type)
                                  else pa.timestamp("ms")), pa.int64())
        return pc.divide(pc.cast(seconds, pa.float64()), 1000.0).to_pylist()
    return array.to_pylist()


# ---------------------------------------------------------------------------- jsonl, csv


def _records(path: str, extra: Sequence[str], strict: bool) -> Results:
    """JSONL or csv results: the first record tells the kind; rows become column batches."""
    rows = iter(read_rows(path, text_column="line", text_field="line"))
    first = next((r for r in rows if not r.blank), None)
    if first is None:
        raise InputError("no results in the file", source=path)
    if first.record is None:
        raise InputError(first.error or "not a result record", source=path, line=first.line)
    rec = _typed(first.record)
    nested = isinstance(rec.get("turns"), list)
    kind = "turns" if nested or {"conversation", "turn", "emotion"} <= set(rec) else "texts"
    if kind == "texts" and "top" not in rec and "error" not in rec:
        _kind(list(rec), path)
    names = set(rec) | ({k for t in rec["turns"] if isinstance(t, dict) for k in t} if nested else set())
    _check_extra(extra, sorted(names), path, strict)
    base = TURN_COLUMNS if kind == "turns" else TEXT_COLUMNS
    columns = (*base, *(() if kind == "turns" else ("score",)), *[c for c in extra if c in names])
    return Results(path, kind, columns, _record_batches(first, rows, columns, path))


def _record_batches(first: Any, rows: Iterator[Any], columns: Sequence[str],
                    path: str) -> Iterator[dict[str, list[Any]]]:
    batch: dict[str, list[Any]] = {c: [] for c in columns}
    for row in _chain(first, rows):
        if row.blank:
            continue
        if row.record is None:
            raise InputError(row.error or "not a result record", source=path, line=row.line)
        for flat in _flatten(_typed(row.record)):
            for c in columns:
                batch[c].append(flat.get(c))
        if len(batch["line"]) >= BATCH:
            yield batch
            batch = {c: [] for c in columns}
    if batch["line"]:
        yield batch


def _chain(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest


def _flatten(rec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A result record as flat rows: a nested conversation as one row per turn."""
    if isinstance(rec.get("turns"), list):
        shifts = {s.get("turn"): s.get("from") for s in rec.get("shifts") or [] if isinstance(s, dict)}
        caught = {c.get("turn"): c.get("from_turn") for c in rec.get("contagion") or [] if isinstance(c, dict)}
        base = {k: v for k, v in rec.items() if k not in ("turns", "shifts", "contagion", "speakers")}
        for k, t in enumerate(rec["turns"]):
            if isinstance(t, dict):
                turn = t.get("turn", k)
                yield _flat({**base, "conversation": rec.get("id"), "shift_from": shifts.get(turn),
                             "contagion_from_turn": caught.get(turn), **t})
        return
    yield _flat(rec)


NUMBERS = {"line": int, "turn": int, "contagion_from_turn": int, "v": float, "a": float, "d": float,
           "intensity": float}


def _typed(rec: dict[str, Any]) -> dict[str, Any]:
    """A csv record's numbers as numbers and its empty cells as None (JSON's are typed)."""
    if not any(isinstance(rec.get(k), str) for k in NUMBERS):
        return rec
    out: dict[str, Any] = {k: (None if v == "" else v) for k, v in rec.items()}
    for key, kind in NUMBERS.items():
        if isinstance(out.get(key), str):
            try:
                out[key] = kind(out[key]) if kind is float else int(float(out[key]))
            except ValueError:
                out[key] = None
    if "top" in out and isinstance(out.get(out["top"]), str):  # a text's score column
        try:
            out["score"] = float(out[out["top"]])
        except ValueError:
            pass
    return out


def _flat(rec: dict[str, Any]) -> dict[str, Any]:
    vad = rec.get("vad")
    if isinstance(vad, dict):
        rec = {**rec, "v": vad.get("v"), "a": vad.get("a"), "d": vad.get("d")}
    scores = rec.get("scores")
    if isinstance(scores, dict) and "score" not in rec:
        rec = {**rec, "score": scores.get(rec.get("top"))}
    return rec


# ---------------------------------------------------------------------------- the join


def _joined(batches: Iterator[dict[str, list[Any]]], input: str,
            columns: list[str]) -> Iterator[dict[str, list[Any]]]:
    """Batches with ``columns`` added from ``input``, read in lockstep by ``line``."""
    if not columns:
        yield from batches
        return
    source = _input_records(input, columns)
    current: tuple[int, dict[str, Any]] = (0, {})
    for batch in batches:
        added: dict[str, list[Any]] = {c: [] for c in columns}
        turns = batch.get("turn") or [None] * len(batch["line"])
        for line, turn in zip(batch["line"], turns):
            current = _advance(source, current, line, input)
            rec = current[1]
            at = _turn_of(rec, turn)
            for c in columns:
                added[c].append(at[c] if isinstance(at, dict) and c in at else rec.get(c))
        yield {**batch, **added}


def _turn_of(rec: dict[str, Any], turn: Any) -> Any:
    """The turn object of a nested JSONL conversation, if the record is one."""
    nested = rec.get("turns")
    if isinstance(nested, list) and isinstance(turn, int) and 0 <= turn < len(nested):
        return nested[turn]
    return None


def _advance(source: Iterator[tuple[int, dict[str, Any]]], current: tuple[int, dict[str, Any]],
             line: Any, input: str) -> tuple[int, dict[str, Any]]:
    if not isinstance(line, int):
        raise InputError(f"a result row without a line number ({line!r}): cannot join it with --input")
    if line < current[0]:
        raise InputError(f"the results go back from line {current[0]} to line {line}: they are not in "
                         "the input's order, so they cannot be joined with it", source=input)
    while current[0] < line:
        nxt = next(source, None)
        if nxt is None:
            raise InputError(f"ends before line {line} of the results: is it the input they were made "
                             "from?", source=input)
        current = nxt
    return current


def _input_records(path: str, columns: list[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line, record)`` of each row of the analyzed input (a JSONL line read as it is)."""
    if detect_format(path) == "jsonl":
        yield from _jsonl_records(path)
        return
    try:
        for row in read_rows(path, text_column=columns[0]):
            yield row.line, row.record or {}
    except InputError as exc:
        raise InputError(str(exc).replace("choose with --text-column", "see --time-column and --by")) from None


def _jsonl_records(path: str) -> Iterator[tuple[int, dict[str, Any]]]:
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            try:
                obj = json.loads(raw) if raw.strip() else {}
            except ValueError:
                obj = {}
            yield n, obj if isinstance(obj, dict) else {}
