"""Emotion-flow charts: HTML and PNG from analysis records made in the test, no model."""

from __future__ import annotations

import json
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from emotive._errors import InputError
from emotive.analyze import load_or_analyze, render_html, write_plot
from emotive.analyze._conversation import TurnAnalysis, flow
from emotive.cli.plot import plot_command
from emotive.schema import Analysis, Conversation

SVG = "{http://www.w3.org/2000/svg}"
ODD = '<b>&"x'
VALENCE = {"joy": 4.3, "sadness": 1.8, "anger": 1.6, "neutral": 3.0, "surprise": 3.4}
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


def turn(k: int, speaker: str, emotion: str, text: str) -> TurnAnalysis:
    top = FINE[emotion]
    fine = Analysis(text, {top: 0.8, "neutral": 0.2} if top != "neutral" else {"neutral": 0.9},
                    (top,))
    return TurnAnalysis(k, speaker, text, fine, emotion, {emotion: 0.9},
                        (VALENCE[emotion], 3.0, 3.0), 0.5)


def analysis(cid: str, script: list[tuple[str, str, str]]) -> dict:
    """A ``ConversationAnalysis.to_dict()`` record, with the real shift/contagion rules."""
    return flow(cid, [turn(k, *row) for k, row in enumerate(script)]).to_dict()


def svgs(page: str) -> list[ET.Element]:
    return [ET.fromstring(block) for block in re.findall(r"<svg\b.*?</svg>", page, re.S)]


@pytest.fixture
def analyses() -> list[dict]:
    return [analysis("c1", SCRIPT), analysis("one", [("solo", "surprise", "Hello?")])]


def test_html_is_self_contained_escaped_and_parses(analyses, tmp_path) -> None:
    out = tmp_path / "flow.html"
    write_plot(analyses, str(out))
    page = out.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["flow.html"]  # nothing left aside
    assert len(svgs(page)) == 2
    assert page.count("&lt;b&gt;&amp;&quot;x") >= 3  # legend, table, tooltips
    assert ODD not in page and "<script" not in page and "&lt;script&gt;alert(1)" in page
    assert set(re.findall(r"https?://[^\"'\s]+", page)) == {"http://www.w3.org/2000/svg"}
    assert not re.search(r"\b(src|href)=|@import|url\((?!#)", page)


def test_points_labels_shifts_and_contagion(analyses) -> None:
    chart = svgs(render_html(analyses))[0]
    circles = chart.findall(f"{SVG}circle")
    dots = [c for c in circles if c.get("fill") != "none"]
    rings = [c for c in circles if c.get("fill") == "none"]
    arrows = [e for e in chart.findall(f"{SVG}line") if e.get("marker-end")]
    assert len(dots) == 8 and len(rings) == len(analyses[0]["shifts"]) == 5
    assert len(arrows) == len(analyses[0]["contagion"]) == 2
    assert len(chart.findall(f"{SVG}polyline")) == 2
    labels = [t.text for t in chart.findall(f"{SVG}text[@class='emotion']")]
    assert labels == [e for _, e, _ in SCRIPT]
    tip = dots[0].find(f"{SVG}title").text
    assert "grief" in tip and "<script>alert(1)</script>" in tip  # unescaped by the parser
    assert {c.get("cy") for c in dots[4:6]} == {dots[4].get("cy")}  # same valence, same height
    assert "contagion: " + ODD + " took up sadness from A (turn 2 → 3)" in [
        a.find(f"{SVG}title").text for a in arrows]


def test_one_turn_conversation_and_dominant_table(analyses) -> None:
    page = render_html(analyses)
    chart = svgs(page)[1]
    (dot,) = chart.findall(f"{SVG}circle")
    width = float(chart.get("width"))
    assert 0 < float(dot.get("cx")) < width and chart.find(f"{SVG}polyline") is not None
    assert "1 turn · 1 speaker · 0 shifts · 0 contagion" in page
    assert "sadness 50%, joy 25%" in page  # A: 2 of 4 turns sad, 1 joyful


def test_malformed_record_says_which_turn() -> None:
    bad = analysis("c9", SCRIPT[:2])
    del bad["turns"][1]["vad"]
    with pytest.raises(InputError, match=r"'c9', turn 1: not an analyzed turn"):
        render_html([bad])


def test_ten_thousand_turns_stay_small_and_fast(tmp_path) -> None:
    emotions = ["joy", "sadness", "neutral", "anger"]
    script = [("AB"[k % 2], emotions[k // 3 % 4], f"turn number {k}") for k in range(10_000)]
    big = analysis("long", script)
    start = time.perf_counter()
    write_plot([big], str(tmp_path / "big.html"))
    assert time.perf_counter() - start < 5
    page = (tmp_path / "big.html").read_text(encoding="utf-8")
    assert len(page.encode()) < 5_000_000
    (chart,) = svgs(page)
    lines = chart.findall(f"{SVG}polyline")
    assert sum(len(p.get("points").split()) for p in lines) == 10_000  # every turn on a line
    labels = chart.findall(f"{SVG}text[@class='emotion']")
    assert 0 < len(labels) <= 60
    assert "emotion labels on every 167th turn" in page


def test_png(analyses, tmp_path) -> None:
    pytest.importorskip("matplotlib")
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


def test_cli_command_plots_an_analyzed_file(analyses, tmp_path) -> None:
    app = typer.Typer()
    app.command()(plot_command)
    src = write_jsonl(tmp_path / "analyzed.jsonl", analyses)
    out = tmp_path / "chart.html"
    result = CliRunner().invoke(app, [str(src), "-o", str(out), "--model", "/nonexistent"])
    assert result.exit_code == 0, result.output
    assert squeeze(f"wrote {out} (2 conversations)") in squeeze(result.stderr)
    assert len(svgs(out.read_text(encoding="utf-8"))) == 2
