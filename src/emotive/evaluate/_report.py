"""The report of a run: a JSON-ready dict built from the scored answers, and its Markdown.

Everything in it is a function of the settings, the data and the stored answers (the date
is the run's first start), so a rerun from the store writes the same bytes.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from emotive.evaluate._stats import Estimate, bootstrap_diff, bootstrap_mean
from emotive.evaluate._types import GUIDED, UNGUIDED, Scored

FORMAT = "emotive.eval-report.v1"


def per_item(scored: Sequence[Scored], condition: str, value: str) -> dict[str, float]:
    """Each item's ``value`` in ``condition``, averaged over its samples (never the best)."""
    acc: dict[str, list[float]] = defaultdict(list)
    for s in scored:
        if s.task.condition == condition and value in s.values:
            acc[s.task.item].append(float(s.values[value]))
    return {item: sum(v) / len(v) for item, v in sorted(acc.items())}


def condition_block(scored: Sequence[Scored], condition: str, seed: int) -> dict[str, Any]:
    """The metrics of one condition: every per-item value's mean with its interval, the
    primary value per category, and the failures and unparsable answers."""
    mine = [s for s in scored if s.task.condition == condition]
    names = sorted({k for s in mine for k in s.values})
    metrics = {name: bootstrap_mean(list(per_item(mine, condition, name).values()), seed).to_dict()
               for name in names}
    return {"items": len({s.task.item for s in mine}), "answers": len(mine),
            "failed": sum(s.note in ("failed", "judge failed") for s in mine),
            "unparsable": sum((s.note or "").startswith("unparsable") for s in mine),
            "metrics": metrics, "categories": _categories(mine, names, seed)}


def _categories(mine: Sequence[Scored], names: Sequence[str], seed: int) -> dict[str, Any]:
    groups: dict[str, list[Scored]] = defaultdict(list)
    for s in mine:
        for c in s.task.categories:
            groups[c].append(s)
    out = {}
    for cat, group in sorted(groups.items()):
        cond = group[0].task.condition
        out[cat] = {name: bootstrap_mean(list(per_item(group, cond, name).values()), seed).to_dict()
                    for name in names}
    return out


