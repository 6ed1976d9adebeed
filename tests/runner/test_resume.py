"""Exact resume: kill -9 a real ``emotive analyze`` subprocess at random moments, resume,
and compare with an uninterrupted run byte for byte (no row lost or duplicated)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

KILLS_PER_FORMAT = 7  # 21 across the three formats


def _texts(n: int) -> list[str]:
    words = ["great", "awful", "thanks", "why", "love", "broken", "again", "wow", "sorry", "fine"]
    rng = random.Random(7)
    return [" ".join(rng.choice(words) for _ in range(rng.randint(1, 12))) for _ in range(n)]


@pytest.fixture
def big_input(tmp_path: Path) -> Path:
    src = tmp_path / "in.jsonl"
    lines = [json.dumps({"text": t, "id": i}) for i, t in enumerate(_texts(3000))]
    lines[10] = "{broken"  # a bad row and a blank line: skipped and kept in order
    lines[500] = ""
    src.write_text("\n".join(lines) + "\n")
    return src


def _args(src: Path, out: Path, model: Path) -> list[str]:
    return [sys.executable, "-m", "emotive", "analyze", str(src), "-o", str(out), "--model",
            str(model), "--chunk-size", "100", "--on-error", "skip", "-q", "--threads", "1"]


def _ledger(out: Path) -> Path:
    return out.with_name(f".{out.name}.emotive-run")


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_kill_9_at_random_moments_then_resume_is_byte_identical(fmt, tmp_path, big_input, cli_env,
                                                                tiny_fp32) -> None:
    ref = tmp_path / f"ref.{fmt}"
    started = time.monotonic()
    done = subprocess.run(_args(big_input, ref, tiny_fp32), env=cli_env, capture_output=True,
                          text=True, timeout=300)
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    out = tmp_path / f"out.{fmt}"
    rng = random.Random(fmt)
    kills = mid_run = 0
    while kills < KILLS_PER_FORMAT:
        proc = subprocess.Popen([*_args(big_input, out, tiny_fp32), "--resume"], env=cli_env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.2, took * 1.1))
        if proc.poll() is None:
            mid_run += _ledger(out).exists()
            proc.kill()
            kills += 1
        _, err = proc.communicate(timeout=300)
        assert proc.returncode in (0, -9), err.decode()
        assert not out.exists() or out.read_bytes() == ref.read_bytes()  # never a partial file
    final = subprocess.run([*_args(big_input, out, tiny_fp32), "--resume"], env=cli_env,
                           capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    assert out.read_bytes() == ref.read_bytes()
    assert not _ledger(out).exists()
    assert mid_run >= 1  # at least one kill landed while chunks were being kept


def test_resume_with_other_settings_or_input_is_refused(tmp_path, big_input, cli_env, tiny_model) -> None:
    out = tmp_path / "out.jsonl"
    ledger = _ledger(out)
    ledger.mkdir()
    identity = {"job": "analyze", "settings": {"scheme": "ekman"}}
    (ledger / "run.json").write_text(json.dumps(identity))
    run = subprocess.run([*_args(big_input, out, tiny_model), "--resume"], env=cli_env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 2
    assert "cannot resume: this run differs" in run.stderr and "input:" in run.stderr
    assert "settings:" in run.stderr and "Traceback" not in run.stderr
    plain = subprocess.run(_args(big_input, out, tiny_model), env=cli_env, capture_output=True,
                           text=True, timeout=300)
    assert plain.returncode == 2 and "add --resume" in plain.stderr
