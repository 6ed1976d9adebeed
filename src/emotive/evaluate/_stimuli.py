"""``stimuli``: emotional stimuli prompting (EmotionPrompt, Li et al. 2023; NegativePrompt,
Wang et al. 2024): a transform that appends a stimulus sentence to the last user message of
every question of another suite (``on``), with the effect of each stimulus on that suite's
primary value (paired over items, with its interval).

The stimuli: the small set shipped in ``emotive/evaluate/data/stimuli.json`` (written for
emotive in the papers' categories) and those of a file the user gives: JSONL objects with
``id``, ``text`` and optional ``category`` and ``polarity``, or plain text, one stimulus a
line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from importlib.resources import files
from pathlib import Path
from typing import Any

from emotive._errors import ConfigError, InputError
from emotive.evaluate._calls import Call
from emotive.evaluate._report import differences
from emotive.evaluate._suite import Suite, file_digest, need_file
from emotive.evaluate._types import UNGUIDED, Answer, Scored, Task


def builtin_stimuli() -> list[dict[str, str]]:
    """The shipped stimuli.

    >>> [s["id"] for s in builtin_stimuli()][:2]
    ['sm-check', 'sm-confidence']
    """
    data = json.loads((files("emotive.evaluate") / "data" / "stimuli.json").read_text(encoding="utf-8"))
    return [dict(s) for s in data["stimuli"]]


def load_stimuli(path: str | Path) -> list[dict[str, str]]:
    """The stimuli of a user's file (JSONL objects or plain lines); a bad line names the
    file and line.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "s.txt")
    >>> _ = open(p, "w").write("You can do this.\\n")
    >>> load_stimuli(p)
    [{'id': 'user-1', 'text': 'You can do this.', 'category': 'user', 'polarity': 'unknown'}]
    """
    out: list[dict[str, str]] = []
    with Path(path).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            out.append(_stimulus(line, str(path), lineno, len(out) + 1))
    if not out:
        raise InputError("no stimuli in the file", source=str(path))
    return out


def _stimulus(line: str, source: str, lineno: int, k: int) -> dict[str, str]:
    if not line.lstrip().startswith("{"):
        return {"id": f"user-{k}", "text": line.strip(), "category": "user", "polarity": "unknown"}
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON ({exc.msg}); give {{\"id\", \"text\"}} objects or plain text lines",
                         source=source, line=lineno) from None
    if not isinstance(row, dict) or not isinstance(row.get("text"), str) or not row["text"].strip():
        raise InputError("a stimulus needs a non-empty string 'text'", source=source, line=lineno)
    return {"id": str(row.get("id") or f"user-{k}"), "text": row["text"].strip(),
            "category": str(row.get("category", "user")), "polarity": str(row.get("polarity", "unknown"))}


def with_stimulus(messages: Sequence[Any], text: str) -> tuple[dict[str, str], ...]:
    """``messages`` with ``text`` appended to the last user message.

    >>> with_stimulus([{"role": "user", "content": "Q?"}], "Stay calm.")[0]["content"]
    'Q?\\n\\nStay calm.'
    """
    out = [dict(m) for m in messages]
    last = max((i for i, m in enumerate(out) if m["role"] == "user"), default=None)
    if last is None:
        raise ConfigError("a stimulus needs a user message to go into")
    out[last]["content"] = f"{out[last]['content']}\n\n{text}"
    return tuple(out)


class Stimuli(Suite):
    """See the module docstring."""

    name = "stimuli"
    default_modes = (UNGUIDED,)

    def __init__(self, settings: Any):
        super().__init__(settings)
        from emotive.evaluate._evaluate import make_suite

        if settings.on == "stimuli":
            raise ConfigError("the stimuli suite transforms another suite: give --on emobench, hef, strategy "
                              "or boundaries")
        self.base = make_suite(replace(settings, suite=settings.on, modes=self.modes))
        self.primary = self.base.primary
        self.stimuli = builtin_stimuli() if settings.builtin_stimuli else []
        if settings.stimuli:
            self.stimuli += load_stimuli(need_file(settings.stimuli, "stimuli", "--stimuli"))
        if not self.stimuli:
            raise ConfigError("no stimuli: give --stimuli FILE or keep the built-in ones")
        ids = [s["id"] for s in self.stimuli]
        if len(set(ids)) != len(ids):
            raise ConfigError(f"stimulus ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")

    @property
    def judge_info(self) -> dict[str, Any]:
        return getattr(self.base, "judge_info", {})

    def prepare(self, backend: Any, judge: Any) -> None:
        if hasattr(self.base, "prepare"):
            self.base.prepare(backend, judge)

    def describe(self) -> dict[str, Any]:
        extra = {"stimuli_file_sha256": file_digest(self.settings.stimuli)} if self.settings.stimuli else {}
        return {"on": self.base.name, **self.base.describe(), "stimuli": self.stimuli, **extra}

    def tasks(self) -> list[Task]:
        out = []
        for task in self.base.tasks():
            out.append(task)
            for s in self.stimuli:
                messages = tuple(task.messages) if task.fixed is not None else with_stimulus(task.messages, s["text"])
                out.append(replace(task, condition=f"{task.condition}+{s['id']}", messages=messages))
        return out

    def score(self, task: Task, answer: Answer, sample: int, judged: Answer | None = None) -> Scored:
        return self.base.score(task, answer, sample, judged)

    def judge_call(self, task: Task, answer: Answer) -> Call | None:
        return self.base.judge_call(task, answer)

    def summary(self, scored: Sequence[Scored]) -> dict[str, Any]:
        out = dict(self.base.summary(scored))
        seed, effects = self.settings.seed, {}
        for mode in self.modes:
            pairs = [(f"{mode}+{s['id']}", mode) for s in self.stimuli]
            diffs = differences(scored, self.primary, seed, pairs)
            for s in self.stimuli:
                key = s["id"] if len(self.modes) == 1 else f"{mode}+{s['id']}"
                effects[key] = {"category": s["category"], "polarity": s["polarity"],
                                "effect": diffs.get(f"{mode}+{s['id']} - {mode}")}
        out["effects"] = effects
        return out
