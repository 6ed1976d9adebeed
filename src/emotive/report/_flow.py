"""Flow charts of analyzed conversations, readable at any length.

Input is ``ConversationAnalysis.to_dict()`` records (or the turn rows of ``emotive analyze
--conversations``, grouped with ``conversation_record``). The valence axis is scaled to the
conversation's own range, always with the neutral line (3) in view: on EmoBank's 1-5
scale most turns lie within 2.4-3.5, and a fixed 1-5 axis draws every flow flat. The chart
is as wide as its turns need (``STEP`` pixels a turn, scrolled sideways past the page);
up to ``LANES_UPTO`` speakers get a lane each on one turn axis (contagion arrows run
between lanes), more get one small chart each. Emotion labels go on at most
``LABEL_LIMIT`` evenly spaced turns and dots on at most ``DETAIL_LIMIT``; the line always
joins every turn, and the caption says when the chart thins.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import Any

from emotive._errors import InputError
from emotive.report._charts import NEUTRAL_VALENCE, PALETTE, Contagion, Flow, FlowPoint

LABEL_LIMIT = 60
DETAIL_LIMIT = 2000
LANES_UPTO = 3
STEP, MIN_WIDTH, MAX_WIDTH = 44, 640, 4800
TOOLTIP_CHARS = 300


def points_of(analysis: dict[str, Any]) -> list[FlowPoint]:
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
            out.append(FlowPoint(float(t.get("turn", k)), str(t["speaker"]), float(t["vad"]["v"]),
                                 str(t["emotion"]), str(t.get("top") or ""), str(t.get("text") or "")))
        except (AttributeError, KeyError, TypeError, ValueError):
            raise InputError(f"conversation {cid!r}, turn {k}: not an analyzed turn (needs "
                             "'speaker', 'emotion' and 'vad': {'v': valence})") from None
    return out


def speaker_colors(points: Iterable[FlowPoint], speakers: Any = None) -> dict[str, str]:
    """One palette colour per speaker, in order of first appearance.

    >>> speaker_colors([], {"A": {}, "B": {}})
    {'A': '#0072b2', 'B': '#d55e00'}
    """
    names = list(dict.fromkeys([p.speaker for p in points]
                               + [str(s) for s in (speakers if isinstance(speakers, dict) else {})]))
    return {s: PALETTE[k % len(PALETTE)] for k, s in enumerate(names)}


def flow_chart(analysis: dict[str, Any], title: str | None = None) -> Flow:
    """The flow chart of one analyzed conversation (a ``to_dict()`` record).

    >>> t = [{"turn": k, "speaker": "AB"[k % 2], "emotion": "joy", "vad": {"v": 3.2 + k / 10}}
    ...      for k in range(3)]
    >>> chart = flow_chart({"id": "c1", "turns": t})
    >>> chart.domain, chart.layout, chart.speakers
    ((2.5, 3.5), 'lanes', ('A', 'B'))
    """
    points = points_of(analysis)
    colors = speaker_colors(points, analysis.get("speakers"))
    shifts = {_num(s.get("turn")): str(s.get("from")) for s in _marks(analysis, "shifts")}
    labels, detail = _stride(len(points), LABEL_LIMIT), _stride(len(points), DETAIL_LIMIT)
    drawn = [FlowPoint(p.turn, p.speaker, p.valence, p.emotion, p.top, _clip(p.text) if k % detail == 0 else "",
                       k % labels == 0, k % detail == 0, shifts.get(p.turn)) for k, p in enumerate(points)]
    turns = {p.turn for p in drawn if p.detail}
    arrows = tuple(Contagion(float(c["from_turn"]), float(c["turn"]), str(c.get("emotion", "")))
                   for c in _marks(analysis, "contagion")
                   if _num(c.get("turn")) in turns and _num(c.get("from_turn")) is not None)
    span = (max(p.turn for p in points) - min(p.turn for p in points) + 1) if points else 1
    return Flow(title or str(analysis.get("id", "conversation")),
                caption(len(points), len(colors), len(shifts), len(arrows)), tuple(drawn),
                tuple(colors), tuple(colors.values()), valence_domain(p.valence for p in points),
                arrows, "lanes" if len(colors) <= LANES_UPTO else "multiples",
                int(min(max(span * STEP, MIN_WIDTH), MAX_WIDTH)))


def valence_domain(values: Iterable[float], neutral: float = NEUTRAL_VALENCE) -> tuple[float, float]:
    """The valence range to show: the data's, with the neutral line, a margin, in tenths.

    >>> valence_domain([2.45, 3.38])
    (2.3, 3.5)
    >>> valence_domain([])
    (2.5, 3.5)
    """
    seen = [v for v in values if math.isfinite(v)]
    lo, hi = min([*seen, neutral]), max([*seen, neutral])
    pad = max(0.1, (hi - lo) * 0.08)
    lo = max(1.0, math.floor(round((lo - pad) * 10, 6)) / 10)
    hi = min(5.0, math.ceil(round((hi + pad) * 10, 6)) / 10)
    if hi - lo < 1.0:  # a flat conversation still shows a readable span around neutral
        lo, hi = max(1.0, min(lo, neutral - 0.5)), min(5.0, max(hi, neutral + 0.5))
    return round(lo, 1), round(hi, 1)


def caption(n: int, speakers: int, shifts: int, contagion: int) -> str:
    """Counts, and how the chart thins a long conversation.

    >>> caption(6000, 2, 0, 0).split(" · ")[-1]
    'emotion labels on every 100th turn, dots on every 3rd turn'
    """
    text = (f"{n} turn{'s' if n != 1 else ''} · {speakers} speaker{'s' if speakers != 1 else ''}"
            f" · {shifts} shift{'s' if shifts != 1 else ''} · {contagion} contagion")
    labels, detail = _stride(n, LABEL_LIMIT), _stride(n, DETAIL_LIMIT)
    if labels > 1:
        text += f" · emotion labels on every {_ordinal(labels)} turn"
    if detail > 1:
        text += f", dots on every {_ordinal(detail)} turn"
    return text


def conversation_record(cid: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A ``to_dict()``-like record from the flat turn rows of one conversation (``v`` or
    ``vad``, ``shift_from``, ``contagion_from_turn``), with its speakers' summaries.

    >>> rows = [{"turn": 0, "speaker": "A", "emotion": "joy", "v": 4.0},
    ...         {"turn": 1, "speaker": "A", "emotion": "anger", "v": 2.0, "shift_from": "joy"}]
    >>> conversation_record("c", rows)["shifts"]
    [{'turn': 1, 'speaker': 'A', 'from': 'joy', 'to': 'anger'}]
    """
    turns = [{"turn": r.get("turn", k), "speaker": r.get("speaker"), "text": r.get("text") or "",
              "emotion": r.get("emotion"), "top": r.get("top"), "vad": {"v": _valence(r)}}
             for k, r in enumerate(rows)]
    shifts = [{"turn": r.get("turn", k), "speaker": r.get("speaker"), "from": r["shift_from"],
               "to": r.get("emotion")} for k, r in enumerate(rows) if r.get("shift_from")]
    contagion = [{"turn": r.get("turn", k), "from_turn": r["contagion_from_turn"], "emotion": r.get("emotion")}
                 for k, r in enumerate(rows) if r.get("contagion_from_turn") is not None]
    return {"id": cid, "turns": turns, "shifts": shifts, "contagion": contagion,
            "speakers": speaker_summaries(turns)}


