"""``compare``: two runs side by side, each difference with its bootstrap interval (paired
over the items both runs answered)."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from emotive._errors import InputError
from emotive.evaluate._report import FORMAT, table
from emotive.evaluate._stats import Estimate, bootstrap_diff


def load_report(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A run's ``report.json`` (give the file or the run's folder)."""
    p = Path(path).expanduser()
    file = p / "report.json" if p.is_dir() else p
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"no report at {str(file)!r}; give a run folder or its report.json") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read the report ({exc})", source=str(file)) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"not an emotive eval report (format {FORMAT} expected)", source=str(file))
    return data


def _values(report: Mapping[str, Any], condition: str, value: str) -> dict[str, float]:
    acc: dict[str, list[float]] = defaultdict(list)
    for t in report["transcripts"]:
        if t["condition"] == condition and value in t["values"]:
            acc[t["item"]].append(float(t["values"][value]))
    return {k: sum(v) / len(v) for k, v in acc.items()}


def compare(run_a: str | os.PathLike[str], run_b: str | os.PathLike[str], seed: int = 0) -> dict[str, Any]:
    """Each condition's metrics of run A and run B and A - B with its interval (paired on
    the common items; unpaired when they share none). ``markdown`` holds the table.

    >>> compare("emotive-eval/emobench-openai", "emotive-eval/emobench-sem")["rows"][0]["diff"]  # doctest: +SKIP
    {'value': 0.31, 'low': 0.19, 'high': 0.43, 'n': 64}
    """
    a, b = load_report(run_a), load_report(run_b)
    rows = []
    for cond in [c for c in a["conditions"] if c in b["conditions"]]:
        names = sorted(set(a["conditions"][cond]["metrics"]) & set(b["conditions"][cond]["metrics"]))
        for name in names:
            va, vb = _values(a, cond, name), _values(b, cond, name)
            common = sorted(set(va) & set(vb))
            if common:
                diff = bootstrap_diff([va[i] for i in common], [vb[i] for i in common], paired=True, seed=seed)
            else:
                diff = bootstrap_diff(list(va.values()), list(vb.values()), paired=False, seed=seed)
            rows.append({"condition": cond, "metric": name, "a": a["conditions"][cond]["metrics"][name],
                         "b": b["conditions"][cond]["metrics"][name], "diff": diff.to_dict(),
                         "paired_items": len(common)})
    out = {"a": _who(a, run_a), "b": _who(b, run_b), "rows": rows}
    out["markdown"] = _markdown(out)
    return out


def _who(report: Mapping[str, Any], path: str | os.PathLike[str]) -> dict[str, Any]:
    return {"path": str(path), "suite": report["suite"], "run_id": report["run_id"],
            "backend": report["backend"].get("name"), "model": report["backend"].get("model")}


def _est(d: Mapping[str, Any]) -> str:
    return str(Estimate(d.get("value"), d.get("low"), d.get("high"), int(d.get("n") or 0)))


def _markdown(out: Mapping[str, Any]) -> str:
    a, b = out["a"], out["b"]
    head = [f"# A: {a['suite']} {a['backend']} ({a['model'] or '-'}, run {a['run_id']}) vs "
            f"B: {b['suite']} {b['backend']} ({b['model'] or '-'}, run {b['run_id']})", ""]
    rows = [[r["condition"], r["metric"], _est(r["a"]), _est(r["b"]), _est(r["diff"]), r["paired_items"]]
            for r in out["rows"]]
    body = table(["condition", "metric", "A", "B", "A - B [95% CI]", "paired items"], rows)
    note = ["", "Intervals: bootstrap 95%, paired over the items both runs answered."]
    return "\n".join([*head, *body, *note]) + "\n"
