"""``emotive models``: the shipped models, their metrics and data licenses."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table


def models_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifests' facts as JSON.")] = False,
) -> None:
    """List the shipped models with their test metrics and training-data licenses."""
    from emotive.models import shipped_models

    rows = [_facts(m) for m in shipped_models()]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table()
    for col in ("name", "version", "heads", "test metrics", "data (license)", "commercial use"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], r["version"], r["heads"], r["metrics"], r["data"],
                      "yes" if r["commercial_use"] else "no (non-commercial data)")
    Console().print(table)


HEADLINE = ("macro_f1", "micro_f1", "meld_test_weighted_f1", "dailydialog_test_micro_f1",
            "emobank_test_r_v", "ed32_test_accuracy_situation")


def _facts(m) -> dict:  # type: ignore[no-untyped-def]
    flat = {k: v for k, v in m.metrics.items() if isinstance(v, (int, float))}
    if "reccon_dd_test" in m.metrics:
        flat["reccon_cee_macro_f1"] = m.metrics["reccon_dd_test"]["cee_macro_f1"]
    for key in ("strategy_test_guarded", "peld_test"):
        for name, value in m.metrics.get(key, {}).items():
            if name in ("accuracy", "macro_f1", "preference_bias_b"):
                flat[f"{key}_{name}"] = value
    shown = {k: v for k, v in flat.items() if k in HEADLINE or k.startswith(("reccon", "strategy", "peld"))} or flat
    metrics = ", ".join(f"{k} {v}" for k, v in shown.items())
    return {
        "name": m.name, "version": m.version, "path": str(m.path),
        "heads": ", ".join([f"{n} ({h.dim} dims)" if h.dim else f"{n} ({len(h.labels)} labels)"
                            for n, h in m.heads.items()]
                           + [k for k in m.files if k not in ("model", "tokenizer", "emoji")]),
        "metrics": metrics or "-",
        "data": ", ".join(f"{d['name']} ({d['license']})" for d in m.data) or "-",
        "commercial_use": m.commercial_use,
    }
