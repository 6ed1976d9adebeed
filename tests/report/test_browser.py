"""The report and the flow page in a real browser: headless Chromium (Debian's package,
which .ci/run installs) driven by Playwright. No console error, nothing loaded from
anywhere, every section there, every chart drawn (its marks in the DOM), a screenshot
saved. Skipped, saying why, where there is no Chromium or no Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from emotive.report import build_report, write_flows, write_report

from .conftest import conversations

SECTIONS = ("summary", "emotions", "trends", "breakdowns", "causes", "conversations", "vad", "models")
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium() -> str | None:
    """``$EMOTIVE_CHROMIUM``, or the first Chromium on the PATH."""
    given = os.environ.get("EMOTIVE_CHROMIUM")
    return given if given and Path(given).is_file() else next(filter(None, map(shutil.which, CANDIDATES)), None)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    binary = chromium()
    if binary is None:
        pytest.skip("no Chromium found (apt-get install chromium, or set EMOTIVE_CHROMIUM)")
    sync = pytest.importorskip("playwright.sync_api", reason="needs playwright: pip install 'emotive[test]'")
    pytest.importorskip("vl_convert", reason="needs vl-convert-python: pip install 'emotive[report]'")
    with sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=binary, args=["--no-sandbox"])
        yield b
        b.close()


def open_page(browser, path: Path) -> tuple[object, list[str], list[str]]:  # type: ignore[no-untyped-def]
    """The page at ``path`` once every chart is settled, its console problems and what it asked for."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.route("**/*", lambda route: (requests.append(route.request.url),
                                      route.continue_() if route.request.url == path.as_uri() else route.abort()))
    page.goto(path.as_uri())
    page.wait_for_function("window.emotiveCharts && window.emotiveCharts.done !== null", timeout=60_000)
    return page, problems, requests


def drawn(page) -> list[dict]:  # type: ignore[no-untyped-def]
    """Per chart: its kind, whether it says it was drawn, and the marks its SVG holds."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('div.chart')).map(el => ({
        kind: el.dataset.kind, drawn: el.dataset.drawn === 'true',
        marks: el.querySelectorAll('svg g.mark-rect path, svg g.mark-line path, svg g.mark-symbol path, '
                                   + 'svg g.mark-area path, svg g.mark-rule line, svg g.mark-text text').length}))""")


def test_report_opens_offline_with_every_chart_drawn(browser, turns_parquet, chats_input, tmp_path) -> None:
    out = tmp_path / "report.html"
    write_report(build_report(str(turns_parquet), input=str(chats_input), time_column="ts",
                              by=["channel", "speaker"]), str(out))
    page, problems, requests = open_page(browser, out)
    assert problems == []
    assert requests == [out.as_uri()]  # the page itself, nothing else
    state = page.evaluate("window.emotiveCharts")
    assert state["failed"] == 0 and state["drawn"] == state["total"] == 16
    for key in SECTIONS:
        assert page.locator(f"#{key} h2, #{key} h1").count() >= 1, key
    charts = drawn(page)
    assert len(charts) == 16 and all(c["drawn"] and c["marks"] > 0 for c in charts), charts
    bars = page.locator("#emotions div.chart").first.locator("g.mark-rect path")
    assert bars.count() == 6  # one bar per in-context emotion in the results
    assert page.locator("#conversations g.mark-symbol path").count() >= 12  # dots, rings, arrow heads
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    page.close()


def test_flow_page_draws_lanes_and_small_multiples(browser, tmp_path) -> None:
    records = conversations()
    five = dict(records[2], id="five")
    five["turns"] = [dict(t, speaker="ABCDE"[k % 5]) for k, t in enumerate(records[2]["turns"] * 2)]
    five["turns"] = [dict(t, turn=k) for k, t in enumerate(five["turns"])]
    out = tmp_path / "flow.html"
    write_flows([*records, five], str(out))
    page, problems, requests = open_page(browser, out)
    assert problems == [] and requests == [out.as_uri()]
    charts = drawn(page)
    assert [c["kind"] for c in charts] == ["flow"] * 4 and all(c["drawn"] and c["marks"] for c in charts)
    lanes = page.locator("div.chart").nth(2).locator("g.mark-text text", has_text="manager")
    assert lanes.count() == 1  # the third speaker's lane is named
    panels = page.locator("div.chart").nth(3).locator("g.mark-group.role-title text, g.role-title text")
    assert {t.strip() for t in panels.all_text_contents()} >= set("ABCDE")
    page.screenshot(path=str(tmp_path / "flow.png"), full_page=True)
    page.close()
