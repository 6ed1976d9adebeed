"""The run store, the intervals, the rate-limit gate and the transformers backend."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from emotive import ConfigError
from emotive.backends import Backend, GenerateOptions, GenerateResult
from emotive.evaluate import RunStore, bootstrap_diff, bootstrap_mean, evaluate
from emotive.evaluate._calls import Call, Caller, RateGate


def test_store_keeps_answers_and_the_first_start(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "runs.sqlite"
    with RunStore(path) as store:
        first = store.open_run("r1", {"a": 1})
        store.put("k", {"messages": []}, "text", {"model": "m"})
        store.fail("r1", "k2", "boom")
    with RunStore(path) as store:
        assert store.open_run("r1", {"a": 1}) == first
        assert store.get("k") == ("text", {"model": "m"}) and store.get("k2") is None and store.count() == 1


def test_a_store_that_is_not_sqlite_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "runs.sqlite"
    bad.write_text("not a database at all, just text" * 20)
    with pytest.raises(ConfigError, match="cannot be opened as SQLite"):
        RunStore(bad)


def test_bootstrap_is_seeded_and_covers_the_mean() -> None:
    values = np.random.default_rng(1).integers(0, 2, 200).tolist()
    a, b = bootstrap_mean(values, seed=3), bootstrap_mean(values, seed=3)
    assert a == b and a.low is not None and a.high is not None and a.low < a.value < a.high
    assert abs(a.high - a.low - 2 * 1.96 * float(np.std(values)) / np.sqrt(200)) < 0.02  # the normal width
    diff = bootstrap_diff([1.0] * 50, [0.0] * 50, paired=True)
    assert (diff.value, diff.low, diff.high) == (1.0, 1.0, 1.0)
    with pytest.raises(ValueError):
        bootstrap_diff([1.0], [1.0, 0.0], paired=True)


class Limited(Backend):
    """429 twice, then answers; a second kind of question always raises a non-emotive error."""

    name = "limited"

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.lock = threading.Lock()

    def generate(self, messages: Any, options: GenerateOptions | None = None) -> GenerateResult:
        from emotive import BackendError

        with self.lock:
            self.calls += 1
            n = self.calls
        if messages[-1]["content"] == "crash":
            raise RuntimeError("plugin bug")
        if n <= 2:
            raise BackendError("http://x/v1 answered HTTP 429: slow down")
        return GenerateResult("fine")


def test_rate_limits_wait_and_retry_and_any_error_is_recorded(tmp_path: Path) -> None:
    waits: list[float] = []
    backend = Limited()
    with RunStore(tmp_path / "s.sqlite") as store:
        caller = Caller(backend, store, "run", concurrency=1, gate=RateGate(0.01, 1.0, sleep=waits.append))
        calls = [Call(({"role": "user", "content": "hi"},), GenerateOptions()),
                 Call(({"role": "user", "content": "crash"},), GenerateOptions())]
        ok, broken = caller.answer_all(calls)
    assert ok.text == "fine" and backend.calls >= 3
    assert len(waits) >= 2 and waits[1] > waits[0] * 1.5  # doubled; the next call waits for the gate too
    assert broken.text is None and broken.error == "RuntimeError: plugin bug"


def test_bad_settings_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown suite 'emobnech'"):
        evaluate("emobnech", out=tmp_path)
    with pytest.raises(ConfigError, match="samples must be at least 1"):
        evaluate("emobench", samples=0, out=tmp_path)
    with pytest.raises(ConfigError, match="unknown setting"):
        evaluate("emobench", colour="red", out=tmp_path)
    with pytest.raises(ConfigError, match="needs a file"):
        evaluate("emobench", out=tmp_path)


def test_transformers_backend_with_the_tiny_lm(tiny_lm: Path, emobench_dir: Path, tmp_path: Path) -> None:
    report = evaluate("emobench", data=str(emobench_dir / "EA.jsonl"), backend="transformers",
                      options={"path": str(tiny_lm), "max_new_tokens": 6}, out=tmp_path, concurrency=1)
    block = report.data["conditions"]["unguided"]
    assert block["items"] == 4 and block["answers"] == 4
    for t in report.data["transcripts"]:  # a random LM's words: whatever they are, parsed or counted wrong
        assert t["error"] is None and isinstance(t["answer"], str)
        assert (t["parsed"] is None) == (t["note"] == "unparsable")
