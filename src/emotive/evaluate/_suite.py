"""What every suite provides, and the settings of a run."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emotive._errors import ConfigError, InputError
from emotive.evaluate._calls import Call
from emotive.evaluate._parse import parse_choice
from emotive.evaluate._types import GUIDED, UNGUIDED, Answer, Scored, Task

MODES = (GUIDED, UNGUIDED)


@dataclass(frozen=True)
class Settings:
    """The settings of a run (everything that changes its answers is part of its id)."""

    suite: str
    backend: str | None = "sem"
    options: Mapping[str, Any] = field(default_factory=dict)
    data: str | None = None
    modes: tuple[str, ...] | None = None  # None: the suite's default
    n: int | None = None  # None: the suite's default; 0: every item
    seed: int = 0
    samples: int = 1
    temperature: float = 0.0
    max_tokens: int = 256
    concurrency: int = 4
    on: str = "emobench"  # the suite the stimuli suite transforms
    stimuli: str | None = None
    builtin_stimuli: bool = True
    judge: str | None = None
    judge_options: Mapping[str, Any] = field(default_factory=dict)
    planner_model: str | None = None  # strategy: the respond model directory (default: the shipped one)

    def check(self) -> None:
        if self.samples < 1:
            raise ConfigError(f"samples must be at least 1, got {self.samples}")
        if self.n is not None and self.n < 0:
            raise ConfigError(f"n must be 0 (all items) or more, got {self.n}")
        if self.concurrency < 1:
            raise ConfigError(f"concurrency must be at least 1, got {self.concurrency}")
        bad = [m for m in self.modes or () if m not in MODES]
        if bad:
            raise ConfigError(f"unknown mode(s) {bad}; choose from: {', '.join(MODES)}")


class Suite:
    """Base of the suites: ``tasks`` to ask, ``score`` of each answer, ``summary`` of the
    scored answers (metrics that are not per-item means, reference rows)."""

    name = ""
    primary = "correct"  # the per-item value compared across conditions
    default_modes: tuple[str, ...] = MODES
    needs_backend = True

    def __init__(self, settings: Settings):
        self.settings = settings

    @property
    def modes(self) -> tuple[str, ...]:
        return self.settings.modes or self.default_modes

    def size(self, default: int | None) -> int | None:
        """How many items to sample: ``n``, else ``default``; None for all of them."""
        n = self.settings.n
        return default if n is None else (n or None)

    def describe(self) -> dict[str, Any]:
        """What the report says about the suite's data."""
        return {}

    def tasks(self) -> list[Task]:
        raise NotImplementedError

    def score(self, task: Task, answer: Answer, sample: int, judged: Answer | None = None) -> Scored:
        """Multiple choice: right when the answer names the gold choice."""
        if answer.error is not None:
            return Scored(task, sample, answer, None, {"correct": 0.0}, "failed")
        k = parse_choice(answer.text, task.choices)
        if k is None:
            return Scored(task, sample, answer, None, {"correct": 0.0}, "unparsable")
        return Scored(task, sample, answer, task.choices[k], {"correct": float(task.choices[k] == task.gold)})

    def judge_call(self, task: Task, answer: Answer) -> Call | None:
        """A second question about the answer, to a judge backend (boundaries)."""
        return None

    def summary(self, scored: Sequence[Scored]) -> dict[str, Any]:
        return {}


def file_digest(path: str | os.PathLike[str]) -> str:
    """sha256 of a file's bytes (the report names the data it ran on)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def need_file(path: str | None, what: str, flag: str) -> Path:
    if path is None:
        raise ConfigError(f"the {what} needs a file: give it with {flag} FILE")
    p = Path(path).expanduser()
    if not p.is_file():
        raise InputError(f"no such file: {str(p)!r}; give the {what} with {flag} FILE")
    return p
