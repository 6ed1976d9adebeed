"""Emotion-flow charts of analyzed conversations: a self-contained HTML page or a PNG.

Input is ``ConversationAnalysis.to_dict()`` records. Each conversation is one chart:
x = turn, y = valence on EmoBank's 1-5 scale with a dashed line at 3 (neutral), one line
and one color per speaker, each point labelled with its in-context emotion. A ring marks a
shift (a speaker's emotion changed since their last turn); a dashed arrow runs from the turn
a speaker caught an emotion from to the turn that shows it (contagion).

Long conversations stay readable and small: emotion labels go on at most ``LABEL_LIMIT``
evenly spaced turns, and points, tooltips and marks on at most ``DETAIL_LIMIT`` (the lines
always join every turn). The chart's caption says when it thins.

The HTML page has no scripts, stylesheets, fonts or images from anywhere else; hovering a
point shows the turn's text, its fine-grained top emotion and its valence.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from emotive._errors import InputError, missing_extra
from emotive._files import atomic_path
from emotive.io import check_input, check_output
from emotive.schema import Conversation

TITLE = "emotive: emotion flow"
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#7f7f7f",
           "#8c564b")  # Okabe-Ito without yellow, then grey and brown; cycles after 8 speakers
LABEL_LIMIT = 60
DETAIL_LIMIT = 2000
PNG_LABEL_LIMIT = 40
PNG_DETAIL_LIMIT = 300
PNG_LIMIT = 20
TOOLTIP_CHARS = 300
HTML_SUFFIXES = (".html", ".htm")
PNG_SUFFIXES = (".png",)
SHIFT_COLOR = "#222222"
CONTAGION_COLOR = "#555555"

# SVG geometry (user units): plot area inside fixed margins, width grows with the turns.
LEFT, RIGHT, TOP, BOTTOM = 52.0, 56.0, 48.0, 40.0
PLOT_H = 220.0
STEP, MIN_W, MAX_W = 56.0, 640.0, 1600.0
RADIUS = 4.0
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class _Point:
    """One turn as the charts need it."""

    index: int
    turn: float
    speaker: str
    valence: float
    emotion: str
    top: str
    text: str


@dataclass(frozen=True)
class _Frame:
    """Maps a turn and a valence to SVG coordinates."""

    lo: float
    hi: float
    width: float

    def x(self, turn: float) -> float:
        span = self.hi - self.lo + 1.0
        return LEFT + (turn - self.lo + 0.5) / span * (self.width - LEFT - RIGHT)

    def y(self, valence: float) -> float:
        return TOP + (5.0 - min(max(valence, 1.0), 5.0)) / 4.0 * PLOT_H

    @property
    def height(self) -> float:
        return TOP + PLOT_H + BOTTOM


class ConversationAnalyzer(Protocol):
    """What ``load_or_analyze`` needs of an analyzer (``emotive.Analyzer`` has it)."""

    def analyze_conversations(self, conversations: Sequence[Conversation]) -> Sequence[Any]: ...


# ---------------------------------------------------------------------------- the data


def points_of(analysis: dict[str, Any]) -> list[_Point]:
    """The turns of one analyzed conversation, checked; ``InputError`` names what is wrong.

    >>> t = {"turn": 0, "speaker": "A", "text": "hi", "emotion": "joy", "vad": {"v": 4.2}}
    >>> points_of({"id": "c1", "turns": [t]})[0].valence
    4.2
    """
    cid = analysis.get("id", "?") if isinstance(analysis, dict) else "?"
    turns = analysis.get("turns") if isinstance(analysis, dict) else None
    if not isinstance(turns, list):
        raise InputError(f"conversation {cid!r} is not an analyzed conversation "
                         "(expected ConversationAnalysis.to_dict() records with a 'turns' list)")
    out = []
    for k, t in enumerate(turns):
        try:
            out.append(_Point(k, float(t.get("turn", k)), str(t["speaker"]), float(t["vad"]["v"]),
                              str(t["emotion"]), str(t.get("top", "")), str(t.get("text", ""))))
        except (AttributeError, KeyError, TypeError, ValueError):
            raise InputError(f"conversation {cid!r}, turn {k}: not an analyzed turn (needs "
                             "'speaker', 'emotion' and 'vad': {'v': valence})") from None
    return out


def speaker_colors(points: list[_Point], speakers: Any = None) -> dict[str, str]:
    """One palette color per speaker, in order of first appearance.

    >>> speaker_colors([], {"A": {}, "B": {}})
    {'A': '#0072b2', 'B': '#d55e00'}
    """
    names = list(dict.fromkeys([p.speaker for p in points]
                               + [str(s) for s in (speakers if isinstance(speakers, dict) else {})]))
    return {s: PALETTE[k % len(PALETTE)] for k, s in enumerate(names)}


def _stride(n: int, limit: int) -> int:
    """Keep every stride-th of ``n`` items so that at most ``limit`` remain."""
    return max(1, math.ceil(n / limit))


def _esc(value: Any) -> str:
    """Text made safe for HTML and XML: escaped, without control characters."""
    return html.escape(_CONTROL.sub("", str(value)), quote=True)


def _f(value: float) -> str:
    return f"{value:.1f}"


def _marks(analysis: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = analysis.get(key)
    return [m for m in items if isinstance(m, dict)] if isinstance(items, list) else []


# ---------------------------------------------------------------------------- html


def render_html(analyses: list[dict[str, Any]], title: str = TITLE) -> str:
    """A self-contained HTML page with one emotion-flow chart per conversation.

    >>> t = {"turn": 0, "speaker": "A", "text": "hi", "emotion": "joy", "vad": {"v": 4.2}}
    >>> page = render_html([{"id": "c1", "turns": [t]}])
    >>> page.count("<svg"), "joy" in page
    (1, True)
    """
    sections = [_section(a, k) for k, a in enumerate(analyses)]
    count = f"{len(analyses)} conversation{'s' if len(analyses) != 1 else ''}"
    body = "\n".join(sections) if sections else "<p>No conversations.</p>"
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f"<h1>{_esc(title)}</h1>\n<p class=\"meta\">{count}. x: turn; y: valence (1-5, "
            f"3 = neutral); labels: emotion in context; hover a point for its text.</p>\n"
            f"{body}\n</body>\n</html>\n")


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin:28px 0 4px}
.meta{color:#666;font-size:13px;margin:2px 0 8px}
.chart{overflow-x:auto}.chart svg{max-width:100%;height:auto;font-size:10px}
.legend{list-style:none;padding:0;margin:4px 0;display:flex;flex-wrap:wrap;gap:4px 16px;
font-size:13px}
.key{display:inline-block;width:18px;height:0;border-top:3px solid;vertical-align:middle;
margin-right:6px}
.ring{display:inline-block;width:9px;height:9px;border:2px solid #222;border-radius:50%;
vertical-align:middle;margin-right:6px}
.arrow{display:inline-block;width:18px;border-top:2px dashed #555;vertical-align:middle;
margin-right:6px}
table{border-collapse:collapse;font-size:13px;margin-top:6px}
th,td{border-bottom:1px solid #ddd;padding:3px 10px;text-align:left}
"""


