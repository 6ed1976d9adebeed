"""Aggregate results while they stream by: memory bounded whatever the number of rows.

Counters per label, per time bucket and per group; fixed-bin histograms of VAD; quotes and
cause spans kept by bottom-k sampling (each item a random key, the ``k`` smallest kept: a
uniform sample, the same for the same file, as the seed is fixed); the most intense
conversations in a heap of ``keep`` (each at most ``FLOW_TURNS`` turns). Each batch is
counted with numpy and ``Counter`` over whole columns, so a million rows take seconds.
What grows with the data is bounded: ``MAX_BUCKETS`` time buckets (hours, then days),
``MAX_GROUPS`` values per ``--by`` column (the rest counted as ``(other)``).
"""

from __future__ import annotations

import heapq
import json
import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

from emotive.taxonomy import get_scheme

NEGATIVE = ("anger", "disgust", "fear", "sadness")  # the in-context (7-way) negative emotions
MAX_BUCKETS = 20_000
MAX_GROUPS = 1000
FLOW_TURNS = 2000
QUOTE_CHARS = 240
EXAMPLES = 2
CAUSE_SAMPLE = 1000
VAD_BINS = 80  # 0.05 wide on the 1-5 scale
GRID = 32


def sentiment_of(label: str) -> str:
    """``positive``, ``negative``, ``ambiguous`` or ``neutral`` for a GoEmotions or a 7-way label.

    >>> sentiment_of("anger"), sentiment_of("gratitude"), sentiment_of("surprise")
    ('negative', 'positive', 'ambiguous')
    """
    for name, members in get_scheme("sentiment").groups.items():
        if label in members:
            return name
    return "positive" if label == "joy" else "other"


def quote(text: Any, limit: int = QUOTE_CHARS) -> str:
    """A text cut for a page.

    >>> quote("a" * 300)[-3:], len(quote("a" * 300))
    ('aa…', 241)
    """
    s = "" if text is None else str(text)
    return s if len(s) <= limit else s[:limit] + "…"


@dataclass
class Group:
    """Rows of one time bucket or one group: count, labels, valence."""

    count: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    v_sum: float = 0.0
    v_n: int = 0

    def add(self, label: str | None, v: float | None) -> None:
        self.count += 1
        if label is not None:
            self.labels[label] += 1
        if v is not None and math.isfinite(v):
            self.v_sum += v
            self.v_n += 1

    def merge(self, other: Group) -> None:
        self.count += other.count
        self.labels.update(other.labels)
        self.v_sum += other.v_sum
        self.v_n += other.v_n

    @property
    def valence(self) -> float | None:
        return self.v_sum / self.v_n if self.v_n else None


def to_time(value: Any) -> datetime | None:
    """A timestamp as an aware UTC datetime: ISO strings, dates, epoch seconds (or ms, µs).

    >>> to_time("2024-03-01T10:30:00Z").hour, to_time(1709289000).day, to_time("soon")
    (10, 1, None)
    """
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text)
        except ValueError:
            try:
                return to_time(datetime.fromisoformat(text))
            except ValueError:
                return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        seconds = float(value)
        while abs(seconds) > 1e11:  # milliseconds, microseconds
            seconds /= 1000
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def codes_of(values: Sequence[Any]) -> tuple[list[Any], np.ndarray]:
    """The distinct values (in order of appearance) and each value's index among them.

    >>> codes_of(["b", "a", "b", None])
    (['b', 'a', None], array([0, 1, 0, 2]))
    """
    index: dict[Any, int] = {}
    try:
        codes = [index.setdefault(v, len(index)) for v in values]
    except TypeError:  # an unhashable value (a JSON list): by its text
        codes = [index.setdefault(str(v), len(index)) for v in values]
    return list(index), np.array(codes, dtype=np.int64)


def floats(values: Sequence[Any] | None, n: int) -> np.ndarray:
    """A column as float64, None and anything else unreadable as NaN."""
    if values is None:
        return np.full(n, np.nan)
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return np.array([x if isinstance(x, (int, float)) and not isinstance(x, bool) else np.nan for x in values],
                        dtype=np.float64)


