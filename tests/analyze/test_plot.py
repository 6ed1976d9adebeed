"""Emotion-flow charts: the chart model, its Vega-Lite specs, the page and the PNG, from
analysis records made in the test (no model). The browser draws them in tests/report."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from emotive._errors import InputError
from emotive.analyze import load_or_analyze, render_html, write_plot
from emotive.analyze._conversation import TurnAnalysis, flow
from emotive.cli.plot import plot_command
from emotive.report import flow_chart, vega_spec
from emotive.schema import Analysis, Conversation

ODD = '<b>&"x'
VALENCE = {"joy": 3.6, "sadness": 2.5, "anger": 2.4, "neutral": 2.9, "surprise": 3.2}
FINE = {"joy": "excitement", "sadness": "grief", "anger": "annoyance", "neutral": "neutral",
        "surprise": "surprise"}
SCRIPT = [("A", "sadness", "My flight got cancelled <script>alert(1)</script>"),
          (ODD, "neutral", "Oh no, what happened?"),
          ("A", "sadness", "They overbooked it."),
          (ODD, "sadness", "That's awful, I'm so sorry"),      # shift, contagion from 2
          ("A", "joy", "Well, I got a voucher!"),              # shift
          (ODD, "joy", "That's great!"),                       # shift, contagion from 4
          ("A", "neutral", "Anyway."),                         # shift
          (ODD, "neutral", "Sure.")]                           # shift
vega = pytest.mark.skipif(__import__("importlib").util.find_spec("vl_convert") is None,
                          reason="the page and the PNG need vl-convert-python: pip install 'emotive[plot]'")


def turn(k: int, speaker: str, emotion: str, text: str) -> TurnAnalysis:
    top = FINE[emotion]
    fine = Analysis(text, {top: 0.8, "neutral": 0.2} if top != "neutral" else {"neutral": 0.9},
                    (top,))
    return TurnAnalysis(k, speaker, text, fine, emotion, {emotion: 0.9},
                        (VALENCE[emotion], 3.0, 3.0), 0.5)


def analysis(cid: str, script: list[tuple[str, str, str]]) -> dict:
    """A ``ConversationAnalysis.to_dict()`` record, with the real shift/contagion rules."""
    return flow(cid, [turn(k, *row) for k, row in enumerate(script)]).to_dict()


def specs(page: str) -> dict[str, dict]:
    """The charts' Vega-Lite specs embedded in a page."""
    block = re.search(r'<script type="application/json" id="emotive-specs">(.*?)</script>', page, re.S)
    assert block is not None
    return json.loads(block.group(1))


def layer(spec: dict, mark: str, where: str | None = None) -> list[dict]:
    """The layers of a spec with ``mark`` (and a filter containing ``where``)."""
    out = []
    for part in spec.get("layer", []):
        kind = part["mark"]["type"] if isinstance(part["mark"], dict) else part["mark"]
        filters = json.dumps(part.get("transform", []))
        if kind == mark and (where is None or where in filters):
            out.append(part)
    return out


@pytest.fixture
def analyses() -> list[dict]:
    return [analysis("c1", SCRIPT), analysis("one", [("solo", "surprise", "Hello?")])]


def test_chart_model_points_shifts_contagion_and_range(analyses) -> None:
    chart = flow_chart(analyses[0])
    assert [p.emotion for p in chart.points] == [e for _, e, _ in SCRIPT]
    assert all(p.label and p.detail for p in chart.points)
    assert sum(p.shift is not None for p in chart.points) == len(analyses[0]["shifts"]) == 5
    assert [(c.start, c.end) for c in chart.contagion] == [(2.0, 3.0), (4.0, 5.0)]
    assert chart.speakers == ("A", ODD) and chart.layout == "lanes"
    lo, hi = chart.domain  # scaled to the data (2.4-3.6 here), never the flat 1-5
    assert lo <= 2.4 and hi >= 3.6 and lo > 1.5 and hi < 4.5 and lo < 3 < hi
    assert chart.width >= 640