def _section(analysis: dict[str, Any], k: int) -> str:
    """One conversation: heading, caption, legend, chart and dominant-emotion table."""
    points = points_of(analysis)
    colors = speaker_colors(points, analysis.get("speakers"))
    shifts, contagion = _marks(analysis, "shifts"), _marks(analysis, "contagion")
    chart = _svg(points, shifts, contagion, colors, k) if points else "<p>No turns.</p>"
    return (f"<section>\n<h2>{_esc(analysis.get('id', f'conversation {k + 1}'))}</h2>\n"
            f'<p class="meta">{_caption(len(points), len(colors), shifts, contagion)}</p>\n'
            f"{_legend(colors, bool(shifts), bool(contagion))}\n"
            f'<div class="chart">{chart}</div>\n{_table(analysis.get("speakers"), colors)}\n'
            f"</section>")


def _counts(n: int, speakers: int, shifts: list[Any], contagion: list[Any]) -> str:
    """The size of a conversation in words.

    >>> _counts(1, 1, [{}], [])
    '1 turn · 1 speaker · 1 shift · 0 contagion'
    """
    return (f"{n} turn{'s' if n != 1 else ''} · {speakers} speaker{'s' if speakers != 1 else ''}"
            f" · {len(shifts)} shift{'s' if len(shifts) != 1 else ''} · {len(contagion)} contagion")