def merge_counts(groups: list[Group], codes: np.ndarray, labels: Sequence[Any], v: np.ndarray) -> None:
    """Add rows to ``groups`` (row ``i`` to ``groups[codes[i]]``) with their labels and valence."""
    size = len(groups)
    counts = np.bincount(codes, minlength=size)
    finite = np.isfinite(v)
    sums = np.bincount(codes[finite], v[finite], size)
    seen = np.bincount(codes[finite], minlength=size)
    for g, c, total, m in zip(groups, counts.tolist(), sums.tolist(), seen.tolist()):
        g.count += c
        g.v_sum += total
        g.v_n += m
    for (code, label), c in Counter(zip(codes.tolist(), labels)).items():
        if label is not None:
            groups[code].labels[label] += c


def epochs(values: Sequence[Any]) -> np.ndarray:
    """Timestamps as epoch seconds (NaN where unreadable): numbers at numpy's speed (ms and
    µs brought to seconds), anything else through ``to_time``."""
    first = next((v for v in values if v is not None), None)
    if isinstance(first, (int, float)) and not isinstance(first, bool):
        try:
            out = np.asarray(values, dtype=np.float64)
            for _ in range(3):
                out = np.where(np.abs(out) > 1e11, out / 1000, out)
            return out
        except (TypeError, ValueError):
            pass
    times = [to_time(v) for v in values]
    return np.array([t.timestamp() if t is not None else np.nan for t in times], dtype=np.float64)


