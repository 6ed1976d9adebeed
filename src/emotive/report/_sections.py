"""The sections of the report page: each one a heading, charts and tables, or a note that
says what would fill it. Every user text is escaped; the charts' data go in JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emotive.report._figures import breakdown, label_bars, trends, vad_figures
from emotive.report._flow import conversation_record
from emotive.report._page import Page, esc
from emotive.report._plots import flow_section
from emotive.report._tally import NEGATIVE, quote

if TYPE_CHECKING:
    from emotive.report._report import Report

NAV = (("summary", "Summary"), ("emotions", "Emotions"), ("trends", "Over time"), ("breakdowns", "Breakdowns"),
       ("causes", "Causes"), ("conversations", "Most intense"), ("vad", "VAD"), ("models", "Models and caveats"))


def _section(key: str, body: str) -> str:
    title = dict(NAV)[key]
    return f'<section id="{key}">\n<h2>{esc(title)}</h2>\n{body}\n</section>'


def _note(text: str) -> str:
    return f'<p class="note">{text}</p>'


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def _num(value: float | None, spec: str = ".2f") -> str:
    return "" if value is None else format(value, spec)


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:  # type: ignore[assignment]
    head = "".join(f'<th class="num">{esc(h)}</th>' if i in numeric else f"<th>{esc(h)}</th>"
                   for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def header(report: Report) -> str:
    """Title, what was read, the headline counts and the links to the sections."""
    t = report.tally
    what = "conversation turns" if report.kind == "turns" else "texts"
    cards = [(f"{t.rows:,}", "rows"), (f"{t.rows - t.errors:,}", "analyzed"), (f"{t.errors:,}", "errors")]
    if report.kind == "turns":
        cards += [(f"{t.conversations:,}", "conversations"), (f"{len(t.speakers):,}", "speakers")]
    top = t.labels.most_common(1)
    if top:
        cards.append((esc(top[0][0]), f"commonest emotion ({top[0][1] / max(1, t.rows - t.errors):.0%})"))
    joined = f" joined with {esc(report.input)}" if report.input else ""
    links = "".join(f'<a href="#{k}">{esc(v)}</a>' for k, v in NAV)
    card_html = "".join(f'<div class="card"><b>{v}</b><span>{esc(k)}</span></div>' for v, k in cards)
    return (f'<header id="summary">\n<h1>{esc(report.title)}</h1>\n'
            f'<p class="meta">{esc(report.source)}{joined}: {what}, analyzed by emotive · made '
            f"{esc(report.generated)} in {report.seconds:.1f} s</p>\n<nav>{links}</nav>\n"
            f'<div class="cards">{card_html}</div>\n</header>')


def emotions(page: Page, report: Report) -> str:
    """The emotion distribution, with sampled example quotes."""
    t = report.tally
    analyzed = t.rows - t.errors
    if not analyzed:
        return _section("emotions", _note("No row was analyzed (every row has an error)."))
    parts = []
    if report.kind == "turns":
        parts.append(page.chart(label_bars("Emotion in context (7 classes), share of turns", t.labels, analyzed)))
        parts.append(page.chart(label_bars("Fine-grained emotion (GoEmotions top label), share of turns",
                                           t.fine, analyzed, 15)))
    else:
        parts.append(page.chart(label_bars("Top emotion (GoEmotions), share of texts", t.labels, analyzed)))
        parts.append(page.chart(label_bars("Every label over its threshold (a text may have several), "
                                           "share of texts", t.multi, analyzed, 15)))
    examples = t.examples
    rows = [[esc(k), f"{c:,}", _pct(c / analyzed),
             "".join(f"<blockquote>{esc(quote(x))}</blockquote>" for x in examples[k].items if x)]
            for k, c in t.labels.most_common() if k in examples]
    parts.append("<h3>Examples (a random sample per emotion)</h3>" + _table(["emotion", "rows", "share", "examples"],
                                                                          rows, {1, 2}))
    return _section("emotions", "\n".join(parts))


def over_time(page: Page, report: Report) -> str:
    """Volume, emotion shares and valence over time, when there is a time column."""
    t = report.tally
    if t.time is None:
        return _section("trends", _note("Give <code>--time-column COLUMN</code> (ISO dates or epoch seconds, in "
                                        "the results or in the analyzed input with <code>--input</code>) to see "
                                        "volume, emotions and valence over time."))
    trend = trends(t.time, t.labels, "turns" if report.kind == "turns" else "texts")
    if trend is None:
        return _section("trends", _note(f"No row has a readable time in <code>{esc(report.time_column)}</code>."))
    missing = f" {t.time.missing:,} rows without a readable time are left out." if t.time.missing else ""
    charts = [page.chart(c) for c in (trend.volume, trend.shares, trend.valence) if c is not None]
    return _section("trends", _note(f"{esc(report.time_column)} from {trend.first:%Y-%m-%d %H:%M} to "
                                    f"{trend.last:%Y-%m-%d %H:%M} UTC, per {trend.unit}.{missing}") + "\n".join(charts))


def breakdowns(page: Page, report: Report) -> str:
    """The emotion mix per value of each ``--by`` column."""
    t = report.tally
    if not t.groups:
        hint = " (such as <code>--by speaker</code>)" if report.kind == "turns" else ""
        return _section("breakdowns", _note(f"Give <code>--by COLUMN</code>{hint}, more than once if you like, to "
                                            "compare channels, products or speakers."))
    parts = []
    for group in t.groups:
        b = breakdown(group, t.labels)
        more = f" (the {len(b.rows)} largest of {b.groups:,})" if b.groups > len(b.rows) else ""
        rows = [[esc(r["group"]), f"{r['rows']:,}", _pct(r["negative"]), _num(r["valence"]), esc(r["top"])]
                for r in b.rows]
        parts.append(f"<h3>By {esc(b.column)}{more}</h3>" + page.chart(b.chart) +
                     _table([b.column, "rows", "negative", "mean valence", "commonest emotions"], rows, {1, 2, 3}))
    return _section("breakdowns", "\n".join(parts))


def causes(page: Page, report: Report) -> str:
    """The top cause themes of each negative emotion, with counts and quotes."""
    if report.kind != "turns":
        return _section("causes", _note("Causes come with conversation results: <code>emotive analyze FILE "
                                        "--conversations</code> (a line with only a text is a one-turn conversation)."))
    if not report.themes:
        return _section("causes", _note(f"No turn with a negative emotion ({', '.join(NEGATIVE)})."))
    parts = [_note(f"Cause spans of the turns of each negative emotion, grouped into themes by "
                   f"{'meaning (sentence vectors)' if report.themes_by == 'meaning' else 'shared words (TF-IDF)'}; "
                   "counts are estimated from a random sample when an emotion has more spans.")]
    for ct in report.themes:
        sampled = f", themes from a sample of {ct.sampled:,}" if ct.sampled < ct.spans else ""
        head = (f"<h3>{esc(ct.emotion)}</h3>" + _note(f"{ct.turns:,} turns, {ct.with_cause:,} with a cause; "
                                                      f"{ct.spans:,} cause spans{sampled}."))
        rows = [[esc(r["theme"]), f"{r['count']:,}", _pct(r["share"]),
                 "".join(f"<blockquote>“{esc(q['text'])}” <span class=\"meta\">({esc(q['conversation'])}, turn "
                         f"{esc(q['turn'])})</span></blockquote>" for q in r["examples"])] for r in ct.themes[:6]]
        chart = page.chart(ct.chart) if ct.chart else ""
        parts.append(head + chart + (_table(["theme", "spans", "share", "examples"], rows, {1, 2}) if rows else ""))
    return _section("causes", "\n".join(parts))


def intense(page: Page, report: Report) -> str:
    """The most intense conversations with their flow charts (or the most intense texts)."""
    kept = report.tally.intense.best()
    if not kept:
        return _section("conversations", _note("Nothing to show."))
    if report.kind != "turns":
        rows = [[esc(k.rows[0].get("line")), esc(k.rows[0].get("top")), _num(k.rows[0].get("score")),
                 esc(quote(k.rows[0].get("text")))] for k in kept]
        return _section("conversations", _note("The texts whose top emotion (not neutral) has the highest score.")
                        + _table(["line", "emotion", "score", "text"], rows, {0, 2}))
    parts = [_note("Ranked by the mean intensity of their turns (conversations of two turns or more first).")]
    for k, item in enumerate(kept):
        record = conversation_record(item.name, item.rows)
        mean = item.rank[1]
        cut = f"; the first {len(item.rows):,} of its {item.turns:,} turns" if item.turns > len(item.rows) else ""
        parts.append(flow_section(page, record, k, "h3").replace(
            '<p class="meta">', f'<p class="meta">mean intensity {mean:.2f}{cut} · ', 1))
    return _section("conversations", "\n".join(parts))


def vad(page: Page, report: Report) -> str:
    """Valence, arousal, dominance and intensity of the turns."""
    figures = vad_figures(report.tally.vad) if report.tally.vad is not None else None
    if figures is None:
        return _section("vad", _note("Valence, arousal and dominance come from the conversation model: analyze "
                                     "with <code>--conversations</code> to have them."))
    rows = [[esc(m["label"]), f"{m['turns']:,}", _num(m["v"]), _num(m["a"]), _num(m["d"])] for m in figures.means]
    return _section("vad", _note("On EmoBank's 1-5 scales (3 is neutral), shown on the range the data use.")
                    + page.chart(figures.histogram) + page.chart(figures.heatmap) + page.chart(figures.intensity)
                    + "<h3>Mean VAD per emotion in context</h3>"
                    + _table(["emotion", "turns", "valence", "arousal", "dominance"], rows, {1, 2, 3, 4}))


CAVEATS = (
    "Scores are what the models read in the words, not a direct inference of what a person feels: people "
    "understate, joke, quote others and write in ways a model misreads. Use them for patterns across many "
    "messages, and never to judge, rank or decide about one person.",
    "The models learned from English Reddit comments, TV and everyday dialogue and empathy conversations; other "
    "languages, domains and styles are read less well. Texts longer than 128 tokens are read in part.",
    "Quotes, examples and cause spans are random samples; theme counts are estimated from a sample when there "
    "are more spans. Cause spans are the model's guess at which words or turns caused an emotion.",
)


def models(page: Page, report: Report) -> str:
    """What the models are, their training data with licences, and how to read the scores."""
    from emotive.models import shipped_models

    wanted = {"emotive.goemotions-minilm.v1", *(["emotive.conversation-minilm.v1"] if report.kind == "turns" else [])}
    rows = [[esc(m.name), esc(m.version), esc(_metrics(m.metrics)),
             esc(", ".join(f"{d.get('name')} ({d.get('license')})" for d in m.data)),
             "yes" if m.commercial_use else "<b>no</b> (non-commercial data)"]
            for m in shipped_models() if m.name in wanted]
    caveats = "".join(f"<li>{esc(c)}</li>" for c in CAVEATS)
    return _section("models", _note("The shipped models that <code>emotive analyze</code> uses by default (if the "
                                    "results were made with <code>--model</code> or <code>--conversation-model</code>, "
                                    "those apply).")
                    + _table(["model", "version", "test metrics", "training data (licence)", "commercial use"], rows)
                    + f'<div class="caveat"><b>How to read these scores</b><ul>{caveats}</ul></div>')


def _metrics(metrics: dict[str, Any]) -> str:
    """The headline test metrics of a manifest."""
    names = {"macro_f1": "GoEmotions macro-F1", "meld_test_weighted_f1": "MELD weighted-F1",
             "dailydialog_test_micro_f1": "DailyDialog micro-F1", "emobank_test_r_v": "EmoBank valence r"}
    return ", ".join(f"{label} {metrics[k]:.2f}" for k, label in names.items()
                     if isinstance(metrics.get(k), (int, float)))


SECTIONS = (emotions, over_time, breakdowns, causes, intense, vad, models)