def _caption(n: int, speakers: int, shifts: list[Any], contagion: list[Any]) -> str:
    """Counts, and how the chart thins a long conversation.

    >>> _caption(6000, 2, [], []).split(" · ")[-1]
    'emotion labels on every 100th turn, points and marks on every 3rd turn'
    """
    text = _counts(n, speakers, shifts, contagion)
    labels, detail = _stride(n, LABEL_LIMIT), _stride(n, DETAIL_LIMIT)
    if labels > 1:
        text += f" · emotion labels on every {_ordinal(labels)} turn"
    if detail > 1:
        text += f", points and marks on every {_ordinal(detail)} turn"
    return text


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _legend(colors: dict[str, str], shifts: bool, contagion: bool) -> str:
    items = [f'<li><span class="key" style="border-color:{c}"></span>{_esc(s)}</li>'
             for s, c in colors.items()]
    if shifts:
        items.append('<li><span class="ring"></span>shift</li>')
    if contagion:
        items.append('<li><span class="arrow"></span>contagion</li>')
    return f'<ul class="legend">{"".join(items)}</ul>'


def _table(speakers: Any, colors: dict[str, str]) -> str:
    """Each speaker's turns, mean valence and dominant in-context emotions."""
    info = speakers if isinstance(speakers, dict) else {}
    rows = [_row(name, color, info.get(name)) for name, color in colors.items()]
    return ("<table><thead><tr><th>speaker</th><th>turns</th><th>mean valence</th>"
            f"<th>dominant emotions</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _row(name: str, color: str, summary: Any) -> str:
    s = summary if isinstance(summary, dict) else {}
    dominant = [d for d in s.get("dominant") or [] if isinstance(d, dict)]
    emotions = ", ".join(f"{_esc(d.get('emotion'))} {_number(d.get('share'), '.0%')}"
                         for d in dominant) or "none (all neutral)"
    vad = s.get("mean_vad")
    mean = vad.get("v") if isinstance(vad, dict) else None
    return (f'<tr><td><span class="key" style="border-color:{color}"></span>{_esc(name)}</td>'
            f"<td>{_esc(s.get('turns', ''))}</td><td>{_number(mean, '.2f')}</td>"
            f"<td>{emotions}</td></tr>")


def _number(value: Any, spec: str) -> str:
    """A number formatted, anything else as nothing.

    >>> _number(0.667, ".0%"), _number(None, ".2f")
    ('67%', '')
    """
    return format(value, spec) if _num(value) is not None else ""


# ---------------------------------------------------------------------------- svg


def _svg(points: list[_Point], shifts: list[dict[str, Any]], contagion: list[dict[str, Any]],
         colors: dict[str, str], k: int) -> str:
    """The chart of one conversation as an inline SVG element (well-formed XML)."""
    turns = [p.turn for p in points]
    lo, hi = min(turns), max(turns)
    frame = _Frame(lo, hi, min(max(LEFT + RIGHT + (hi - lo + 1) * STEP, MIN_W), MAX_W))
    detail = _stride(len(points), DETAIL_LIMIT)
    drawn = {p.turn: p for p in points[::detail]}
    by_turn = {p.turn: p for p in points}
    arrow = f"arrow-{k}"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_f(frame.width)} '
             f'{_f(frame.height)}" width="{_f(frame.width)}" height="{_f(frame.height)}" '
             f'role="img" aria-label="emotion flow, valence by turn">',
             f'<defs><marker id="{arrow}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
             f'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" '
             f'fill="{CONTAGION_COLOR}"/></marker></defs>',
             *_axes(frame), *_lines(points, frame, colors),
             *_arrows(contagion, by_turn, drawn, frame, arrow),
             *_dots(list(drawn.values()), frame, colors), *_rings(shifts, drawn, frame),
             *_labels(points[::_stride(len(points), LABEL_LIMIT)], frame, colors), "</svg>"]
    return "\n".join(parts)