class TimeTally:
    """Rows per hour (per day once there are more than ``MAX_BUCKETS`` hours)."""

    def __init__(self) -> None:
        self.unit = 3600
        self.buckets: dict[int, Group] = {}
        self.missing = 0

    def add(self, when: Any, label: str | None, v: float | None) -> None:
        self.add_many([when], [label], [v])

    def add_many(self, whens: Sequence[Any], labels: Sequence[Any], values: Sequence[Any]) -> None:
        seconds = epochs(whens)
        ok = np.isfinite(seconds)
        self.missing += int((~ok).sum())
        if not ok.all():
            keep = np.flatnonzero(ok).tolist()
            labels, values = [labels[i] for i in keep], [values[i] for i in keep]
        keys, codes = codes_of(np.floor(seconds[ok] / self.unit).astype(np.int64).tolist())
        groups = [self.buckets.setdefault(int(k), Group()) for k in keys]
        merge_counts(groups, codes, labels, floats(values, len(labels)))
        if len(self.buckets) > MAX_BUCKETS and self.unit == 3600:
            self._to_days()

    def _to_days(self) -> None:
        days: dict[int, Group] = {}
        for key, group in self.buckets.items():
            days.setdefault(key // 24, Group()).merge(group)
        self.buckets, self.unit = days, 86400


class GroupTally:
    """Rows per value of one column (``MAX_GROUPS`` values, the rest as ``(other)``)."""

    def __init__(self, column: str):
        self.column = column
        self.groups: dict[str, Group] = {}

    def add(self, value: Any, label: str | None, v: float | None) -> None:
        self.add_many([value], [label], [v])

    def add_many(self, values: Sequence[Any], labels: Sequence[Any], v: Sequence[Any]) -> None:
        names, codes = codes_of(values)
        merge_counts([self._group(x) for x in names], codes, labels, floats(v, len(labels)))

    def _group(self, value: Any) -> Group:
        name = "(none)" if value is None or value == "" else str(value)[:80]
        group = self.groups.get(name)
        if group is None:
            name = name if len(self.groups) < MAX_GROUPS else "(other)"
            group = self.groups.setdefault(name, Group())
        return group


class Reservoir:
    """A uniform sample of at most ``size`` items of a stream: each item gets a random key
    and the ``size`` smallest keys are kept (bottom-k sampling)."""

    def __init__(self, size: int, rng: random.Random):
        self.size, self.rng, self.seen = size, rng, 0
        self._kept: list[tuple[float, int, Any]] = []  # a max-heap on the key (keys negated)

    @property
    def items(self) -> list[Any]:
        return [item for _, _, item in sorted(self._kept, reverse=True)]

    @property
    def limit(self) -> float:
        """The key an item must be under to be kept."""
        return -self._kept[0][0] if len(self._kept) >= self.size else 1.0

    def add(self, item: Any, key: float | None = None) -> None:
        self.seen += 1
        self.offer(self.rng.random() if key is None else key, item)

    def offer(self, key: float, item: Any) -> None:
        """An item with its key (counted in ``seen`` by the caller)."""
        entry = (-key, self.seen, item)
        if len(self._kept) < self.size:
            heapq.heappush(self._kept, entry)
        elif key < -self._kept[0][0]:
            heapq.heapreplace(self._kept, entry)


class Samples:
    """A ``Reservoir`` per label, fed a whole column at a time: only the rows whose key
    is under their label's limit are looked at one by one."""

    def __init__(self, size: int, seed: int):
        self.size, self.rng = size, np.random.default_rng(seed)
        self.by_label: dict[Any, Reservoir] = {}

    def add_many(self, labels: Sequence[Any], items: Sequence[Any]) -> None:
        names, codes = codes_of(labels)
        samples = [self.by_label.setdefault(x, Reservoir(self.size, random.Random(0))) for x in names]
        for sample, seen in zip(samples, np.bincount(codes, minlength=len(names)).tolist()):
            sample.seen += seen
        keys = self.rng.random(len(codes))
        limits = np.array([sample.limit for sample in samples])
        for i in np.flatnonzero(keys < limits[codes]).tolist():
            if labels[i] is not None:
                samples[codes[i]].offer(float(keys[i]), items[i])


class VadTally:
    """Histograms of valence, arousal and dominance, valence against arousal, intensity."""

    def __init__(self) -> None:
        self.edges = np.linspace(1.0, 5.0, VAD_BINS + 1)
        self.hist = {k: np.zeros(VAD_BINS, dtype=np.int64) for k in "vad"}
        self.grid = np.zeros((GRID, GRID), dtype=np.int64)
        self.intensity = np.zeros(50, dtype=np.int64)
        self.by_label: dict[str, np.ndarray] = {}  # label -> sums of v, a, d and a count

    def add(self, batch: dict[str, list[Any]], labels: Sequence[Any]) -> None:
        cols = {k: floats(batch.get(k), len(labels)) for k in ("v", "a", "d", "intensity")}
        for k in "vad":
            self.hist[k] += np.histogram(cols[k][np.isfinite(cols[k])], self.edges)[0]
        both = np.isfinite(cols["v"]) & np.isfinite(cols["a"])
        self.grid += np.histogram2d(cols["v"][both], cols["a"][both], GRID, [[1, 5], [1, 5]])[0].astype(np.int64)
        self.intensity += np.histogram(cols["intensity"][np.isfinite(cols["intensity"])], 50, (0, 1))[0]
        ok = np.isfinite(cols["v"]) & np.isfinite(cols["a"]) & np.isfinite(cols["d"])
        names, codes = codes_of(labels)
        sums = np.stack([*(np.bincount(codes[ok], cols[c][ok], len(names)) for c in "vad"),
                         np.bincount(codes[ok], minlength=len(names))], axis=1)
        for code, name in enumerate(names):
            if sums[code, 3] and name is not None:
                self.by_label[str(name)] = self.by_label.get(str(name), np.zeros(4)) + sums[code]

    @property
    def count(self) -> int:
        return int(self.hist["v"].sum())


class CauseTally:
    """Cause spans of the turns of each negative emotion: counts and a sample to group."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.turns: Counter[str] = Counter()  # turns of each negative emotion
        self.with_cause: Counter[str] = Counter()
        self.spans: dict[str, Reservoir] = {}

    def add(self, emotion: str, causes: Any, conversation: Any) -> None:
        self.turns[emotion] += 1
        found = _causes(causes)
        if found:
            self.with_cause[emotion] += 1
        for c in found:
            self.spans.setdefault(emotion, Reservoir(CAUSE_SAMPLE, self.rng)).add(
                (quote(c.get("text"), 300), str(conversation), c.get("turn"), float(c.get("score") or 0)))


def _causes(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        if value in ("", "[]"):
            return []
        try:
            value = json.loads(value)
        except ValueError:
            return []
    if not isinstance(value, list):
        return []
    return [c for c in value if isinstance(c, dict) and isinstance(c.get("text"), str) and c["text"].strip()]


@dataclass(order=True)
class Kept:
    """A conversation (or a text) kept for its intensity."""

    rank: tuple[float, ...]
    seq: int
    name: str = field(compare=False)
    rows: list[dict[str, Any]] = field(compare=False)
    turns: int = field(compare=False, default=1)


@dataclass
class _Open:
    """The conversation being read: its counts, and where its first turns are."""

    key: tuple[Any, Any]
    turns: int = 0
    total: float = 0.0
    n: int = 0
    parts: list[tuple[dict[str, list[Any]], int, int]] = field(default_factory=list)

    def take(self, cols: dict[str, list[Any]], start: int, end: int, total: float, n: int) -> None:
        self.turns += end - start
        self.total += total
        self.n += n
        room = FLOW_TURNS - sum(e - s for _, s, e in self.parts)
        if room > 0:
            self.parts.append((cols, start, min(end, start + room)))

    @property
    def rank(self) -> tuple[float, ...]:
        return (float(self.turns >= 2), self.total / self.n if self.n else 0.0)


class IntenseTally:
    """The ``keep`` most intense conversations (mean turn intensity, two turns or more
    first) or texts (the top label's score, neutral left out). A conversation's turns are
    the consecutive rows with one (line, conversation); ``closed`` counts them."""

    def __init__(self, kind: str, keep: int, fields: Sequence[str] = ()):
        self.kind, self.keep, self.fields = kind, keep, tuple(fields)
        self.heap: list[Kept] = []
        self.seq = self.closed = 0
        self.open: _Open | None = None

    def add_batch(self, cols: dict[str, list[Any]]) -> None:
        """The turns of one batch (a conversation may go on from the batch before)."""
        n = len(cols["line"])
        keys = list(zip(cols["line"], cols.get("conversation") or [None] * n))
        starts = [0, *(i for i in range(1, n) if keys[i] != keys[i - 1])]
        x = floats(cols.get("intensity"), n)
        ok = np.isfinite(x)
        totals = np.add.reduceat(np.where(ok, x, 0.0), starts).tolist()
        counts = np.add.reduceat(ok.astype(np.int64), starts).tolist()
        for r, (start, end) in enumerate(zip(starts, [*starts[1:], n])):
            if not (r == 0 and self.open is not None and self.open.key == keys[start]):
                self.close()
                self.open = _Open(keys[start])
            assert self.open is not None
            self.open.take(cols, start, end, totals[r], counts[r])

    def close(self) -> None:
        """The conversation being read has ended."""
        conv, self.open = self.open, None
        if conv is None:
            return
        self.closed += 1
        if len(self.heap) < self.keep or (conv.rank, self.seq) > (self.heap[0].rank, self.heap[0].seq):
            rows = [self._row(cols, i) for cols, s, e in conv.parts for i in range(s, e)]
            self._push(Kept(conv.rank, self.seq, str(conv.key[1]), rows, conv.turns))

    def _row(self, cols: dict[str, list[Any]], i: int) -> dict[str, Any]:
        row = {k: cols[k][i] for k in self.fields if k in cols}
        row["text"] = quote(cols["text"][i], 300) if "text" in cols else ""
        return row

    def add_texts(self, cols: dict[str, list[Any]]) -> None:
        """Texts of one batch: only the batch's best few are looked at one by one."""
        n = len(cols["line"])
        score = floats(cols.get("score"), n)
        tops = cols.get("top") or [None] * n
        score[[t in (None, "neutral") for t in tops]] = np.nan
        best = np.argsort(-np.nan_to_num(score, nan=-1.0), kind="stable")[: self.keep]
        for i in best.tolist():
            if np.isfinite(score[i]):
                self._push(Kept((float(score[i]),), self.seq, str(cols["line"][i]),
                                [{k: cols[k][i] for k in ("line", "text", "top", "score") if k in cols}]))

    def _push(self, kept: Kept) -> None:
        self.seq += 1
        if len(self.heap) < self.keep:
            heapq.heappush(self.heap, kept)
        elif kept > self.heap[0]:
            heapq.heapreplace(self.heap, kept)

    def best(self) -> list[Kept]:
        self.close()
        return sorted(self.heap, reverse=True)