def test_spec_draws_lanes_rings_arrows_and_labels(analyses) -> None:
    spec = vega_spec(flow_chart(analyses[0]))
    rows = spec["data"]["values"]
    assert len(rows) == 8 and rows[0]["text"].endswith("<script>alert(1)</script>")  # JSON data, drawn as text
    assert [r["y"] for r in rows if r["speaker"] == "A"][0] > 1  # the first speaker's lane is on top
    assert len(layer(spec, "point", "shift")[0]["transform"]) == 1
    (line,) = layer(spec, "line")
    assert line["encoding"]["color"]["scale"]["domain"] == ["A", ODD]
    arrows = [p for p in spec["layer"] if p["mark"]["type"] == "rule" and "x2" in p["encoding"]]
    assert [a["data"]["values"][0]["tip"] for a in arrows][0] == f"contagion: {ODD} took up sadness from A (turn 2 → 3)"
    assert len(arrows[0]["data"]["values"]) == 2
    neutral = [p for p in spec["layer"] if p["mark"]["type"] == "rule" and "neutral" in json.dumps(p["encoding"])]
    assert len(neutral) == 1 and len(neutral[0]["data"]["values"]) == 2  # a dashed neutral line per lane
    assert len(layer(spec, "text", "datum.label")) == 1


def test_more_than_three_speakers_get_small_multiples() -> None:
    script = [("ABCDE"[k % 5], "joy" if k % 2 else "anger", f"t{k}") for k in range(20)]
    chart = flow_chart(analysis("five", script))
    spec = vega_spec(chart)
    assert chart.layout == "multiples" and len(spec["concat"]) == 5
    assert [p["title"]["text"] for p in spec["concat"]] == list("ABCDE")
    assert all({r["speaker"] for r in p["data"]["values"]} == {p["title"]["text"]} for p in spec["concat"])


@vega
def test_html_is_self_contained_escaped_and_parses(analyses, tmp_path) -> None:
    out = tmp_path / "flow.html"
    write_plot(analyses, str(out))
    page = out.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["flow.html"]  # nothing left aside
    assert len(specs(page)) == 2 and page.count('class="chart"') == 2
    assert page.count("&lt;b&gt;&amp;&quot;x") == 1  # the speaker table of c1
    assert '"\\u003cb\\u003e\\u0026\\"x"' in page  # and in its chart's data
    assert ODD not in page and "<script>alert" not in page and "\\u003cscript\\u003ealert(1)" in page
    assert page.count("<script") == 3  # the Vega bundle, the specs, the script that draws them
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.S)  # what the browser loads is
    assert not re.search(r"\b(src|href)=|@import|url\(", markup)  # checked in tests/report/test_browser.py


@vega
def test_one_turn_conversation_and_dominant_table(analyses) -> None:
    page = render_html(analyses)
    chart = specs(page)["chart-2"]
    assert [r["turn"] for r in chart["data"]["values"]] == [0]
    assert "1 turn · 1 speaker · 0 shifts · 0 contagion" in page
    assert "sadness 50%, joy 25%" in page  # A: 2 of 4 turns sad, 1 joyful


def test_malformed_record_says_which_turn() -> None:
    bad = analysis("c9", SCRIPT[:2])
    del bad["turns"][1]["vad"]
    with pytest.raises(InputError, match=r"'c9', turn 1: not an analyzed turn"):
        flow_chart(bad)


