"""``evaluate()``: one suite against one backend, every answer in the run store, a report."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from emotive._errors import ConfigError
from emotive._files import atomic_path
from emotive.backends import Backend, GenerateOptions, get_backend
from emotive.evaluate import _html, _report
from emotive.evaluate._calls import Call, Caller, backend_identity
from emotive.evaluate._sem import SemBackend
from emotive.evaluate._store import RunStore
from emotive.evaluate._suite import Settings, Suite
from emotive.evaluate._types import Answer, Scored, Task

Progress = Callable[[int], None]


def suites() -> dict[str, type[Suite]]:
    """The named suites, by name."""
    from emotive.evaluate._boundaries import Boundaries
    from emotive.evaluate._emobench import EmoBench
    from emotive.evaluate._hef import Hef
    from emotive.evaluate._stimuli import Stimuli
    from emotive.evaluate._strategy import StrategySuite

    return {s.name: s for s in (EmoBench, Hef, StrategySuite, Stimuli, Boundaries)}


def suite_names() -> list[str]:
    """The names of the suites.

    >>> suite_names()
    ['boundaries', 'emobench', 'hef', 'stimuli', 'strategy']
    """
    return sorted(suites())


def make_suite(settings: Settings) -> Suite:
    known = suites()
    if settings.suite not in known:
        raise ConfigError(f"unknown suite {settings.suite!r}; choose one of: {', '.join(sorted(known))}")
    return known[settings.suite](settings)


def make_backend(name: str | Backend | None, options: Mapping[str, Any]) -> Backend | None:
    """A backend by name; ``sem`` is the small-model baseline of this package."""
    if name is None or isinstance(name, Backend):
        return name
    if name == "sem":
        return SemBackend(**options)
    return get_backend(name, **options)


@dataclass(frozen=True)
class EvalReport:
    """A finished run: the report dict, its Markdown, where they were written, and how many
    questions went to the backend in this process (0 for a rerun from the store)."""

    data: Mapping[str, Any]
    markdown: str
    paths: Mapping[str, Path]
    asked: int

    def metric(self, condition: str, name: str | None = None) -> float | None:
        """The value of a metric (default: the primary one) in a condition."""
        block = self.data["conditions"][condition]["metrics"].get(name or self.data["primary"])
        return None if block is None else block["value"]


def _settings_dict(settings: Settings) -> dict[str, Any]:
    out = asdict(settings)
    out["options"] = {k: v for k, v in sorted(dict(settings.options).items()) if "key" not in k.lower()}
    out["judge_options"] = {k: v for k, v in sorted(dict(settings.judge_options).items()) if "key" not in k.lower()}
    out.pop("concurrency")  # how fast, not what: not part of the run
    return out


def _run_id(settings: Settings, suite: Suite, identity: Mapping[str, Any] | None) -> str:
    raw = json.dumps({"settings": _settings_dict(settings), "modes": suite.modes, "describe": suite.describe(),
                      "backend": identity}, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _calls(tasks: Sequence[Task], settings: Settings, backend: Backend) -> list[tuple[Task, int, Call]]:
    out = []
    for task in tasks:
        if task.fixed is not None:
            continue
        for sample in range(settings.samples):
            extra = {"seed": settings.seed + sample} if backend.name == "openai" else {}
            options = GenerateOptions(max_tokens=settings.max_tokens, temperature=settings.temperature,
                                      plan=task.plan, extra=extra)
            out.append((task, sample, Call(tuple(task.messages), options, sample)))
    return out


def _answers(tasks: Sequence[Task], settings: Settings, caller: Caller | None,
             progress: Progress | None) -> list[tuple[Task, int, Answer]]:
    fixed = [(t, s, Answer(t.fixed, {"source": "safety"})) for t in tasks if t.fixed is not None
             for s in range(settings.samples)]
    if caller is None:
        return fixed
    planned = _calls(tasks, settings, caller.backend)
    answers = caller.answer_all([c for _, _, c in planned], progress)
    return fixed + [(t, s, a) for (t, s, _), a in zip(planned, answers)]


def _judged(suite: Suite, answered: Sequence[tuple[Task, int, Answer]], judge: Caller | None,
            progress: Progress | None) -> list[Answer | None]:
    calls = [suite.judge_call(t, a) if judge is not None else None for t, _, a in answered]
    wanted = [c for c in calls if c is not None]
    if judge is None or not wanted:
        return [None] * len(answered)
    got = iter(judge.answer_all(wanted, progress))
    return [next(got) if c is not None else None for c in calls]


def _describe_backend(backend: Backend | None, scored: Sequence[Scored]) -> dict[str, Any]:
    if backend is None:
        return {"name": None}
    identity = backend_identity(backend)
    opts = identity["options"]
    served = sorted({str(s.answer.metadata["model"]) for s in scored if s.answer.metadata.get("model")})
    model = opts.get("model") or opts.get("path") or identity.get("version")
    return {"name": backend.name, "model": model, "endpoint": opts.get("base_url"), "options": opts,
            "served_models": served}


def _head(suite: Suite, settings: Settings, run_id: str, created: str, backend: Backend | None,
          judge: Backend | None, scored: Sequence[Scored]) -> dict[str, Any]:
    from emotive import __version__

    head = {"suite": suite.name, "run_id": run_id, "created": created, "emotive_version": __version__,
            "backend": _describe_backend(backend, scored), "settings": {**_settings_dict(settings),
                                                                      "modes": list(suite.modes)},
            "data": suite.describe()}
    if judge is not None:
        head["judge"] = {**_describe_backend(judge, []), **getattr(suite, "judge_info", {})}
    return head


def _write(report: Mapping[str, Any], out: Path) -> tuple[str, dict[str, Path]]:
    text = _report.markdown(report)
    paths = {"json": out / "report.json", "markdown": out / "report.md", "html": out / "report.html"}
    page = _html.html(text, f"emotive eval {report['suite']}")
    for kind, content in (("json", _report.dumps(report)), ("markdown", text), ("html", page)):
        with atomic_path(paths[kind]) as tmp:
            Path(tmp).write_text(content, encoding="utf-8")
    return text, paths


def default_out(suite: str, backend: str | Backend | None) -> Path:
    name = backend.name if isinstance(backend, Backend) else (backend or "none")
    return Path("emotive-eval") / f"{suite}-{name}"


def evaluate(suite: str, *, backend: str | Backend | None = "sem", options: Mapping[str, Any] | None = None,
             out: str | os.PathLike[str] | None = None, store: str | os.PathLike[str] | None = None,
             judge: str | Backend | None = None, judge_options: Mapping[str, Any] | None = None,
             progress: Progress | None = None, **settings: Any) -> EvalReport:
    """Run ``suite`` against ``backend`` and write ``report.md``, ``report.html`` (the same,
    as one self-contained page) and ``report.json`` into ``out`` (default
    ``emotive-eval/SUITE-BACKEND``).

    Every request and response goes to the SQLite run store (``store``, default
    ``OUT/runs.sqlite``): a rerun asks only what the store lacks, so an interrupted run
    resumes and a finished one writes the same report again. ``settings``: ``data``,
    ``modes`` (``("guided", "unguided")``...), ``n``, ``seed``, ``samples``, ``temperature``,
    ``max_tokens``, ``concurrency``, ``on``, ``stimuli``, ``builtin_stimuli`` (see
    :class:`Settings`). A failed or nonsensical answer is recorded with its item and counted
    wrong; it never stops the run.

    >>> report = evaluate("emobench", data="EU.jsonl", backend="sem")  # doctest: +SKIP
    >>> report.metric("unguided")  # doctest: +SKIP
    0.5
    """
    known = set(Settings.__dataclass_fields__) - {"suite", "backend", "options", "judge", "judge_options"}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ConfigError(f"unknown setting(s) {unknown}; choose from: {', '.join(sorted(known))}")
    modes = settings.get("modes")
    s = Settings(suite, backend if isinstance(backend, str | None) else backend.name, dict(options or {}),
                 judge=judge if isinstance(judge, str | None) else judge.name, judge_options=dict(judge_options or {}),
                 **{**settings, "modes": tuple(modes) if modes else None})
    s.check()
    the_suite = make_suite(s)
    backend_obj = make_backend(backend, s.options)
    if backend_obj is None and the_suite.needs_backend:
        raise ConfigError(f"the {suite} suite needs a backend: give --backend NAME (sem for the baseline)")
    judge_obj = make_backend(judge, s.judge_options)
    return _run(the_suite, s, backend_obj, judge_obj, Path(out) if out else default_out(suite, backend), store,
                progress)


def _run(suite: Suite, s: Settings, backend: Backend | None, judge: Backend | None, out: Path,
         store_path: str | os.PathLike[str] | None, progress: Progress | None) -> EvalReport:
    if hasattr(suite, "prepare"):
        suite.prepare(backend, judge)
    tasks = suite.tasks()
    identity = backend_identity(backend) if backend is not None else None
    run_id = _run_id(s, suite, identity)
    with RunStore(store_path or out / "runs.sqlite") as store:
        created = store.open_run(run_id, {"settings": _settings_dict(s), "backend": identity})
        caller = Caller(backend, store, run_id, concurrency=s.concurrency) if backend is not None else None
        answered = _answers(tasks, s, caller, progress)
        judge_caller = Caller(judge, store, run_id, concurrency=s.concurrency) if judge is not None else None
        judged = _judged(suite, answered, judge_caller, progress)
    scored = [suite.score(t, a, sample, j) for (t, sample, a), j in zip(answered, judged)]
    report = _report.build(_head(suite, s, run_id, created, backend, judge, scored), scored, suite.primary,
                           s.seed, suite.summary(scored))
    text, paths = _write(report, out)
    asked = (caller.asked if caller else 0) + (judge_caller.asked if judge_caller else 0)
    return EvalReport(report, text, paths, asked)


def replace_settings(settings: Settings, **changes: Any) -> Settings:
    """``settings`` with ``changes`` (for suites that run another suite)."""
    return replace(settings, **changes)
