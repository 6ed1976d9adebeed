"""The pages and images of ``emotive plot``: one flow chart per analyzed conversation, as
a self-contained HTML page or a PNG (the same Vega-Lite specs either way).

>>> write_flows([], "flow.txt")
Traceback (most recent call last):
...
emotive._errors.InputError: flow.txt: cannot plot to '.txt'; use one of: .html, .htm, .png
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emotive._errors import InputError
from emotive._files import atomic_write
from emotive.report._bundle import png_bytes
from emotive.report._charts import Flow
from emotive.report._flow import flow_chart, speaker_summaries
from emotive.report._page import Page, esc
from emotive.report._vega import CONFIG, vega_spec

TITLE = "emotive: emotion flow"
HTML_SUFFIXES = (".html", ".htm")
PNG_SUFFIXES = (".png",)
PNG_LIMIT = 20


def flows_html(analyses: list[dict[str, Any]], title: str = TITLE) -> str:
    """A self-contained HTML page with one emotion-flow chart per conversation.

    >>> t = {"turn": 0, "speaker": "A", "text": "hi", "emotion": "joy", "vad": {"v": 4.2}}
    >>> page = flows_html([{"id": "c1", "turns": [t]}])
    >>> page.count('class="chart'), "joy" in page
    (1, True)
    """
    page = Page(title)
    sections = [flow_section(page, a, k) for k, a in enumerate(analyses)]
    count = f"{len(analyses)} conversation{'s' if len(analyses) != 1 else ''}"
    body = (f"<h1>{esc(title)}</h1>\n<p class=\"meta\">{count}. A lane per speaker (a small chart each "
            "beyond three); x: turn; y: valence, scaled to the conversation, dashed line = neutral (3); "
            "labels: the emotion in context; a ring: a shift; a dashed arrow: contagion. Hover a dot "
            "for its text.</p>\n" + ("\n".join(sections) or "<p>No conversations.</p>"))
    return page.html(body)


def flow_section(page: Page, analysis: dict[str, Any], k: int, heading: str = "h2") -> str:
    """One conversation: heading, chart and the speakers' dominant emotions."""
    chart = flow_chart(analysis, str(analysis.get("id", f"conversation {k + 1}")))
    drawn = page.chart(chart, titled=False) if chart.points else "<p>No turns.</p>"
    summaries = analysis.get("speakers")
    if not isinstance(summaries, dict):
        summaries = speaker_summaries([{"speaker": p.speaker, "emotion": p.emotion, "vad": {"v": p.valence}}
                                       for p in chart.points])
    return (f"<section class=\"flow\">\n<{heading}>{esc(chart.title)}</{heading}>\n"
            f'<p class="meta">{esc(chart.caption)}</p>\n{drawn}\n{speaker_table(chart, summaries)}\n</section>')


def speaker_table(chart: Flow, summaries: dict[str, Any]) -> str:
    """Each speaker's turns, mean valence and dominant in-context emotions."""
    rows = []
    for name, color in zip(chart.speakers, chart.colors):
        found = summaries.get(name)
        s: dict[str, Any] = found if isinstance(found, dict) else {}
        dominant = [d for d in s.get("dominant") or [] if isinstance(d, dict)]
        emotions = ", ".join(f"{esc(d.get('emotion'))} {_number(d.get('share'), '.0%')}"
                             for d in dominant) or "none (all neutral)"
        vad = s.get("mean_vad")
        mean = vad.get("v") if isinstance(vad, dict) else None
        rows.append(f'<tr><td><span class="key" style="border-color:{color}"></span>{esc(name)}</td>'
                    f'<td class="num">{esc(s.get("turns", ""))}</td><td class="num">{_number(mean, ".2f")}</td>'
                    f"<td>{emotions}</td></tr>")
    return ('<table><thead><tr><th>speaker</th><th class="num">turns</th><th class="num">mean valence</th>'
            f"<th>dominant emotions</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _number(value: Any, spec: str) -> str:
    """A number formatted, anything else as nothing.

    >>> _number(0.667, ".0%"), _number(None, ".2f")
    ('67%', '')
    """
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return format(value, spec) if ok else ""


def flows_png(analyses: list[dict[str, Any]], title: str = TITLE) -> bytes:
    """A PNG of the first ``PNG_LIMIT`` conversations' flow charts, one under the other."""
    shown = [flow_chart(a, str(a.get("id", f"conversation {k + 1}"))) for k, a in enumerate(analyses[:PNG_LIMIT])]
    capped = f" (first {PNG_LIMIT} of {len(analyses)} conversations)" if len(analyses) > PNG_LIMIT else ""
    specs = [vega_spec(c) for c in shown if c.points]
    for spec in specs:
        spec.pop("config", None)
    independent = {"scale": dict.fromkeys(("x", "y", "color"), "independent")}
    body: dict[str, Any] = {"vconcat": specs, "spacing": 36, "resolve": independent} if specs else {
        "data": {"values": [{"t": "No conversations."}]}, "mark": "text", "encoding": {"text": {"field": "t"}}}
    return png_bytes({"title": {"text": title + capped, "fontSize": 17}, "config": CONFIG, **body})


def write_flows(analyses: list[dict[str, Any]], path: str, *, title: str = TITLE) -> None:
    """Write the charts to ``path``: ``.html``/``.htm`` (self-contained page) or ``.png``."""
    suffix = Path(path).suffix.lower()
    if suffix not in HTML_SUFFIXES + PNG_SUFFIXES:
        raise InputError(f"cannot plot to {suffix or 'a file without suffix'!r}; use one of: "
                         f"{', '.join(HTML_SUFFIXES + PNG_SUFFIXES)}", source=path)
    from emotive.io import check_output

    check_output(path)
    if suffix in HTML_SUFFIXES:
        page = flows_html(analyses, title)
        with atomic_write(path) as fh:
            fh.write(page)
    else:
        image = flows_png(analyses, title)
        with atomic_write(path, "wb") as fh:
            fh.write(image)
