"""One pass over the results: every figure of the report, aggregated batch by batch."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from emotive.report._load import Results
from emotive.report._tally import (
    EXAMPLES,
    NEGATIVE,
    CauseTally,
    GroupTally,
    IntenseTally,
    Reservoir,
    Samples,
    TimeTally,
    VadTally,
)

MAX_SPEAKERS = 10_000
FLOW_FIELDS = ("turn", "speaker", "emotion", "top", "v", "intensity", "shift_from", "contagion_from_turn")


class Tally:
    """The report's figures of results of ``kind`` (``texts`` or ``turns``)."""

    def __init__(self, kind: str, *, time_column: str | None = None, by: Sequence[str] = (),
                 keep: int = 5, seed: int = 0):
        rng = random.Random(seed)
        self.kind = kind
        self.label_field = "emotion" if kind == "turns" else "top"
        self.rows = self.errors = 0
        self.labels: Counter[str] = Counter()  # the main label: in context for turns, top for texts
        self.fine: Counter[str] = Counter()  # the fine-grained top label of a turn
        self.multi: Counter[str] = Counter()  # every label over its threshold
        self.speakers: Counter[str] = Counter()
        self.samples = Samples(EXAMPLES, seed)
        self.time_column, self.time = time_column, TimeTally() if time_column else None
        self.groups = [GroupTally(c) for c in by]
        self.vad = VadTally() if kind == "turns" else None
        self.causes = CauseTally(rng) if kind == "turns" else None
        self.intense = IntenseTally(kind, keep if kind == "turns" else 2 * keep, FLOW_FIELDS)

    @property
    def conversations(self) -> int:
        return self.intense.closed + (self.intense.open is not None)

    @property
    def examples(self) -> dict[str, Reservoir]:
        return {k: v for k, v in self.samples.by_label.items() if k is not None}

    def add(self, batch: dict[str, list[Any]]) -> None:
        """Count one batch of result rows (rows with an ``error`` are only counted)."""
        n = len(batch.get("line") or [])
        self.rows += n
        errors = batch.get("error") or [None] * n
        if any(errors):
            keep = [i for i, e in enumerate(errors) if not e]
            self.errors += n - len(keep)
            batch = {k: [v[i] for i in keep] for k, v in batch.items()}
            n = len(keep)
        if not n:
            return
        labels = batch.get(self.label_field) or [None] * n
        self._labels(batch, labels)
        self._grouped(batch, labels)
        if self.kind == "turns":
            self._turns(batch, labels)
        else:
            self.intense.add_texts(batch)

    def _labels(self, batch: dict[str, list[Any]], labels: list[Any]) -> None:
        self.labels.update(labels)
        if self.kind == "turns":
            self.fine.update(batch.get("top") or [])
        for value, count in Counter(_hashable(batch.get("labels") or [])).items():
            for label in split_labels(value):
                self.multi[label] += count
        for counter in (self.labels, self.fine):
            counter.pop(None, None)  # type: ignore[call-overload]
        self.samples.add_many(labels, batch.get("text") or [None] * len(labels))

    def _grouped(self, batch: dict[str, list[Any]], labels: list[Any]) -> None:
        values = batch.get("v") or [None] * len(labels)
        if self.time is not None and self.time_column is not None:
            self.time.add_many(batch.get(self.time_column) or [None] * len(labels), labels, values)
        for group in self.groups:
            group.add_many(batch.get(group.column) or [None] * len(labels), labels, values)

    def _turns(self, batch: dict[str, list[Any]], labels: list[Any]) -> None:
        assert self.vad is not None and self.causes is not None
        self.vad.add(batch, labels)
        n = len(labels)
        causes, convs = batch.get("causes") or [None] * n, batch.get("conversation") or [None] * n
        for i in [i for i, x in enumerate(labels) if x in NEGATIVE]:
            self.causes.add(labels[i], causes[i], convs[i])
        self.speakers.update(str(s) for s in batch.get("speaker") or [])
        if len(self.speakers) > MAX_SPEAKERS:
            self.speakers = Counter(dict(self.speakers.most_common(MAX_SPEAKERS)))
        self.intense.add_batch(batch)

    def run(self, results: Results, progress: Callable[[int, int | None], None] | None = None) -> Tally:
        """Aggregate every batch of ``results``; ``progress(rows, total)`` after each."""
        for batch in results.batches:
            self.add(batch)
            if progress is not None:
                progress(self.rows, results.total)
        self.intense.close()
        return self


def _hashable(values: list[Any]) -> list[Any]:
    return [tuple(v) if isinstance(v, list) else v for v in values]


def split_labels(value: Any) -> list[str]:
    """The labels of a row: a list (JSONL) or ``;``-joined (csv, Parquet).

    >>> split_labels("joy;love"), split_labels(["anger"]), split_labels(None)
    (['joy', 'love'], ['anger'], [])
    """
    if isinstance(value, str):
        return [x for x in value.split(";") if x]
    if isinstance(value, (list, tuple)):
        return [str(x) for x in value]
    return []
