"""Streaming aggregation: bounded whatever the input, exact where it counts."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest

from emotive.report import _tally
from emotive.report._figures import bucket_start, time_unit, trends
from emotive.report._tally import GroupTally, IntenseTally, Reservoir, Samples, TimeTally, to_time


@pytest.mark.parametrize("value, expected", [
    ("2024-03-01T10:30:00Z", datetime(2024, 3, 1, 10, 30, tzinfo=UTC)),
    ("2024-03-01T12:30:00+02:00", datetime(2024, 3, 1, 10, 30, tzinfo=UTC)),
    ("2024-03-01", datetime(2024, 3, 1, tzinfo=UTC)),
    (1709289000, datetime(2024, 3, 1, 10, 30, tzinfo=UTC)),
    (1709289000000, datetime(2024, 3, 1, 10, 30, tzinfo=UTC)),  # milliseconds
    ("1709289000", datetime(2024, 3, 1, 10, 30, tzinfo=UTC)),
    (date(2024, 3, 1), datetime(2024, 3, 1, tzinfo=UTC)),
    (datetime(2024, 3, 1, 10, 30), datetime(2024, 3, 1, 10, 30, tzinfo=UTC)),  # naive: UTC
    ("next tuesday", None), (None, None), (float("nan"), None), (True, None),
])
def test_times(value, expected) -> None:
    assert to_time(value) == expected


def test_hours_become_days_past_the_bucket_limit(monkeypatch) -> None:
    monkeypatch.setattr(_tally, "MAX_BUCKETS", 50)
    tally = TimeTally()
    for hour in range(24 * 10):  # 240 hours over 10 days
        tally.add(1709251200 + hour * 3600, "joy" if hour % 2 else "anger", 3.0)
    tally.add("garbage", "joy", None)
    assert tally.unit == 86400 and len(tally.buckets) == 10 and tally.missing == 1
    assert sum(g.count for g in tally.buckets.values()) == 240
    assert all(g.labels == {"joy": 12, "anger": 12} for g in tally.buckets.values())


def test_time_units_and_buckets() -> None:
    assert time_unit(list(range(100)), 3600) == "hour"
    assert time_unit(list(range(200)), 3600) == "day"
    assert time_unit(list(range(0, 24 * 365 * 3, 24)), 3600) == "month"
    monday = bucket_start(datetime(2024, 3, 7, 15, tzinfo=UTC).timestamp(), "week")
    assert monday == datetime(2024, 3, 4, tzinfo=UTC)
    tally = TimeTally()
    for day in range(30):
        for _ in range(day + 1):
            tally.add(datetime(2024, 4, 1 + day, 12, tzinfo=UTC), "sadness", 2.5)
    trend = trends(tally, tally.buckets[next(iter(tally.buckets))].labels, "turns")
    assert trend is not None and trend.unit == "hour"  # 30 distinct hours
    assert [p.y for p in trend.volume.points][:3] == [1, 2, 3]
    assert trend.valence is not None and trend.valence.neutral == 3.0
    lo, hi = trend.valence.domain
    assert lo < 2.5 and hi >= 3.0


def test_groups_are_capped(monkeypatch) -> None:
    monkeypatch.setattr(_tally, "MAX_GROUPS", 3)
    tally = GroupTally("channel")
    for k in range(10):
        tally.add(f"c{k}", "joy", None)
    tally.add(None, "joy", None)
    assert list(tally.groups) == ["c0", "c1", "c2", "(other)"]
    assert tally.groups["(other)"].count == 8


def test_reservoir_is_bounded_and_uniform() -> None:
    firsts = 0
    for seed in range(400):
        sample = Reservoir(10, random.Random(seed))
        for k in range(1000):
            sample.add(k)
        assert len(sample.items) == 10 and sample.seen == 1000
        firsts += sum(x < 500 for x in sample.items)
    assert 0.45 < firsts / 4000 < 0.55


def test_samples_per_label_from_whole_columns() -> None:
    samples = Samples(3, seed=1)
    firsts = 0
    for start in range(0, 6000, 1000):
        labels = ["joy" if k % 3 else "rare" if k % 999 == 0 else "anger" for k in range(start, start + 1000)]
        samples.add_many(labels, list(range(start, start + 1000)))
    joy, rare = samples.by_label["joy"], samples.by_label["rare"]
    assert joy.seen == 4000 and len(joy.items) == 3 and all(x % 3 for x in joy.items)
    assert rare.seen == 7 and len(rare.items) == 3 and all(x % 999 == 0 for x in rare.items)
    firsts = sum(x < 3000 for x in samples.by_label["anger"].items)
    assert 0 <= firsts <= 3


def test_most_intense_conversations(monkeypatch) -> None:
    monkeypatch.setattr(_tally, "FLOW_TURNS", 5)
    tally = IntenseTally("turns", keep=2, fields=("turn", "intensity"))
    rows = [(c + 1, f"c{c}", k, value) for c, (turns, value) in
            enumerate([(3, 0.2), (1, 0.99), (8, 0.7), (2, 0.5), (4, 0.6)]) for k in range(turns)]
    for part in (rows[:5], rows[5:9], rows[9:]):  # c2 runs over three batches
        tally.add_batch({"line": [r[0] for r in part], "conversation": [r[1] for r in part],
                         "turn": [r[2] for r in part], "intensity": [r[3] for r in part]})
    best = tally.best()
    assert [k.name for k in best] == ["c2", "c4"]  # the one-turn conversation, however intense, comes after
    assert best[0].turns == 8 and [r["turn"] for r in best[0].rows] == [0, 1, 2, 3, 4]  # FLOW_TURNS kept
    assert tally.closed == 5
