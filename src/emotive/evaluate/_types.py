"""The evaluate job's records: a task (one question to a backend), its answer, its score."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from emotive.schema import Plan

GUIDED, UNGUIDED = "guided", "unguided"


@dataclass(frozen=True)
class Task:
    """One question of a suite in one condition (``guided``, ``unguided``, a stimulus...).

    ``messages`` go to the backend (with ``plan`` for backends that read emotive's plan);
    ``fixed`` is an answer that needs no backend (the safety step's reply); ``gold`` and
    ``choices`` are what the suite scores against; ``categories`` group the item in the
    report; ``meta`` is JSON-ready context kept with the transcript.
    """

    item: str
    condition: str
    messages: tuple[Mapping[str, str], ...] = ()
    plan: Plan | None = None
    gold: Any = None
    choices: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
    fixed: str | None = None

    @property
    def id(self) -> str:
        return f"{self.item}|{self.condition}"


@dataclass(frozen=True)
class Answer:
    """A backend's answer to a task (``error`` set and ``text`` None when it failed)."""

    text: str | None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class Scored:
    """A scored answer: ``parsed`` is what was read from it (None: unparsable or failed),
    ``values`` the item's metric values (1.0/0.0 for correct; never 1.0 for a failure)."""

    task: Task
    sample: int
    answer: Answer
    parsed: str | None
    values: Mapping[str, float]
    note: str | None = None
    judge: Mapping[str, Any] | None = None
