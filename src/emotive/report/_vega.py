"""The renderer: chart model → Vega-Lite spec (a JSON-able dict), drawn in the page by the
Vega scripts bundled from ``vl-convert-python``, or as a PNG by vl-convert itself.

>>> from emotive.report import Bar
>>> spec = vega_spec(Bars("emotions", (Bar("joy", 0.5, 10, "positive"),)))
>>> spec["layer"][0]["mark"]["type"], spec["data"]["values"][0]["label"]
('bar', 'joy')
"""

from __future__ import annotations

import math
from functools import singledispatch
from typing import Any

from emotive.report._charts import (
    PALETTE,
    SENTIMENT_COLORS,
    Bars,
    Flow,
    Heatmap,
    Histogram,
    Lines,
    Stacks,
)

FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'
CONFIG: dict[str, Any] = {
    "font": FONT, "view": {"stroke": None},
    "axis": {"labelFontSize": 12, "titleFontSize": 13, "titleFontWeight": "normal",
             "labelColor": "#444", "titleColor": "#333"},
    "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom", "columns": 8},
    "title": {"fontSize": 15, "anchor": "start", "subtitleFontSize": 12, "subtitleColor": "#666"},
}
EMOTION_COLORS = {"anger": "#d62728", "disgust": "#8c564b", "fear": "#9467bd", "joy": "#2ca02c",
                  "sadness": "#1f77b4", "surprise": "#ff7f0e", "neutral": "#aaaaaa",
                  "other": "#dddddd"}
TABLEAU = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac")
LANE = 150  # pixels a speaker's lane is high
SHIFT_COLOR, CONTAGION_COLOR = "#222222", "#555555"
LOW, HIGH = 0.08, 0.74  # where a lane's valence range lies inside it (the top is for labels)


