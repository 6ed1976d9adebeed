"""Fixtures of the evaluate tests: the loopback server and tiny LM of tests/backends (loaded
from there, not copied), made-up corpora in the real formats, the EmoBench-format items."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def _load(name: str, path: Path) -> Any:
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_backends = _load("emotive_tests_backends_conftest", HERE.parent / "backends" / "conftest.py")
loopback = _backends.loopback
do = _backends.do
tiny_lm = _backends.tiny_lm
send = _backends.send


@pytest.fixture(scope="session")
def synthetic_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small made-up corpora in the real formats (EmpatheticDialogues, ESConv, ...)."""
    synthetic = _load("emotive_tests_synthetic_corpora", HERE.parent / "_synthetic_corpora.py")
    return Path(synthetic.write(tmp_path_factory.mktemp("eval_synthetic")))


@pytest.fixture
def emobench_dir() -> Path:
    """The EmoBench-format items written for these tests (6 EU rows, 4 EA rows: 16 questions)."""
    return DATA


def gold_answers() -> dict[tuple[str, str], tuple[int, list[str]]]:
    """(scenario, question) -> (gold index, choices) of every test question."""
    from emotive.evaluate._emobench import questions

    out = {}
    for file in ("EU.jsonl", "EA.jsonl"):
        for lineno, line in enumerate((DATA / file).read_text().splitlines(), 1):
            row = json.loads(line)
            for q in questions(row, (file, lineno)):
                out[(row["scenario"], q["question"])] = (list(q["choices"]).index(q["gold"]), list(q["choices"]))
    return out


def chat_reply(handler: Any, body: dict[str, Any], content: str, status: int = 200) -> None:
    data = {"id": "x", "object": "chat.completion", "model": body.get("model"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}
    send(handler, status, json.dumps(data).encode())


def mc_action(answer: Callable[[str, str, list[str], dict[str, Any]], str | int]) -> Any:
    """A server action that reads the multiple-choice prompt and replies ``answer(...)``;
    an int answer is an HTTP error status with a JSON error body."""
    from emotive.evaluate._prompts import read_mc

    def act(handler: Any, body: dict[str, Any]) -> None:
        user = [m["content"] for m in body.get("messages", []) if m["role"] == "user"]
        mc = read_mc(user[-1]) if user else None
        reply = answer(*mc, body) if mc else answer("", user[-1] if user else "", [], body)
        if isinstance(reply, int):
            send(handler, reply, json.dumps({"error": {"message": "scripted failure"}}).encode())
        else:
            chat_reply(handler, body, reply)
    return act


class Helpers:
    """The helpers above, for tests (conftest modules are not importable under importlib mode)."""

    gold_answers = staticmethod(gold_answers)
    mc_action = staticmethod(mc_action)
    chat_reply = staticmethod(chat_reply)


@pytest.fixture
def helpers() -> type[Helpers]:
    return Helpers