def speaker_summaries(turns: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per speaker: turns, mean valence and the dominant non-neutral emotions with shares."""
    out: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(str(t["speaker"]) for t in turns):
        mine = [t for t in turns if str(t["speaker"]) == name]
        values = [t["vad"]["v"] for t in mine if isinstance(t["vad"]["v"], (int, float))]
        counts = Counter(str(t["emotion"]) for t in mine if t["emotion"] != "neutral")
        out[name] = {"turns": len(mine),
                     "mean_vad": {"v": round(sum(values) / len(values), 3) if values else None},
                     "dominant": [{"emotion": e, "share": round(c / len(mine), 3)}
                                  for e, c in counts.most_common(3)]}
    return out


def _valence(row: dict[str, Any]) -> Any:
    vad = row.get("vad")
    return vad.get("v") if isinstance(vad, dict) else row.get("v")


def _marks(analysis: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = analysis.get(key)
    return [m for m in items if isinstance(m, dict)] if isinstance(items, list) else []


def _stride(n: int, limit: int) -> int:
    """Keep every stride-th of ``n`` items so that at most ``limit`` remain."""
    return max(1, math.ceil(n / limit))


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _clip(text: str) -> str:
    return text if len(text) <= TOOLTIP_CHARS else text[:TOOLTIP_CHARS] + "…"


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