def _axes(frame: _Frame) -> list[str]:
    """Valence grid 1-5 with the dashed neutral line, turn ticks, axis titles."""
    right, bottom = frame.width - RIGHT, TOP + PLOT_H
    out = []
    for v in range(1, 6):
        y = _f(frame.y(v))
        dash = ' stroke-dasharray="6 4" stroke="#888"' if v == 3 else ' stroke="#eee"'
        out.append(f'<line x1="{_f(LEFT)}" y1="{y}" x2="{_f(right)}" y2="{y}"{dash}/>')
        out.append(f'<text x="{_f(LEFT - 8)}" y="{y}" text-anchor="end" '
                   f'dominant-baseline="middle" fill="#666">{v}</text>')
    out.append(f'<text x="{_f(right - 2)}" y="{_f(frame.y(3) - 4)}" text-anchor="end" '
               f'fill="#888">neutral</text>')
    for t in _ticks(frame.lo, frame.hi):
        x = _f(frame.x(t))
        out.append(f'<line x1="{x}" y1="{_f(bottom)}" x2="{x}" y2="{_f(bottom + 4)}" stroke="#666"/>')
        out.append(f'<text x="{x}" y="{_f(bottom + 16)}" text-anchor="middle" fill="#666">'
                   f"{t:g}</text>")
    out.append(f'<line x1="{_f(LEFT)}" y1="{_f(bottom)}" x2="{_f(right)}" y2="{_f(bottom)}" '
               f'stroke="#666"/>')
    out.append(f'<text x="{_f((LEFT + right) / 2)}" y="{_f(bottom + 34)}" text-anchor="middle" '
               f'fill="#444">turn</text>')
    out.append(f'<text x="14" y="{_f(TOP + PLOT_H / 2)}" text-anchor="middle" fill="#444" '
               f'transform="rotate(-90 14 {_f(TOP + PLOT_H / 2)})">valence</text>')
    return out


