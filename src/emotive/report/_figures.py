"""Charts and tables of a tally: the numbers a report shows, before any HTML."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from emotive.report._charts import (
    NEUTRAL_VALENCE,
    Bar,
    Bars,
    Bin,
    Cell,
    Heatmap,
    Histogram,
    Lines,
    Part,
    Point,
    Stacks,
)
from emotive.report._flow import valence_domain
from emotive.report._tally import GRID, CauseTally, Group, GroupTally, TimeTally, VadTally, sentiment_of

MOST_BARS = 28
MOST_GROUPS = 15
MOST_POINTS = 120
TREND_SERIES = 6
UNITS = ("hour", "day", "week", "month", "year")


def label_bars(title: str, counts: Counter[str], total: int, most: int = MOST_BARS) -> Bars:
    """The share of each label, largest first, coloured by sentiment.

    >>> label_bars("t", Counter({"joy": 3, "anger": 1}), 4).rows[1]
    Bar(label='anger', value=0.25, count=1, group='negative')
    """
    return Bars(title, tuple(Bar(k, round(c / max(1, total), 4), c, sentiment_of(k))
                             for k, c in counts.most_common(most)))


# ---------------------------------------------------------------------------- time


def time_unit(keys: list[int], seconds: int) -> str:
    """The finest calendar unit that shows the buckets in at most ``MOST_POINTS`` points.

    >>> time_unit(list(range(48)), 3600), time_unit(list(range(0, 24 * 400, 24)), 3600)
    ('hour', 'week')
    """
    for unit in UNITS[UNITS.index("hour" if seconds == 3600 else "day"):]:
        if len({bucket_start(k * seconds, unit) for k in keys}) <= MOST_POINTS or unit == "year":
            return unit
    return "year"


def bucket_start(epoch: float, unit: str) -> datetime:
    """The start of the ``unit`` that holds ``epoch`` (weeks start on Monday)."""
    t = datetime.fromtimestamp(epoch, UTC)
    if unit == "hour":
        return t.replace(minute=0, second=0, microsecond=0)
    day = t.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


@dataclass(frozen=True)
class Trend:
    unit: str
    volume: Lines
    shares: Lines
    valence: Lines | None
    first: datetime
    last: datetime


def trends(tally: TimeTally, main: Counter[str], what: str) -> Trend | None:
    """Volume, the share of the commonest emotions and mean valence per time bucket."""
    if not tally.buckets:
        return None
    unit = time_unit(list(tally.buckets), tally.unit)
    merged: dict[datetime, Group] = {}
    for key, group in sorted(tally.buckets.items()):
        merged.setdefault(bucket_start(key * tally.unit, unit), Group()).merge(group)
    shown = [k for k, _ in main.most_common() if k != "neutral"][:TREND_SERIES]
    stamp = {t: t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in merged}
    volume = Lines(f"{what} per {unit}", tuple(Point(stamp[t], "rows", g.count, g.count) for t, g in merged.items()),
                   what, mark="area")
    shares = Lines(f"Share of the commonest emotions per {unit}", tuple(
        Point(stamp[t], label, round(g.labels[label] / max(1, g.count), 4), g.labels[label])
        for t, g in merged.items() for label in shown), "share", percent=True)
    valence = None
    values = [(t, g) for t, g in merged.items() if g.valence is not None]
    if values:
        domain = valence_domain(g.valence for _, g in values if g.valence is not None)
        valence = Lines(f"Mean valence per {unit} (dashed: neutral)", tuple(
            Point(stamp[t], "valence", round(g.valence or 0, 3), g.v_n) for t, g in values),
            "valence", neutral=NEUTRAL_VALENCE, domain=domain)
    return Trend(unit, volume, shares, valence, min(merged), max(merged))


# ---------------------------------------------------------------------------- groups


@dataclass(frozen=True)
class Breakdown:
    column: str
    chart: Stacks
    rows: list[dict[str, Any]]
    groups: int


def breakdown(tally: GroupTally, main: Counter[str]) -> Breakdown:
    """The emotion mix of the largest groups of one column, with their counts and valence."""
    largest = sorted(tally.groups.items(), key=lambda kv: -kv[1].count)[:MOST_GROUPS]
    order = [k for k, _ in main.most_common(8)]
    parts = []
    for name, g in largest:
        rest = g.count - sum(g.labels[k] for k in order)
        parts += [Part(name, k, round(g.labels[k] / max(1, g.count), 4), g.labels[k]) for k in order if g.labels[k]]
        if rest > 0:
            parts.append(Part(name, "other", round(rest / g.count, 4), rest))
    rows = [{"group": name, "rows": g.count,
             "negative": sum(c for k, c in g.labels.items() if sentiment_of(k) == "negative") / max(1, g.count),
             "valence": g.valence, "top": ", ".join(k for k, _ in g.labels.most_common(3))}
            for name, g in largest]
    chart = Stacks(f"Emotions by {tally.column}", tuple(parts), tally.column, tuple([*order, "other"]))
    return Breakdown(tally.column, chart, rows, len(tally.groups))


# ---------------------------------------------------------------------------- vad


@dataclass(frozen=True)
class VadFigures:
    histogram: Histogram
    heatmap: Heatmap
    intensity: Histogram
    means: list[dict[str, Any]]


def vad_figures(tally: VadTally) -> VadFigures | None:
    """Distributions of V, A and D (on the data's range), valence × arousal, intensity."""
    if not tally.count:
        return None
    edges = tally.edges
    used = np.flatnonzero(sum(tally.hist.values()))
    lo, hi = float(edges[used[0]]), float(edges[used[-1] + 1])
    lo, hi = min(lo, NEUTRAL_VALENCE - 0.25), max(hi, NEUTRAL_VALENCE + 0.25)
    names = {"v": "valence", "a": "arousal", "d": "dominance"}
    bins = tuple(Bin(float(edges[i]), float(edges[i + 1]), names[k], int(h[i]))
                 for k, h in tally.hist.items() for i in range(len(h)) if lo <= edges[i] < hi)
    histogram = Histogram("Valence, arousal and dominance of the turns (1-5; dashed: neutral)", bins,
                          "score (1-5)", (lo, hi), NEUTRAL_VALENCE)
    step = 4 / GRID
    cells = tuple(Cell(1 + i * step, 1 + (i + 1) * step, 1 + j * step, 1 + (j + 1) * step, int(tally.grid[i, j]))
                  for i, j in zip(*np.nonzero(tally.grid)))
    xs = [c.x0 for c in cells] + [c.x1 for c in cells]
    ys = [c.y0 for c in cells] + [c.y1 for c in cells]
    heatmap = Heatmap("Valence against arousal (turns per cell)", cells, "valence", "arousal",
                      (min(xs), max(xs)), (min(ys), max(ys)))
    ibins = tuple(Bin(i / 50, (i + 1) / 50, "intensity", int(c)) for i, c in enumerate(tally.intensity))
    intensity = Histogram("Intensity of the turns (0-1)", ibins, "intensity", (0.0, 1.0))
    means = [{"label": k, "turns": int(s[3]), "v": s[0] / s[3], "a": s[1] / s[3], "d": s[2] / s[3]}
             for k, s in sorted(tally.by_label.items(), key=lambda kv: -kv[1][3])]
    return VadFigures(histogram, heatmap, intensity, means)


# ---------------------------------------------------------------------------- causes


@dataclass(frozen=True)
class CauseThemes:
    """The recurring causes of one negative emotion: themes with estimated counts and quotes."""

    emotion: str
    turns: int
    with_cause: int
    spans: int
    sampled: int
    themes: list[dict[str, Any]]
    chart: Bars | None


def cause_themes(tally: CauseTally, *, themes_by: str = "words", clusters: int = 8,
                 examples: int = 3, encoder: Any = None) -> list[CauseThemes]:
    """Group each negative emotion's sampled cause spans into themes (``emotive.analyze.themes``:
    by shared words, or by meaning with the shipped sentence encoder); counts are scaled
    from the sample to every span."""
    from emotive.report._themes import themes

    out = []
    for emotion, turns in tally.turns.most_common():
        sample = tally.spans.get(emotion)
        items = sample.items if sample is not None else []
        total = sample.seen if sample is not None else 0
        vectors = None
        if themes_by == "meaning" and items:
            encoder = encoder or _encoder()
            vectors = encoder.encode([t for t, *_ in items])
        groups = themes([t for t, *_ in items], clusters, vectors=vectors) if items else []
        rows = [_theme_row(g, items, total, examples) for g in groups]
        chart = Bars(f"What causes {emotion}: themes of its cause spans", tuple(
            Bar(r["theme"], r["share"], r["count"], "negative") for r in rows)) if rows else None
        out.append(CauseThemes(emotion, turns, tally.with_cause[emotion], total, len(items), rows, chart))
    return out


def _encoder() -> Any:
    from emotive.models import SentenceEncoder

    return SentenceEncoder()


def _theme_row(theme: Any, items: list[tuple[str, str, Any, float]], total: int, examples: int) -> dict[str, Any]:
    members = [items[i] for i in theme.members]
    share = len(members) / max(1, len(items))
    best: dict[str, tuple[str, str, Any, float]] = {}
    for m in sorted(members, key=lambda m: -m[3]):
        best.setdefault(m[0].strip().lower(), m)
    quotes = [{"text": t, "conversation": c, "turn": k} for t, c, k, _ in list(best.values())[:examples]]
    return {"theme": theme.name, "count": round(share * total), "share": round(share, 4), "examples": quotes}