def differences(scored: Sequence[Scored], primary: str, seed: int,
                pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """``a - b`` of the primary value for each pair of conditions, paired on common items."""
    out = {}
    for a, b in pairs:
        va, vb = per_item(scored, a, primary), per_item(scored, b, primary)
        common = sorted(set(va) & set(vb))
        if common:
            est = bootstrap_diff([va[i] for i in common], [vb[i] for i in common], paired=True, seed=seed)
            out[f"{a} - {b}"] = est.to_dict()
    return out


def transcript(s: Scored) -> dict[str, Any]:
    t = s.task
    return {"item": t.item, "condition": t.condition, "sample": s.sample,
            "messages": [dict(m) for m in t.messages], "answer": s.answer.text, "metadata": dict(s.answer.metadata),
            "error": s.answer.error, "parsed": s.parsed, "gold": t.gold, "values": dict(s.values), "note": s.note,
            "judge": dict(s.judge) if s.judge is not None else None, "categories": list(t.categories),
            "meta": dict(t.meta), "fixed": t.fixed is not None}


def build(head: Mapping[str, Any], scored: Sequence[Scored], primary: str, seed: int,
          extra: Mapping[str, Any]) -> dict[str, Any]:
    """The whole report dict."""
    conditions = list(dict.fromkeys(s.task.condition for s in scored))
    pairs = [(GUIDED, UNGUIDED)] if {GUIDED, UNGUIDED} <= set(conditions) else []
    ordered = sorted(scored, key=lambda s: (s.task.item, conditions.index(s.task.condition), s.sample))
    return {"format": FORMAT, **head, "primary": primary,
            "conditions": {c: condition_block(scored, c, seed) for c in conditions},
            "differences": differences(scored, primary, seed, pairs), **extra,
            "transcripts": [transcript(s) for s in ordered]}


def dumps(report: Mapping[str, Any]) -> str:
    """The report as JSON text (sorted keys: the same report gives the same bytes)."""
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


# -- Markdown ----------------------------------------------------------------------------


def _est(d: Mapping[str, Any] | None) -> str:
    if not d:
        return "-"
    return str(Estimate(d.get("value"), d.get("low"), d.get("high"), int(d.get("n") or 0)))


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """A GitHub Markdown table as lines."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    return lines + ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]


def _head_lines(r: Mapping[str, Any]) -> list[str]:
    b = r["backend"]
    lines = [f"# emotive eval {r['suite']}: {b.get('name')} ({b.get('model') or '-'})", "",
             f"Run `{r['run_id']}`, first started {r['created']}; emotive {r['emotive_version']}.", "",
             f"- Backend: `{b.get('name')}`, model `{b.get('model') or '-'}`, endpoint `{b.get('endpoint') or '-'}`",
             f"- Models that answered: {', '.join(b.get('served_models') or []) or '-'}",
             f"- Settings: `{json.dumps(r['settings'], sort_keys=True)}`"]
    if r.get("judge"):
        j = r["judge"]
        lines.append(f"- Judge: `{j.get('name')}` model `{j.get('model') or '-'}`, prompt `{j.get('prompt_version')}`")
    if r.get("data"):
        lines.append(f"- Data: `{json.dumps(r['data'], sort_keys=True)}`")
    lines.append(f"- Intervals: bootstrap 95% over items ({r['primary']} per item averaged over samples, seed "
                 f"{r['settings'].get('seed')})")
    return lines


def _metric_lines(r: Mapping[str, Any]) -> list[str]:
    conds = r["conditions"]
    names = sorted({n for c in conds.values() for n in c["metrics"]})
    rows = [[c, v["items"], *(_est(v["metrics"].get(n)) for n in names), v["failed"], v["unparsable"]]
            for c, v in conds.items()]
    lines = ["", "## Results", "", *table(["condition", "items", *names, "failed", "unparsable"], rows)]
    for label, d in r.get("differences", {}).items():
        lines += ["", f"Difference {label} ({r['primary']}, paired): {_est(d)}"]
    cats = sorted({k for c in conds.values() for k in c["categories"]})
    if cats:
        rows = [[k, *(_est(conds[c]["categories"].get(k, {}).get(r["primary"])) for c in conds)] for k in cats]
        lines += ["", f"### {r['primary']} per category", "", *table(["category", *conds], rows)]
    return lines


def _extra_lines(r: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    for key, title in (("suite_metrics", "Suite metrics"), ("reference", "Reference predictors (no backend)"),
                       ("effects", "Effect of each stimulus"), ("safety", "emotive's safety step on these items")):
        block = r.get(key)
        if not block:
            continue
        names = sorted({n for v in block.values() if isinstance(v, dict) for n in v})
        rows = [[k, *(_est(v.get(n)) if isinstance(v.get(n), dict) else v.get(n, "-") for n in names)]
                for k, v in block.items() if isinstance(v, dict)]
        lines += ["", f"## {title}", "", *table(["", *names], rows)]
    for note in r.get("notes", []):
        lines += ["", f"Note: {note}"]
    return lines


def _fenced(text: str) -> list[str]:
    """``text`` in a code block whose fence is longer than any run of backticks in it."""
    runs = [len(m) for m in re.findall(r"`+", text)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return [f"{fence}text", text, fence]


def _transcript_lines(r: Mapping[str, Any]) -> list[str]:
    lines = ["", "## Transcripts", ""]
    for t in r["transcripts"]:
        status = t["error"] and f"failed: {t['error']}" or t["note"] or ""
        lines += [f"### {t['item']} · {t['condition']} · sample {t['sample']}", "",
                  f"gold: `{t['gold']}` · parsed: `{t['parsed']}` · values: `{json.dumps(t['values'], sort_keys=True)}`"
                  + (f" · {status}" if status else ""), ""]
        for m in t["messages"]:
            lines += [f"**{m['role']}**", "", *_fenced(m["content"]), ""]
        lines += ["**answer**" + (" (emotive's safety step; no backend call)" if t.get("fixed") else ""), "",
                  *_fenced(t["answer"] if t["answer"] is not None else "(none)"), ""]
        if t.get("judge"):
            lines += ["**judge**", "", *_fenced(str(t["judge"].get("answer"))), ""]
    return lines


def markdown(r: Mapping[str, Any]) -> str:
    """The report as Markdown: settings, results with intervals, categories, transcripts."""
    return "\n".join([*_head_lines(r), *_metric_lines(r), *_extra_lines(r), *_transcript_lines(r)]).rstrip() + "\n"
