"""The report page: every section, its charts and tables, from results made in the test;
``emotive report`` as a real subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from emotive._errors import InputError
from emotive.report import build_report, make_report, report_html

from .conftest import turn_records, write_texts, write_turns

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("summary", "emotions", "trends", "breakdowns", "causes", "conversations", "vad", "models")
pytestmark = pytest.mark.skipif(__import__("importlib").util.find_spec("vl_convert") is None,
                                reason="the page needs vl-convert-python: pip install 'emotive[report]'")


def specs(page: str) -> dict[str, dict]:
    block = re.search(r'<script type="application/json" id="emotive-specs">(.*?)</script>', page, re.S)
    assert block is not None
    return json.loads(block.group(1))


def kinds(page: str) -> list[str]:
    return re.findall(r'<div class="chart" id="chart-\d+" data-kind="(\w+)">', page)


def test_turns_report_has_every_section_and_chart(turns_parquet, chats_input) -> None:
    report = build_report(str(turns_parquet), input=str(chats_input), time_column="ts", by=["channel", "speaker"],
                          conversations=2)
    page = report_html(report)
    for key in SECTIONS:
        assert f'id="{key}"' in page
    assert kinds(page) == ["bars", "bars", "lines", "lines", "lines", "stacks", "stacks",  # 3 negative emotions:
                           "bars", "bars", "bars", "flow", "flow", "histogram", "heatmap", "histogram"]  # sadness..
    assert len(specs(page)) == 15
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in page and "<b>&</b>" not in page  # a quote, escaped
    causes = page[page.index('id="causes"'):page.index('id="conversations"')]
    assert "I lost all my photos" in causes and "(c0-2, turn 2)" in causes
    assert "2 turns, 2 with a cause; 2 cause spans." in causes  # anger: two turns, one span each
    intense = page[page.index('id="conversations"'):page.index('id="vad"')]
    assert intense.count('class="flow"') == 2 and "mean intensity" in intense
    assert "not a direct inference of what a person feels" in page
    assert "CC-BY-NC-SA-4.0" in page and "non-commercial" in page


def test_trend_and_flow_charts_scale_to_the_data(turns_parquet, chats_input) -> None:
    page = report_html(build_report(str(turns_parquet), input=str(chats_input), time_column="ts"))
    charts = list(specs(page).values())
    valence = next(s for s in charts if s.get("title", {}).get("text", "").startswith("Mean valence"))
    assert valence["layer"][0]["encoding"]["y"]["scale"]["domain"] == [2.2, 3.6]
    assert valence["layer"][1]["data"]["values"] == [{"y": 3.0}]  # the neutral line
    flows = [s for s in charts if "valence" in (s.get("data", {}).get("values") or [{}])[0]]
    assert len(flows) == 3 and all(s["height"] >= 220 for s in flows)
    three = next(s for s in flows if s["height"] == 450)  # three speakers: a lane each
    assert three["layer"][0]["mark"]["type"] == "rect" and len(three["layer"][0]["data"]["values"]) == 3
    assert {r["speaker"] for r in three["data"]["values"]} == {"customer", "agent", "manager"}


def test_texts_report_says_what_it_lacks(tmp_path) -> None:
    report = build_report(str(write_texts(tmp_path / "texts.parquet")))
    page = report_html(report)
    assert report.tally.errors == 1 and kinds(page) == ["bars", "bars"]
    assert "--time-column" in page and "--by COLUMN" in page and "--conversations" in page
    intense = page[page.index('id="conversations"'):page.index('id="vad"')]
    assert intense.index("Thank you so much!") < intense.index("Disgusting service.")


def test_memory_stays_bounded_on_many_conversations(tmp_path) -> None:
    path = write_turns(tmp_path / "many.parquet", turn_records(copies=400))  # 4,800 turns
    report = build_report(str(path), conversations=3)
    t = report.tally
    assert t.rows == 4800 and t.conversations == 1200
    assert len(t.intense.heap) == 3 and all(len(k.rows) <= 5 for k in t.intense.heap)
    assert all(len(r.items) <= 2 for r in t.examples.values())
    sadness = next(c for c in report.themes if c.emotion == "sadness")
    assert sadness.spans == 1200 and sadness.sampled == 1000  # three quotes, 400 times each: estimated
    assert [abs(t["count"] - 400) < 40 for t in sadness.themes] == [True] * 3


def test_output_is_checked_before_reading(tmp_path) -> None:
    with pytest.raises(InputError, match=r"a report is an HTML page; name it out\.html"):
        make_report(str(tmp_path / "missing.parquet"), str(tmp_path / "out.pdf"))
    with pytest.raises(InputError, match=r"no directory"):
        make_report(str(tmp_path / "missing.parquet"), str(tmp_path / "nope" / "out.html"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "emotive", "report", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_cli(turns_parquet, chats_input, tmp_path) -> None:
    out = tmp_path / "report.html"
    done = run(str(turns_parquet), "-o", str(out), "--input", str(chats_input), "--time-column", "ts",
               "--by", "channel", "--by", "speaker", "--title", "Support, February")
    assert done.returncode == 0, done.stderr
    assert re.sub(r"\s+", "", f"wrote {out} (12 rows, 0 errors") in re.sub(r"\s+", "", done.stderr)
    page = out.read_text(encoding="utf-8")
    assert "<h1>Support, February</h1>" in page and "By channel" in page and "By speaker" in page
    bad = run(str(turns_parquet), "-o", str(tmp_path / "r.html"), "--by", "channel")
    assert bad.returncode == 2 and "no column 'channel' in the results" in bad.stderr
    assert not (tmp_path / "r.html").exists()
