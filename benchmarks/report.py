"""``emotive report`` at scale: time and peak RSS on a 1M-row results file, and how long
the page takes to open in a browser.

1. A synthetic results file of conversation turns (``emotive analyze --conversations``'s
   Parquet layout, GoEmotions labels, VAD around EmoBank's 2.3-3.6, causes on the negative
   turns, a ``timestamp`` and a ``channel`` column), made in chunks with numpy;
2. ``emotive report`` on it as a real process: wall time and its own peak RSS (``wait4``),
   with ``--time-column timestamp --by channel --by speaker``;
3. the page opened in headless Chromium (Playwright, the system's Chromium): seconds from
   navigation to the last chart drawn (``window.emotiveCharts.done``), a fresh page each
   time, the median of ``--opens``; target < 2 s;
4. with ``--screenshot docs/report.png``: the README's screenshot, a report made from
   ``examples/chat.jsonl`` (needs the shipped models).

    python benchmarks/report.py [--rows 1000000] [--opens 5] [--screenshot docs/report.png]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO_ROOT, command_line, log, machine_info, markdown_table, utc_now, write_results  # noqa: E402

PY = sys.executable
CHUNK = 65_536
EMOTIONS = {"neutral": 0.44, "joy": 0.16, "sadness": 0.12, "anger": 0.09, "surprise": 0.09, "fear": 0.05,
            "disgust": 0.05}
VALENCE = {"neutral": 2.95, "joy": 3.45, "sadness": 2.5, "anger": 2.4, "surprise": 3.1, "fear": 2.55,
           "disgust": 2.45}
FINE = {"neutral": ["neutral", "approval", "realization", "curiosity"],
        "joy": ["gratitude", "joy", "admiration", "relief", "excitement", "optimism"],
        "sadness": ["sadness", "disappointment", "remorse", "grief"],
        "anger": ["annoyance", "anger", "disapproval"], "surprise": ["surprise", "confusion"],
        "fear": ["nervousness", "fear"], "disgust": ["disgust", "embarrassment"]}
CAUSES = ["I was charged twice this month", "the refund never arrived", "nobody answered my emails",
          "the app crashes when I log in", "my order is three weeks late", "the package arrived broken",
          "support closed my ticket without a fix", "the new update deleted my settings",
          "my account was locked for no reason", "the delivery driver left it in the rain",
          "I lost all my photos", "the price went up again", "I waited two hours on the phone",
          "my flight got cancelled", "the invoice has the wrong address"]
CHANNELS = ["chat", "email", "phone", "app review", "social"]


def synthetic(path: Path, rows: int, seed: int = 0) -> Path:
    """A Parquet file of ``rows`` turn records, written in row groups."""
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    writer, done, conv = None, 0, 0
    start = 1_704_067_200  # 2024-01-01, a year of conversations
    while done < rows:
        n = min(CHUNK, rows - done)
        table, conv = _chunk(rng, n, done, conv, start)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
        done += n
    assert writer is not None
    writer.close()
    return path


def _chunk(rng: np.random.Generator, n: int, offset: int, conv: int, start: int) -> tuple[Any, int]:
    import pyarrow as pa

    lengths = rng.integers(2, 25, size=n // 2 + 2)
    conv_of = np.repeat(np.arange(len(lengths)), lengths)[:n] + conv
    turn = np.concatenate([np.arange(k) for k in lengths])[:n]
    names = list(EMOTIONS)
    emotion = rng.choice(len(names), size=n, p=list(EMOTIONS.values()))
    emo = [names[k] for k in emotion]
    speaker = [("customer", "agent", "supervisor")[(t + (c % 7 == 0) * (t // 5)) % (3 if c % 7 == 0 else 2)]
               for t, c in zip(turn, conv_of)]
    v = np.clip(np.array([VALENCE[e] for e in emo]) + rng.normal(0, 0.18, n), 1, 5).round(3)
    a = np.clip(3.0 + rng.normal(0, 0.15, n) + (emotion == names.index("anger")) * 0.3, 1, 5).round(3)
    d = np.clip(2.9 + rng.normal(0, 0.12, n), 1, 5).round(3)
    intensity = np.clip(rng.beta(2, 3, n) + (emotion != 0) * 0.15, 0, 1).round(4)
    top = [FINE[e][int(rng.integers(len(FINE[e])))] for e in emo]
    causes = [_causes(rng, e, t) for e, t in zip(emo, turn)]
    prev: dict[tuple[int, str], str] = {}
    shift = []
    for c, s, e in zip(conv_of, speaker, emo):
        before = prev.get((c, s))
        shift.append(before if before is not None and before != e else None)
        prev[(c, s)] = e
    contagion = [int(t - 1) if t > 0 and rng.random() < 0.08 else None for t in turn]
    ts = start + conv_of * 400 + turn * 45
    line = conv_of + 1
    text = [f"{CAUSES[(c + t) % len(CAUSES)]}, turn {t} of conversation {c}." for c, t in zip(conv_of, turn)]
    table = pa.table({
        "line": line, "conversation": [f"conv-{c}" for c in conv_of], "turn": turn, "speaker": speaker,
        "text": text, "emotion": emo, "top": top, "labels": top, "v": v, "a": a, "d": d, "intensity": intensity,
        "shift_from": shift, "contagion_from_turn": pa.array(contagion, pa.int64()), "causes": causes,
        "truncated": np.zeros(n, bool), "clipped": np.zeros(n, bool), "error": pa.array([None] * n, pa.string()),
        "timestamp": pa.array(ts.astype("datetime64[s]")), "channel": [CHANNELS[c % len(CHANNELS)] for c in conv_of]})
    return table, int(conv_of[-1]) + 1


def _causes(rng: np.random.Generator, emotion: str, turn: int) -> str:
    if emotion not in ("anger", "sadness", "fear", "disgust") or rng.random() > 0.7:
        return "[]"
    text = CAUSES[int(rng.integers(len(CAUSES)))]
    return json.dumps([{"turn": int(turn), "start": 0, "end": len(text), "text": text, "score": 0.6}])


def measured(args: list[str], cwd: Path = REPO_ROOT) -> dict[str, Any]:
    """Run a process to its end: wall seconds, its own peak RSS (MiB), exit code."""
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err, cwd=cwd, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        err.seek(0)
        tail = err.read().decode(errors="replace")[-500:]
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(args)} failed ({code}): {tail}")
    return {"seconds": round(wall, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def chromium() -> str:
    found = os.environ.get("EMOTIVE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise SystemExit("no Chromium: apt-get install chromium (or set EMOTIVE_CHROMIUM)")
    return found


def open_times(page_path: Path, opens: int) -> dict[str, Any]:
    """Seconds from navigation to the last chart drawn, a fresh page each time."""
    from playwright.sync_api import sync_playwright

    seconds, charts, problems = [], 0, []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        for _ in range(opens + 1):  # the first one warms the browser up and is not counted
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            start = time.perf_counter()
            page.goto(page_path.as_uri())
            page.wait_for_function("window.emotiveCharts && window.emotiveCharts.done !== null", timeout=120_000)
            seconds.append(time.perf_counter() - start)
            state = page.evaluate("window.emotiveCharts")
            charts = int(state["drawn"])
            page.close()
        browser.close()
    counted = seconds[1:]
    return {"median_s": round(statistics.median(counted), 3), "max_s": round(max(counted), 3),
            "all_s": [round(s, 3) for s in counted], "charts_drawn": charts, "console_errors": problems}


def screenshot(out: Path) -> None:
    """A report of examples/chat.jsonl, its top part as a small PNG."""
    from PIL import Image
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        results, page_path, shot = Path(tmp) / "chat.parquet", Path(tmp) / "report.html", Path(tmp) / "shot.png"
        measured([PY, "-m", "emotive", "analyze", "examples/chat.jsonl", "--conversations", "-o", str(results),
                  "-q"])
        measured([PY, "-m", "emotive", "report", results.name, "-o", str(page_path), "--by", "speaker",
                  "--title", "emotive report: examples/chat.jsonl"], cwd=Path(tmp))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1100, "height": 900}, device_scale_factor=1)
            page.goto(page_path.as_uri())
            page.wait_for_function("window.emotiveCharts && window.emotiveCharts.done !== null")
            first = page.evaluate("document.querySelector('#emotions').getBoundingClientRect().bottom + scrollY")
            top = page.evaluate("document.querySelector('#conversations').getBoundingClientRect().top + scrollY")
            end = page.evaluate("document.querySelector('#conversations .flow table').getBoundingClientRect()"
                                ".bottom + scrollY")
            page.screenshot(path=str(shot), full_page=True)
            browser.close()
        image = Image.open(shot).convert("RGB")
        parts = [image.crop((0, 0, image.width, int(first) + 8)),
                 image.crop((0, int(top) - 10, image.width, int(end) + 16))]
        canvas = Image.new("RGB", (image.width, sum(p.height for p in parts)), "white")
        canvas.paste(parts[0], (0, 0))
        canvas.paste(parts[1], (0, parts[0].height))
        canvas.quantize(colors=96).save(out, optimize=True)
    log(f"wrote {out} ({out.stat().st_size / 1024:.0f} KB)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--opens", type=int, default=5)
    ap.add_argument("--screenshot", type=Path, default=None)
    args = ap.parse_args()
    if args.screenshot:
        if importlib.util.find_spec("PIL") is None:  # asked for before any work
            sys.exit("benchmarks/report.py --screenshot needs the bench extra: pip install '.[bench]' (pillow)")
        screenshot(args.screenshot)
    with tempfile.TemporaryDirectory(prefix="emotive-report-bench-") as tmp:
        results, page_path = Path(tmp) / "results.parquet", Path(tmp) / "report.html"
        log(f"making {args.rows:,} synthetic turn rows")
        synthetic(results, args.rows)
        size_mb = results.stat().st_size / 2**20
        log("emotive report (bundle cache warmed first)")
        measured([PY, "-m", "emotive", "report", str(results), "-o", str(page_path), "--conversations", "1"])
        run = measured([PY, "-m", "emotive", "report", str(results), "-o", str(page_path), "--time-column",
                        "timestamp", "--by", "channel", "--by", "speaker"])
        page_mb = page_path.stat().st_size / 2**20
        log(f"report: {run}; opening the page {args.opens} times")
        opened = open_times(page_path, args.opens)
    res = {"rows": args.rows, "results_mb": round(size_mb, 1), "report": run, "page_mb": round(page_mb, 2),
           "open": opened, "target_open_s": 2.0}
    md = "\n".join([
        f"# emotive report on {args.rows:,} turn rows\n",
        markdown_table(["rows", "results MB", "report s", "peak RSS MB", "page MB", "charts",
                        "open median s", "open max s"],
                       [[f"{args.rows:,}", res["results_mb"], run["seconds"], run["peak_rss_mb"], res["page_mb"],
                         opened["charts_drawn"], opened["median_s"], opened["max_s"]]]),
        f"\nOpen: navigation to the last chart drawn, headless Chromium, {args.opens} fresh pages "
        f"(after one warm-up); target < 2 s. Console errors: {len(opened['console_errors'])}.",
        f"\n`{command_line()}` · {utc_now()}"])
    payload = {"command": command_line(), "date": utc_now(),
               "machine": machine_info(["pyarrow", "numpy", "vl-convert-python", "playwright"]), "results": res}
    write_results("report", payload, md)
    print(md)


if __name__ == "__main__":
    main()
