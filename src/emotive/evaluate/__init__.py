"""Evaluate: measure the emotional intelligence of any model or endpoint, and what
emotive's guidance adds, with named suites and reproducible reports.

>>> from emotive.evaluate import evaluate, suite_names
>>> suite_names()
['boundaries', 'emobench', 'hef', 'stimuli', 'strategy']
>>> report = evaluate("emobench", data="EU.jsonl", backend="openai",
...                   options={"base_url": "http://localhost:11434/v1", "model": "llama3.1"},
...                   modes=("guided", "unguided"))  # doctest: +SKIP
>>> report.data["differences"]["guided - unguided"]  # doctest: +SKIP
{'value': 0.05, 'low': -0.02, 'high': 0.12, 'n': 200}

Every request and response is kept in a SQLite run store (a rerun reuses them; an
interrupted run resumes); intervals are bootstrap 95% intervals over items; ``compare``
sets two runs side by side. Nothing heavy is imported until a name is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emotive._lazy import lazy_exports

__all__ = ["Answer", "Estimate", "EvalReport", "RunStore", "Scored", "SemBackend", "Settings", "Task",
           "bootstrap_diff", "bootstrap_mean", "compare", "evaluate", "load_stimuli", "parse_choice",
           "parse_label", "suite_names"]

_WHERE = {
    "Answer": "emotive.evaluate._types", "Scored": "emotive.evaluate._types", "Task": "emotive.evaluate._types",
    "EvalReport": "emotive.evaluate._evaluate", "evaluate": "emotive.evaluate._evaluate",
    "suite_names": "emotive.evaluate._evaluate", "Settings": "emotive.evaluate._suite",
    "Estimate": "emotive.evaluate._stats", "bootstrap_diff": "emotive.evaluate._stats",
    "bootstrap_mean": "emotive.evaluate._stats", "RunStore": "emotive.evaluate._store",
    "SemBackend": "emotive.evaluate._sem", "compare": "emotive.evaluate._compare",
    "load_stimuli": "emotive.evaluate._stimuli", "parse_choice": "emotive.evaluate._parse",
    "parse_label": "emotive.evaluate._parse",
}

if TYPE_CHECKING:
    from emotive.evaluate._compare import compare
    from emotive.evaluate._evaluate import EvalReport, evaluate, suite_names
    from emotive.evaluate._parse import parse_choice, parse_label
    from emotive.evaluate._sem import SemBackend
    from emotive.evaluate._stats import Estimate, bootstrap_diff, bootstrap_mean
    from emotive.evaluate._stimuli import load_stimuli
    from emotive.evaluate._store import RunStore
    from emotive.evaluate._suite import Settings
    from emotive.evaluate._types import Answer, Scored, Task


__getattr__, __dir__ = lazy_exports("emotive.evaluate", _WHERE, globals(), __all__)