def _ticks(lo: float, hi: float, most: int = 10) -> list[float]:
    """Round turn numbers for the x axis: steps of 1, 2 or 5 times a power of ten.

    >>> _ticks(0, 7)
    [0, 1, 2, 3, 4, 5, 6, 7]
    >>> _ticks(0, 9999)[:3]
    [0, 1000, 2000]
    """
    rough = max((hi - lo) / most, 1.0)
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    first = math.ceil(lo / step) * step
    return [first + k * step for k in range(int((hi - first) // step) + 1)]


def _lines(points: list[_Point], frame: _Frame, colors: dict[str, str]) -> list[str]:
    """One polyline per speaker through every one of their turns."""
    out = []
    for speaker, color in colors.items():
        xy = " ".join(f"{_f(frame.x(p.turn))},{_f(frame.y(p.valence))}"
                      for p in points if p.speaker == speaker)
        if xy:
            out.append(f'<polyline points="{xy}" fill="none" stroke="{color}" '
                       f'stroke-width="1.8" stroke-linejoin="round" opacity="0.85"/>')
    return out


def _dots(points: list[_Point], frame: _Frame, colors: dict[str, str]) -> list[str]:
    """A point per turn with a tooltip: speaker, emotions, valence and the text."""
    out = []
    for p in points:
        text = p.text if len(p.text) <= TOOLTIP_CHARS else p.text[:TOOLTIP_CHARS] + "…"
        tip = (f"turn {p.turn:g} · {p.speaker}\nin context: {p.emotion} · alone: "
               f"{p.top or '?'} · valence {p.valence:.2f}\n{text}")
        out.append(f'<circle cx="{_f(frame.x(p.turn))}" cy="{_f(frame.y(p.valence))}" '
                   f'r="{RADIUS:g}" fill="{colors[p.speaker]}"><title>{_esc(tip)}</title></circle>')
    return out


def _labels(points: list[_Point], frame: _Frame, colors: dict[str, str]) -> list[str]:
    """The in-context emotion above a point, slanted so that neighbours do not collide."""
    out = []
    for p in points:
        x, y = _f(frame.x(p.turn) + 2), _f(frame.y(p.valence) - RADIUS - 4)
        out.append(f'<text class="emotion" x="{x}" y="{y}" fill="{colors[p.speaker]}" '
                   f'transform="rotate(-35 {x} {y})">{_esc(p.emotion)}</text>')
    return out


def _rings(shifts: list[dict[str, Any]], drawn: dict[float, _Point], frame: _Frame) -> list[str]:
    """A ring around each turn where its speaker's emotion shifted."""
    out = []
    for s in shifts:
        p = _at(drawn, s.get("turn"))
        if p is None:
            continue
        tip = f"shift of {p.speaker}: {s.get('from')} → {s.get('to')}"
        if isinstance(s.get("valence_change"), (int, float)):
            tip += f" (valence {s['valence_change']:+.2f})"
        out.append(f'<circle cx="{_f(frame.x(p.turn))}" cy="{_f(frame.y(p.valence))}" '
                   f'r="{RADIUS + 4:g}" fill="none" stroke="{SHIFT_COLOR}" stroke-width="1.5">'
                   f"<title>{_esc(tip)}</title></circle>")
    return out


def _arrows(contagion: list[dict[str, Any]], by_turn: dict[float, _Point],
            drawn: dict[float, _Point], frame: _Frame, marker: str) -> list[str]:
    """A dashed arrow from the turn an emotion was caught from to the turn that shows it."""
    out = []
    for c in contagion:
        end, start = _at(drawn, c.get("turn")), _at(by_turn, c.get("from_turn"))
        if end is None or start is None:
            continue
        x1, y1, x2, y2 = _shorten(frame.x(start.turn), frame.y(start.valence),
                                  frame.x(end.turn), frame.y(end.valence), RADIUS + 3)
        tip = (f"contagion: {end.speaker} took up {c.get('emotion', end.emotion)} from "
               f"{start.speaker} (turn {start.turn:g} → {end.turn:g})")
        out.append(f'<line x1="{_f(x1)}" y1="{_f(y1)}" x2="{_f(x2)}" y2="{_f(y2)}" '
                   f'stroke="{CONTAGION_COLOR}" stroke-width="1.5" stroke-dasharray="4 3" '
                   f'marker-end="url(#{marker})"><title>{_esc(tip)}</title></line>')
    return out


def _shorten(x1: float, y1: float, x2: float, y2: float,
             gap: float) -> tuple[float, float, float, float]:
    """The segment with ``gap`` cut off both ends (unchanged when too short).

    >>> _shorten(0, 0, 10, 0, 2)
    (2.0, 0.0, 8.0, 0.0)
    """
    length = math.hypot(x2 - x1, y2 - y1)
    if length <= 2 * gap:
        return x1, y1, x2, y2
    dx, dy = (x2 - x1) / length * gap, (y2 - y1) / length * gap
    return x1 + dx, y1 + dy, x2 - dx, y2 - dy


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _at(points: dict[float, _Point], turn: Any) -> _Point | None:
    """The point of a turn number taken from a shift or contagion record, if drawn."""
    key = _num(turn)
    return None if key is None else points.get(key)


# ---------------------------------------------------------------------------- png


def render_png(analyses: list[dict[str, Any]], path: str | os.PathLike[str], *,
               title: str = TITLE) -> None:
    """A PNG with one emotion-flow chart per conversation (the first ``PNG_LIMIT``).

    Needs matplotlib (``pip install 'emotive[plot]'``); draws with Agg and leaves
    pyplot's global state alone.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise missing_extra("plot", "matplotlib") from None
    shown = analyses[:PNG_LIMIT]
    fig = Figure(figsize=(12, 0.6 + 3.4 * max(len(shown), 1)), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    capped = f" (first {PNG_LIMIT} of {len(analyses)} conversations)" if len(analyses) > PNG_LIMIT else ""
    fig.suptitle(_tex(title + capped), fontsize=13)
    if not shown:
        fig.text(0.5, 0.5, "No conversations.", ha="center")
    for k, analysis in enumerate(shown):
        _draw(fig.add_subplot(len(shown), 1, k + 1), analysis, k)
    _write_aside(Path(path), lambda tmp: fig.savefig(tmp, format="png"))


def _draw(ax: Any, analysis: dict[str, Any], k: int) -> None:
    """One conversation on matplotlib axes, encoded as in the HTML chart."""
    points = points_of(analysis)
    colors = speaker_colors(points, analysis.get("speakers"))
    shifts, contagion = _marks(analysis, "shifts"), _marks(analysis, "contagion")
    ax.set_title(_tex(f"{analysis.get('id', f'conversation {k + 1}')} · "
                      f"{_counts(len(points), len(colors), shifts, contagion)}"),
                 fontsize=10, loc="left")
    ax.axhline(3, color="#888", linestyle="--", linewidth=1)
    ax.annotate("neutral", (1, 3), xycoords=("axes fraction", "data"), xytext=(-4, 3),
                textcoords="offset points", ha="right", fontsize=8, color="#888")
    ax.set_ylim(0.7, 5.8)
    ax.set_yticks([1, 2, 3, 4, 5])
    ax.set_ylabel("valence")
    ax.set_xlabel("turn")
    ax.grid(axis="y", color="#eee")
    if not points:
        ax.text(0.5, 0.5, "No turns.", ha="center", transform=ax.transAxes)
        return
    detail = points[::_stride(len(points), PNG_DETAIL_LIMIT)]
    for speaker, color in colors.items():
        mine = [p for p in points if p.speaker == speaker]
        ax.plot([p.turn for p in mine], [p.valence for p in mine], color=color, linewidth=1.6)
        dots = [p for p in detail if p.speaker == speaker]
        ax.plot([p.turn for p in dots], [p.valence for p in dots], "o", color=color, markersize=4)
    for p in points[::_stride(len(points), PNG_LABEL_LIMIT)]:
        ax.annotate(_tex(p.emotion), (p.turn, min(max(p.valence, 1), 5)), xytext=(2, 5),
                    textcoords="offset points", rotation=30, fontsize=8, color=colors[p.speaker])
    _draw_marks(ax, shifts, contagion, points, {p.turn: p for p in detail})
    _draw_legend(ax, colors, bool(shifts), bool(contagion))
    _turn_axis(ax, min(p.turn for p in points), max(p.turn for p in points))


def _turn_axis(ax: Any, lo: float, hi: float) -> None:
    """Whole turn numbers on the x axis, each one in a short conversation."""
    from matplotlib.ticker import MaxNLocator

    ax.set_xlim(lo - 0.5, hi + 0.5)
    if hi - lo <= 12:
        ax.set_xticks(_ticks(lo, hi, most=13))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _draw_marks(ax: Any, shifts: list[dict[str, Any]], contagion: list[dict[str, Any]],
                points: list[_Point], drawn: dict[float, _Point]) -> None:
    """Shift rings and contagion arrows on the drawn points."""
    ringed = [p for p in (_at(drawn, s.get("turn")) for s in shifts) if p is not None]
    if ringed:
        ax.scatter([p.turn for p in ringed], [min(max(p.valence, 1), 5) for p in ringed], s=110,
                   facecolors="none", edgecolors=SHIFT_COLOR, linewidths=1.2, zorder=3)
    by_turn = {p.turn: p for p in points}
    for c in contagion:
        end, start = _at(drawn, c.get("turn")), _at(by_turn, c.get("from_turn"))
        if end is not None and start is not None:
            ax.annotate("", xy=(end.turn, min(max(end.valence, 1), 5)),
                        xytext=(start.turn, min(max(start.valence, 1), 5)),
                        arrowprops={"arrowstyle": "->", "linestyle": "--", "color": CONTAGION_COLOR,
                                    "shrinkA": 5, "shrinkB": 6, "linewidth": 1.2})


def _draw_legend(ax: Any, colors: dict[str, str], shifts: bool, contagion: bool) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=c, marker="o", markersize=4) for c in colors.values()]
    labels = [_tex(s) for s in colors]
    if shifts:
        handles.append(Line2D([], [], linestyle="none", marker="o", markersize=9,
                              markerfacecolor="none", markeredgecolor=SHIFT_COLOR))
        labels.append("shift")
    if contagion:
        handles.append(Line2D([], [], linestyle="--", color=CONTAGION_COLOR))
        labels.append("contagion")
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8,
              frameon=False)


def _tex(text: str) -> str:
    """Text that matplotlib shows as is (a ``$`` would start math).

    >>> _tex("$5 off")
    '\\\\$5 off'
    """
    return _CONTROL.sub("", str(text)).replace("$", r"\$")


# ---------------------------------------------------------------------------- files


def write_plot(analyses: list[dict[str, Any]], path: str, *, title: str = TITLE) -> None:
    """Write the charts to ``path``: ``.html``/``.htm`` (self-contained page) or ``.png``.

    >>> write_plot([], "flow.txt")
    Traceback (most recent call last):
    ...
    emotive._errors.InputError: flow.txt: cannot plot to '.txt'; use one of: .html, .htm, .png
    """
    suffix = Path(path).suffix.lower()
    if suffix in HTML_SUFFIXES:
        page = render_html(analyses, title)
        _write_aside(Path(path), lambda tmp: tmp.write_text(page, encoding="utf-8"))
    elif suffix in PNG_SUFFIXES:
        render_png(analyses, path, title=title)
    else:
        raise InputError(f"cannot plot to {suffix or 'a file without suffix'!r}; use one of: "
                         f"{', '.join(HTML_SUFFIXES + PNG_SUFFIXES)}", source=path)


def _write_aside(path: Path, write: Callable[[Path], Any]) -> None:
    """Write through ``atomic_path``: the file appears only when complete."""
    check_output(str(path))
    with atomic_path(path) as tmp:
        write(tmp)


def load_or_analyze(path: str, *, conversation_column: str | None = None,
                    speaker_column: str = "speaker", turn_column: str | None = None,
                    text_column: str = "text", limit: int | None = None,
                    analyzer_factory: Callable[[], ConversationAnalyzer] | None = None,
                    ) -> list[dict[str, Any]]:
    """Analyzed conversations of ``path`` (``-`` for stdin), as ``to_dict()`` records.

    A ``.jsonl`` of analyzed conversations (the first non-blank line has ``turns`` with
    ``vad``) is loaded as is, with no model. Anything else is read like
    ``read_conversations`` and analyzed by ``analyzer_factory()`` (default
    ``emotive.Analyzer()``), made only then. ``limit`` keeps the first N conversations.
    """
    if limit is not None and limit < 1:
        raise InputError(f"limit must be at least 1, got {limit}")
    check_input(path)
    with tempfile.TemporaryDirectory(prefix="emotive-plot-") as tmp:
        source = _spool_stdin(tmp) if path == "-" and conversation_column is None else path
        if _is_analyzed(source, conversation_column):
            return list(_load_analyzed(source, path, limit))
        conversations = _read(source, path, limit, dict(
            conversation_column=conversation_column, speaker_column=speaker_column,
            turn_column=turn_column, text_column=text_column))
    if not conversations:
        raise InputError("no conversations to plot", source=path)
    analyzer = analyzer_factory() if analyzer_factory is not None else _default_analyzer()
    return [a.to_dict() for a in analyzer.analyze_conversations(conversations)]


def _default_analyzer() -> ConversationAnalyzer:
    from emotive.analyze._analyzer import Analyzer

    return Analyzer()


def _spool_stdin(folder: str) -> str:
    """Stdin copied to a file, so that it can be looked at before it is read."""
    target = os.path.join(folder, "stdin.jsonl")
    with open(target, "wb") as fh:
        fh.write(sys.stdin.buffer.read())
    return target


def _is_analyzed(path: str, conversation_column: str | None) -> bool:
    """Whether the first non-blank line of a jsonl file is an analyzed conversation."""
    if conversation_column is not None or Path(path).suffix.lower() not in (".jsonl", ".ndjson"):
        return False
    try:
        with open(path, "rb") as fh:
            first = next((line for line in fh if line.strip()), b"")
        obj = json.loads(first)
    except (OSError, ValueError):
        return False  # the conversation reader reports it with the file and line
    turns = obj.get("turns") if isinstance(obj, dict) else None
    return isinstance(turns, list) and bool(turns) and isinstance(turns[0], dict) \
        and "vad" in turns[0]


def _load_analyzed(path: str, name: str, limit: int | None) -> Iterator[dict[str, Any]]:
    """The records of an analyzed jsonl file, each checked; blank lines are skipped."""
    count = 0
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise InputError(f"not a JSON line: {exc}", source=name, line=n) from None
            try:
                points_of(record)
            except InputError as exc:
                raise InputError(str(exc), source=name, line=n) from None
            yield record
            count += 1
            if count == limit:
                return


def _read(path: str, name: str, limit: int | None, options: dict[str, Any]) -> list[Conversation]:
    """The first ``limit`` conversations of a file; an unusable row stops with its line."""
    from emotive.io import read_conversations

    out: list[Conversation] = []
    for row in read_conversations(path, **options):
        if row.error is not None or row.conversation is None:
            raise InputError(row.error or "unreadable conversation", source=name, line=row.line)
        out.append(row.conversation)
        if len(out) == limit:
            break
    return out