def emotion_colors(names: list[str]) -> list[str]:
    """A colour per emotion: fixed ones for the 7 basic emotions, then Tableau's 10.

    >>> emotion_colors(["joy", "pride", "other"])
    ['#2ca02c', '#4e79a7', '#dddddd']
    """
    spare = iter(c for c in TABLEAU * (len(names) // len(TABLEAU) + 1))
    return [EMOTION_COLORS.get(n) or next(spare) for n in names]


@singledispatch
def vega_spec(chart: Any, width: int | None = None) -> dict[str, Any]:
    """The Vega-Lite spec of a chart; ``width`` in pixels, or None for the page's width."""
    raise TypeError(f"not a chart: {type(chart).__name__}")


def _base(title: str, subtitle: str = "", width: int | None = None, **rest: Any) -> dict[str, Any]:
    head: dict[str, Any] = {"text": title}
    if subtitle:
        head["subtitle"] = subtitle
    return {"title": head, "width": "container" if width is None else width, "config": CONFIG,
            **rest}


@vega_spec.register
def _bars(chart: Bars, width: int | None = None) -> dict[str, Any]:
    fmt = ".1%" if chart.percent else ",.0f"
    groups = list(dict.fromkeys(b.group for b in chart.rows))
    y = {"field": "label", "type": "nominal", "sort": None, "title": None}
    x = {"field": "value", "type": "quantitative", "title": chart.value_title,
         "axis": {"format": ".0%" if chart.percent else ",d", "tickCount": 6}}
    return _base(chart.title, width=width, height=max(60, 24 * len(chart.rows)),
                 data={"values": [vars(b) for b in chart.rows]}, layer=[
        {"mark": {"type": "bar", "cornerRadiusEnd": 2},
         "encoding": {"y": y, "x": x, "color": {
             "field": "group", "type": "nominal", "title": None,
             "scale": {"domain": groups, "range": [SENTIMENT_COLORS.get(g, "#56b4e9") for g in groups]}},
             "tooltip": [{"field": "label", "title": "label"}, {"field": "value", "format": fmt, "title": "share"},
                         {"field": "count", "format": ",d"}]}},
        {"mark": {"type": "text", "align": "left", "dx": 3, "fontSize": 11, "color": "#444"},
         "encoding": {"y": y, "x": x, "text": {"field": "value", "format": fmt}}}])


@vega_spec.register
def _stacks(chart: Stacks, width: int | None = None) -> dict[str, Any]:
    order = list(chart.order) or list(dict.fromkeys(p.part for p in chart.parts))
    rows = list(dict.fromkeys(p.row for p in chart.parts))
    values = [{**vars(p), "rank": order.index(p.part) if p.part in order else len(order)}
              for p in chart.parts]
    return _base(chart.title, width=width, height=max(60, 26 * len(rows)), data={"values": values},
                 mark={"type": "bar"}, encoding={
        "y": {"field": "row", "type": "nominal", "sort": rows, "title": chart.row_title},
        "x": {"field": "value", "type": "quantitative", "stack": "zero", "title": "share",
              "axis": {"format": ".0%", "tickCount": 5}, "scale": {"domain": [0, 1]}},
        "color": {"field": "part", "type": "nominal", "title": None,
                  "scale": {"domain": order, "range": emotion_colors(order)}},
        "order": {"field": "rank", "type": "quantitative"},
        "tooltip": [{"field": "row", "title": chart.row_title}, {"field": "part", "title": "emotion"},
                    {"field": "value", "format": ".1%", "title": "share"}, {"field": "count", "format": ",d"}]})


@vega_spec.register
def _lines(chart: Lines, width: int | None = None) -> dict[str, Any]:
    series = list(dict.fromkeys(p.series for p in chart.points))
    fmt = ".1%" if chart.percent else ".2f"
    y: dict[str, Any] = {"field": "y", "type": "quantitative", "title": chart.y_title,
                         "axis": {"format": ".0%" if chart.percent else "~r"}, "scale": {"zero": chart.mark != "line"}}
    if chart.domain:
        y["scale"] = {"domain": list(chart.domain), "zero": False}
    x = {"field": "x", "type": "temporal" if chart.temporal else "quantitative", "title": None}
    mark: dict[str, Any] = {"type": chart.mark, "point": chart.mark == "line" and len(chart.points) <= 400,
                            "interpolate": "monotone" if chart.mark == "line" else "linear"}
    if chart.mark == "area":
        mark.update(line=True, opacity=0.35)
    encoding: dict[str, Any] = {"x": x, "y": y, "tooltip": [
        {"field": "x", "type": x["type"], "title": "when" if chart.temporal else "x"},
        {"field": "series", "title": "series"}, {"field": "y", "format": fmt, "title": chart.y_title},
        {"field": "count", "format": ",d", "title": "rows"}]}
    if len(series) > 1:
        encoding["color"] = {"field": "series", "type": "nominal", "title": None,
                             "scale": {"domain": series, "range": emotion_colors(series)}}
    layer = [{"mark": mark, "encoding": encoding}, *_neutral_rule(chart.neutral)]
    return _base(chart.title, width=width, height=220, data={"values": [vars(p) for p in chart.points]},
                 layer=layer)


def _neutral_rule(neutral: float | None) -> list[dict[str, Any]]:
    if neutral is None:
        return []
    return [{"data": {"values": [{"y": neutral}]},
             "mark": {"type": "rule", "strokeDash": [6, 4], "color": "#888"},
             "encoding": {"y": {"field": "y", "type": "quantitative"}}}]


@vega_spec.register
def _histogram(chart: Histogram, width: int | None = None) -> dict[str, Any]:
    series = list(dict.fromkeys(b.series for b in chart.bins))
    values = [{"x": (b.start + b.end) / 2, "start": b.start, "end": b.end, "series": b.series,
               "count": b.count} for b in chart.bins]
    enc = {"x": {"field": "x", "type": "quantitative", "title": chart.x_title,
                 "scale": {"domain": list(chart.domain), "zero": False}, "axis": {"tickCount": 10}},
           "y": {"field": "count", "type": "quantitative", "title": "turns", "stack": None},
           "color": {"field": "series", "type": "nominal", "title": None,
                     "scale": {"domain": series, "range": list(PALETTE[:len(series)])}},
           "tooltip": [{"field": "series"}, {"field": "start", "format": ".2f", "title": "from"},
                       {"field": "end", "format": ".2f", "title": "to"}, {"field": "count", "format": ",d"}]}
    layer = [{"mark": {"type": "area", "interpolate": "step", "opacity": 0.3, "line": True}, "encoding": enc}]
    if chart.neutral is not None:
        layer.append({"data": {"values": [{"x": chart.neutral}]},
                      "mark": {"type": "rule", "strokeDash": [6, 4], "color": "#888"},
                      "encoding": {"x": {"field": "x", "type": "quantitative"}}})
    return _base(chart.title, width=width, height=200, data={"values": values}, layer=layer)


@vega_spec.register
def _heatmap(chart: Heatmap, width: int | None = None) -> dict[str, Any]:
    return _base(chart.title, width=width, height=260, data={"values": [vars(c) for c in chart.cells]},
                 mark={"type": "rect"}, encoding={
        "x": {"field": "x0", "type": "quantitative", "title": chart.x_title,
              "scale": {"domain": list(chart.x_domain), "zero": False}, "axis": {"tickCount": 10}},
        "x2": {"field": "x1"},
        "y": {"field": "y0", "type": "quantitative", "title": chart.y_title,
              "scale": {"domain": list(chart.y_domain), "zero": False}},
        "y2": {"field": "y1"},
        "color": {"field": "count", "type": "quantitative", "title": "turns",
                  "scale": {"scheme": "blues", "type": "sqrt"}, "legend": {"orient": "right"}},
        "tooltip": [{"field": "x0", "format": ".2f", "title": chart.x_title},
                    {"field": "y0", "format": ".2f", "title": chart.y_title},
                    {"field": "count", "format": ",d", "title": "turns"}]})


# ---------------------------------------------------------------------------- flow


@vega_spec.register
def _flow(chart: Flow, width: int | None = None) -> dict[str, Any]:
    if chart.layout == "multiples":
        return _multiples(chart)
    n = max(1, len(chart.speakers))
    height = max(220, LANE * n)
    lane = {s: n - 1 - k for k, s in enumerate(chart.speakers)}  # the first speaker on top
    rows = [_flow_row(p, lane[p.speaker] + _inside(p.valence, chart.domain)) for p in chart.points]
    y = {"field": "y", "type": "quantitative", "title": None, "scale": {"domain": [0, n], "nice": False},
         "axis": _lane_axis(chart.domain, n)}
    layers = [*_lane_guides(chart, lane), *_flow_marks(chart, y), *_arrows(chart, rows, height)]
    return _base(chart.title, chart.caption, chart.width, height=height, data={"values": rows}, layer=layers)


def _inside(valence: float, domain: tuple[float, float]) -> float:
    """Where a valence lies inside its lane (0 bottom, 1 top)."""
    lo, hi = domain
    return LOW + (min(max(valence, lo), hi) - lo) / (hi - lo) * (HIGH - LOW)


def _flow_row(p: Any, y: float) -> dict[str, Any]:
    return {"turn": p.turn, "y": round(y, 4), "speaker": p.speaker, "valence": round(p.valence, 3),
            "emotion": p.emotion, "top": p.top, "text": p.text, "label": p.label, "detail": p.detail,
            "shift": p.shift or ""}


def _lane_axis(domain: tuple[float, float], lanes: int) -> dict[str, Any]:
    """Valence ticks in every lane (the low end, neutral, the high end), labelled back in valence."""
    lo, hi = domain
    ticks = sorted({lo, 3.0, hi})
    values = [round(k + _inside(v, domain), 4) for k in range(lanes) for v in ticks]
    expr = (f"format({lo} + ((datum.value % 1) - {LOW}) / {HIGH - LOW} * {hi - lo}, '.1f')")
    return {"values": values, "labelExpr": expr, "grid": True, "gridColor": "#eee", "title": "valence",
            "domain": False}


def _lane_guides(chart: Flow, lane: dict[str, int]) -> list[dict[str, Any]]:
    """Each lane's neutral line, its band and its speaker's name."""
    guides = [{"lane": k, "speaker": s, "neutral": k + _inside(chart.neutral, chart.domain), "top": k + 0.97,
               "bottom": k + 0.01, "x": _x_domain(chart)[0]}
              for s, k in lane.items()]
    return [
        {"data": {"values": guides}, "mark": {"type": "rect", "color": "#f7f7f7"},
         "encoding": {"y": {"field": "bottom", "type": "quantitative"}, "y2": {"field": "top"}}},
        {"data": {"values": guides}, "mark": {"type": "rule", "strokeDash": [6, 4], "color": "#888"},
         "encoding": {"y": {"field": "neutral", "type": "quantitative"}}},
        {"data": {"values": guides},
         "mark": {"type": "text", "align": "left", "baseline": "top", "dx": 4, "fontWeight": "bold", "fontSize": 13},
         "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "top", "type": "quantitative"},
                      "text": {"field": "speaker"}, "color": _speaker_color(chart)}},
    ]


def _speaker_color(chart: Flow) -> dict[str, Any]:
    return {"field": "speaker", "type": "nominal", "legend": None,
            "scale": {"domain": list(chart.speakers), "range": list(chart.colors)}}


def _x_domain(chart: Flow) -> list[float]:
    turns = [p.turn for p in chart.points] or [0.0]
    return [min(turns) - 0.5, max(turns) + 0.5]


def _flow_marks(chart: Flow, y: dict[str, Any]) -> list[dict[str, Any]]:
    """Lines through every turn, dots with tooltips, shift rings and emotion labels."""
    x = {"field": "turn", "type": "quantitative", "title": "turn",
         "scale": {"domain": _x_domain(chart), "nice": False}, "axis": {"tickMinStep": 1, "format": "d"}}
    color = _speaker_color(chart)
    tip = [{"field": "turn", "format": "d"}, {"field": "speaker"}, {"field": "emotion", "title": "in context"},
           {"field": "top", "title": "fine-grained"}, {"field": "valence", "format": ".2f"},
           {"field": "shift", "title": "shift from"}, {"field": "text"}]
    return [
        {"mark": {"type": "line", "strokeWidth": 2, "interpolate": "monotone", "opacity": 0.85},
         "encoding": {"x": x, "y": y, "color": color, "detail": {"field": "speaker"}}},
        {"transform": [{"filter": "datum.detail"}], "mark": {"type": "point", "filled": True, "size": 60},
         "encoding": {"x": x, "y": y, "color": color, "tooltip": tip}},
        {"transform": [{"filter": "datum.shift != ''"}],
         "mark": {"type": "point", "filled": False, "size": 220, "color": SHIFT_COLOR, "strokeWidth": 1.5},
         "encoding": {"x": x, "y": y}},
        {"transform": [{"filter": "datum.label"}],
         "mark": {"type": "text", "align": "left", "baseline": "bottom", "dx": 3, "dy": -7, "angle": 330,
                  "fontSize": 12},
         "encoding": {"x": x, "y": y, "text": {"field": "emotion"}, "color": color}},
    ]


def _arrows(chart: Flow, rows: list[dict[str, Any]], height: int) -> list[dict[str, Any]]:
    """Dashed arrows from the turn an emotion was caught from to the turn that shows it."""
    at = {r["turn"]: r for r in rows}
    x0, x1 = _x_domain(chart)
    px_x, px_y = chart.width / (x1 - x0), height / max(1, len(chart.speakers))
    values = []
    for c in chart.contagion:
        start, end = at.get(c.start), at.get(c.end)
        if start is None or end is None:
            continue
        dx, dy = (end["turn"] - start["turn"]) * px_x, (end["y"] - start["y"]) * px_y
        length = math.hypot(dx, dy) or 1.0
        back = 9 / length  # the head stops short of the dot
        values.append({"x": start["turn"], "y": start["y"], "x2": end["turn"] - (end["turn"] - start["turn"]) * back,
                       "y2": end["y"] - (end["y"] - start["y"]) * back, "angle": math.degrees(math.atan2(dx, dy)),
                       "tip": f"contagion: {end['speaker']} took up {c.emotion or end['emotion']} from "
                              f"{start['speaker']} (turn {start['turn']:g} → {end['turn']:g})"})
    if not values:
        return []
    q = {"type": "quantitative"}
    return [{"data": {"values": values}, "mark": {"type": "rule", "strokeDash": [4, 3], "color": CONTAGION_COLOR,
                                                  "strokeWidth": 1.5},
             "encoding": {"x": {"field": "x", **q}, "y": {"field": "y", **q}, "x2": {"field": "x2"},
                          "y2": {"field": "y2"}, "tooltip": {"field": "tip", "title": "contagion"}}},
            {"data": {"values": values}, "mark": {"type": "point", "shape": "triangle-up", "filled": True,
                                                  "size": 70, "color": CONTAGION_COLOR},
             "encoding": {"x": {"field": "x2", **q}, "y": {"field": "y2", **q}, "angle": {"field": "angle", **q,
                                                                                           "scale": None}}}]


def _multiples(chart: Flow) -> dict[str, Any]:
    """Beyond three speakers: a small chart per speaker, on shared turn and valence axes."""
    y = {"field": "y", "type": "quantitative", "title": "valence",
         "scale": {"domain": list(chart.domain), "nice": False, "zero": False}}
    width = max(320, min(chart.width // 2, 2400))
    columns = 2 if width <= 520 else 1
    panels = [{"title": {"text": s, "color": c, "fontSize": 13}, "width": width, "height": 140,
               "data": {"values": [_flow_row(p, p.valence) for p in chart.points if p.speaker == s]},
               "layer": [*_neutral_rule(chart.neutral), *_flow_marks(chart, y)]}
              for s, c in zip(chart.speakers, chart.colors)]
    return {"title": {"text": chart.title, "subtitle": chart.caption}, "config": CONFIG,
            "concat": panels, "columns": columns}
