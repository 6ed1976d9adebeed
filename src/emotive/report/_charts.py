"""The chart model: what a chart shows, with no word of the library that draws it.

Each chart is a frozen dataclass of tidy rows and a few settings; ``emotive.report``'s
renderer turns it into a Vega-Lite spec (an HTML page or a PNG). The emotion report and
``emotive plot`` build the same charts.

>>> Bars("emotions", (Bar("joy", 0.5, 10, "positive"),)).rows[0].label
'joy'
"""

from __future__ import annotations

from dataclasses import dataclass, field

SENTIMENT_COLORS = {"negative": "#d55e00", "positive": "#009e73", "ambiguous": "#e69f00",
                    "neutral": "#999999", "other": "#56b4e9"}
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#7f7f7f",
           "#8c564b")  # Okabe-Ito without yellow, then grey and brown; cycles after 8
NEUTRAL_VALENCE = 3.0  # the middle of EmoBank's 1-5 valence scale


@dataclass(frozen=True)
class Bar:
    """One category of a distribution: its share, its count and its colour group."""

    label: str
    value: float
    count: int
    group: str = "other"


@dataclass(frozen=True)
class Bars:
    """Horizontal bars, one per category, in the given order."""

    title: str
    rows: tuple[Bar, ...]
    value_title: str = "share"
    percent: bool = True


@dataclass(frozen=True)
class Part:
    """One part of a stacked bar: ``part`` of ``row`` with its share and count."""

    row: str
    part: str
    value: float
    count: int


@dataclass(frozen=True)
class Stacks:
    """One bar per row, split into parts (shares of the row that add up to 1)."""

    title: str
    parts: tuple[Part, ...]
    row_title: str
    order: tuple[str, ...] = ()  # the parts, in stacking order (their colours follow)


@dataclass(frozen=True)
class Point:
    """One point of a series over time (``x`` an ISO date-time) or over a number."""

    x: str | float
    series: str
    y: float
    count: int = 0


@dataclass(frozen=True)
class Lines:
    """Series over time as lines (``mark="line"``) or bars (``mark="bar"``)."""

    title: str
    points: tuple[Point, ...]
    y_title: str
    percent: bool = False
    mark: str = "line"
    temporal: bool = True
    neutral: float | None = None  # a dashed reference line (valence 3)
    domain: tuple[float, float] | None = None


@dataclass(frozen=True)
class Bin:
    """A histogram bin ``[start, end)`` of ``series`` with its count."""

    start: float
    end: float
    series: str
    count: int


@dataclass(frozen=True)
class Histogram:
    """Distributions of one or more series over a shared numeric axis."""

    title: str
    bins: tuple[Bin, ...]
    x_title: str
    domain: tuple[float, float]
    neutral: float | None = None


@dataclass(frozen=True)
class Cell:
    """A cell of a 2-D histogram."""

    x0: float
    x1: float
    y0: float
    y1: float
    count: int


@dataclass(frozen=True)
class Heatmap:
    """A 2-D histogram (such as valence against arousal)."""

    title: str
    cells: tuple[Cell, ...]
    x_title: str
    y_title: str
    x_domain: tuple[float, float]
    y_domain: tuple[float, float]


@dataclass(frozen=True)
class FlowPoint:
    """One turn of a conversation as its flow chart shows it."""

    turn: float
    speaker: str
    valence: float
    emotion: str
    top: str = ""
    text: str = ""
    label: bool = True  # the emotion is written above the point
    detail: bool = True  # a dot with a tooltip (the line joins every turn anyway)
    shift: str | None = None  # the speaker's previous emotion, when it changed


@dataclass(frozen=True)
class Contagion:
    """A speaker took up the emotion of an earlier turn."""

    start: float
    end: float
    emotion: str


@dataclass(frozen=True)
class Flow:
    """The emotion flow of one conversation: valence per speaker over the turns.

    ``layout`` is ``"lanes"`` (a lane per speaker, on one turn axis, contagion drawn
    across lanes) or ``"multiples"`` (one small chart per speaker, beyond three).
    """

    title: str
    caption: str
    points: tuple[FlowPoint, ...]
    speakers: tuple[str, ...]
    colors: tuple[str, ...]
    domain: tuple[float, float]
    contagion: tuple[Contagion, ...] = ()
    layout: str = "lanes"
    width: int = 640
    neutral: float = NEUTRAL_VALENCE
    notes: tuple[str, ...] = field(default=())


Chart = Bars | Stacks | Lines | Histogram | Heatmap | Flow