@vega
def test_ten_thousand_turns_stay_small_and_fast(tmp_path) -> None:
    emotions = ["joy", "sadness", "neutral", "anger"]
    script = [("AB"[k % 2], emotions[k // 3 % 4], f"turn number {k}") for k in range(10_000)]
    big = analysis("long", script)
    start = time.perf_counter()
    write_plot([big], str(tmp_path / "big.html"))
    assert time.perf_counter() - start < 5
    page = (tmp_path / "big.html").read_text(encoding="utf-8")
    assert len(page.encode()) < 5_000_000
    (chart,) = specs(page).values()
    rows = chart["data"]["values"]
    assert len(rows) == 10_000  # the line joins every turn
    assert 0 < sum(r["label"] for r in rows) <= 60 and sum(r["detail"] for r in rows) <= 2000
    assert "emotion labels on every 167th turn, dots on every 5th turn" in page
    assert chart["width"] == 4800


@vega
def test_png(analyses, tmp_path) -> None:
    out = tmp_path / "flow.png"
    write_plot([*analyses, {"id": "empty", "turns": []}], str(out))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["flow.png"]


@pytest.mark.parametrize("name", ["flow.svg", "flow"])
def test_unsupported_suffix(analyses, tmp_path, name) -> None:
    with pytest.raises(InputError, match=r"use one of: \.html, \.htm, \.png"):
        write_plot(analyses, str(tmp_path / name))
    assert list(tmp_path.iterdir()) == []


def no_model():
    raise AssertionError("an analyzed file needs no model")


def write_jsonl(path: Path, records: list[dict], blank: bool = False) -> Path:
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text(("\n\n" if blank else "\n").join(lines) + "\n", encoding="utf-8")
    return path


def test_load_analyzed_jsonl_needs_no_model(analyses, tmp_path) -> None:
    src = write_jsonl(tmp_path / "analyzed.jsonl", analyses, blank=True)
    assert load_or_analyze(str(src), analyzer_factory=no_model) == analyses
    assert load_or_analyze(str(src), limit=1, analyzer_factory=no_model) == analyses[:1]


def test_load_analyzed_jsonl_names_a_bad_line(analyses, tmp_path) -> None:
    src = write_jsonl(tmp_path / "analyzed.jsonl", [*analyses, {"id": "x", "turns": "no"}])
    with pytest.raises(InputError, match=r"analyzed\.jsonl:3: .*'x' is not an analyzed"):
        load_or_analyze(str(src), analyzer_factory=no_model)


class KeywordAnalyzer:
    """Emotion by keyword: the analyzer interface without a model."""

    calls = 0

    def analyze_conversations(self, conversations: list[Conversation]) -> list:
        KeywordAnalyzer.calls += 1
        return [flow(c.id, [turn(k, u.speaker or "unknown", "joy" if "!" in u.text else "neutral",
                                 u.text) for k, u in enumerate(c.turns)]) for c in conversations]


def test_raw_conversations_are_analyzed(tmp_path) -> None:
    src = write_jsonl(tmp_path / "chats.jsonl", [
        {"id": "a", "turns": [{"speaker": "A", "text": "hi"}, {"speaker": "B", "text": "yay!"}]},
        {"id": "b", "turns": [{"speaker": "A", "text": "so"}]}])
    KeywordAnalyzer.calls = 0
    got = load_or_analyze(str(src), limit=1, analyzer_factory=KeywordAnalyzer)
    assert KeywordAnalyzer.calls == 1 and [a["id"] for a in got] == ["a"]
    assert [t["emotion"] for t in got[0]["turns"]] == ["neutral", "joy"]


def test_flat_turns_and_bad_rows(tmp_path) -> None:
    src = tmp_path / "turns.csv"
    src.write_text("chat,who,n,body\nx,B,2,great!\nx,A,1,hello\ny,A,1,\n")
    options = dict(conversation_column="chat", speaker_column="who", turn_column="n",
                   text_column="body")
    with pytest.raises(InputError, match=r"turns\.csv:4: conversation 'y': turn without text"):
        load_or_analyze(str(src), analyzer_factory=no_model, **options)
    (got,) = load_or_analyze(str(src), limit=1, analyzer_factory=KeywordAnalyzer, **options)
    assert [(t["speaker"], t["text"]) for t in got["turns"]] == [("A", "hello"), ("B", "great!")]


def squeeze(text: str) -> str:
    """``text`` with all whitespace removed: a match then does not depend on where rich
    wraps a line for the terminal's width (between words or, in a long path, inside it)."""
    return re.sub(r"\s+", "", text)


@vega
def test_cli_command_plots_an_analyzed_file(analyses, tmp_path) -> None:
    app = typer.Typer()
    app.command()(plot_command)
    src = write_jsonl(tmp_path / "analyzed.jsonl", analyses)
    out = tmp_path / "chart.html"
    result = CliRunner().invoke(app, [str(src), "-o", str(out), "--model", "/nonexistent"])
    assert result.exit_code == 0, result.output
    assert squeeze(f"wrote {out} (2 conversations)") in squeeze(result.stderr)
    assert len(specs(out.read_text(encoding="utf-8"))) == 2
