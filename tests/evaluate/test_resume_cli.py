"""The command line as a user runs it (a real subprocess): a run killed mid-way resumes
without asking answered questions again; bad input is a message and exit code 2."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from emotive.evaluate import RunStore
from emotive.evaluate._parse import letter

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _eval(*args: str) -> list[str]:
    return [sys.executable, "-m", "emotive", "eval", *args]


def test_a_killed_run_resumes_without_repeating_answered_items(
        loopback: Any, emobench_dir: Path, tmp_path: Path, helpers: Any) -> None:
    gold = helpers.gold_answers()

    def answer(scenario: str, question: str, choices: list[str], body: dict[str, Any]) -> str:
        time.sleep(0.15)
        return f"Answer: ({letter(gold[(scenario, question)][0])})"

    loopback.script(helpers.mc_action(answer))
    out = tmp_path / "run"
    cmd = _eval("emobench", "--data", str(emobench_dir), "-b", "openai", "-O", f"base_url={loopback.url}",
                "-O", "retries=0", "--concurrency", "1", "-o", str(out), "-q")
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(loopback.requests) < 6 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "report.json").exists()
    with RunStore(out / "runs.sqlite") as store:
        kept = store.count()
    asked_before = len(loopback.requests)
    assert 5 <= kept <= asked_before < 16

    done = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    asked_after = len(loopback.requests) - asked_before
    assert asked_after == 16 - kept  # only what the store lacked
    prompts = [r.body["messages"][-1]["content"] for r in loopback.requests]
    assert len(set(prompts)) == 16 and len(prompts) <= 16 + 1  # at most the one in flight twice
    report = json.loads((out / "report.json").read_text())
    assert report["conditions"]["unguided"]["metrics"]["correct"]["value"] == 1.0

    files = {name: (out / name).read_bytes() for name in ("report.md", "report.html", "report.json")}
    again = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and len(loopback.requests) == asked_before + asked_after
    assert {name: (out / name).read_bytes() for name in files} == files
    page = files["report.html"].decode()
    assert page.startswith("<!DOCTYPE html>") and "<table>" in page and "<h2>Results</h2>" in page


def test_cli_runs_a_suite_compares_runs_and_reports_bad_input(emobench_dir: Path, tmp_path: Path) -> None:
    a = subprocess.run(_eval("emobench", "--data", str(emobench_dir / "EU.jsonl"), "-o", str(tmp_path / "a")),
                       env=_env(), capture_output=True, text=True, timeout=300)
    assert a.returncode == 0, a.stderr
    assert "| unguided | 12 |" in a.stdout and "report:" in a.stdout
    b = subprocess.run(_eval("emobench", "--data", str(emobench_dir / "EU.jsonl"), "-b", "mock",
                             "-O", 'replies=["Answer: (a)"]', "-O", "cycle=true", "-o", str(tmp_path / "b"), "-q"),
                       env=_env(), capture_output=True, text=True, timeout=300)
    assert b.returncode == 0, b.stderr
    cmp = subprocess.run(_eval("compare", str(tmp_path / "a"), str(tmp_path / "b" / "report.json")),
                         env=_env(), capture_output=True, text=True, timeout=60)
    assert cmp.returncode == 0, cmp.stderr
    assert "A - B [95% CI]" in cmp.stdout and "| unguided | correct |" in cmp.stdout

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"qid": 1, "scenario": "s"}\n')
    err = subprocess.run(_eval("emobench", "--data", str(bad), "-o", str(tmp_path / "c")), env=_env(),
                         capture_output=True, text=True, timeout=60)
    assert err.returncode == 2 and f"{bad}:1: not an EmoBench item" in err.stderr
    assert "Traceback" not in err.stderr
    both = subprocess.run(_eval("emobench", "--data", str(bad), "--guided", "--both"), env=_env(),
                          capture_output=True, text=True, timeout=60)
    assert both.returncode == 2 and "give one of --guided, --unguided, --both" in both.stderr
    missing = subprocess.run(_eval("compare", str(tmp_path / "nothing"), str(tmp_path / "a")), env=_env(),
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no report at" in missing.stderr
