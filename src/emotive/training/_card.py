"""The model card (README.md) of a model directory, rendered from its manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def write_card(folder: Path, manifest: dict[str, Any], notes: str = "",
               command: str = "emotive train goemotions") -> None:
    """Write ``folder/README.md`` from the manifest's facts (nothing typed by hand)."""
    m = manifest.get("metrics", {})
    data = "\n".join(f"- {d['name']} ({d.get('source', '')}): license {d['license']}"
                     f"{'' if d.get('commercial_use', True) else ' (non-commercial)'}"
                     for d in manifest["data"])
    heads = "\n".join(f"- `{name}`: {h['dim'] if h.get('dim') else len(h['labels'])} "
                      f"{'dimensions' if h.get('dim') else 'labels'}, {h['activation']}"
                      for name, h in manifest["heads"].items())
    metrics = "\n".join(f"| {k} | {v} |" for k, v in _flat(m).items() if isinstance(v, (int, float)))
    how = manifest.get("derivation", f"fine-tuned from {manifest['base']}")
    thresholds = ("Thresholds: one per label, tuned on the dev split with this int8 graph."
                  if any(h.get("thresholds") for h in manifest["heads"].values()) else "")
    per = m.get("per_label_f1", {})
    per_rows = "\n".join(f"| {k} | {v} |" for k, v in sorted(per.items(), key=lambda kv: -kv[1]))
    training = ", ".join(f"{k}={v}" for k, v in manifest.get("training", {}).items())
    text = f"""# {manifest['name']} (version {manifest['version']})

{manifest.get('task', '')}: int8 ONNX, {how}.
Inputs are truncated to {manifest['max_length']} tokens. Inference needs onnxruntime,
tokenizers and numpy only.

## Heads
{heads}

## Training data
{data}

Training settings: {training}.
{thresholds}

## Test metrics ({m.get('split', 'test split')}, measured once)
| metric | value |
|---|---|
{metrics}

{"## Per-label F1" + chr(10) + "| label | F1 |" + chr(10) + "|---|---|" + chr(10) + per_rows if per_rows else ""}

{notes}
Reproduce: `{command}` (needs `pip install 'emotive[train]'`).
"""
    (folder / "README.md").write_text(text, encoding="utf-8")


def refresh_test_metrics(folder: Path) -> None:
    """Rewrite the card's test-metric table from the manifest (after a re-measure); the rest
    of the card is kept."""
    import json
    import re

    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get("metrics", {})
    rows = "".join(f"| {k} | {v} |\n" for k, v in _flat(m).items() if isinstance(v, (int, float)))
    card = folder / "README.md"
    table = r"(## Test metrics \([^\n]*\)\n\| metric \| value \|\n\|---\|---\|\n)(?:\|.*\|\n)+"
    card.write_text(re.sub(table, lambda mt: mt.group(1) + rows, card.read_text(encoding="utf-8")),
                    encoding="utf-8")


def _flat(metrics: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested metric dicts as ``outer.inner`` keys; lists as ``key[i]``."""
    out: dict[str, Any] = {}
    for k, v in metrics.items():
        if k == "per_label_f1":
            continue
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flat(v, key + "."))
        elif isinstance(v, list):
            out.update({f"{key}[{i}]": x for i, x in enumerate(v)})
        else:
            out[key] = v
    return out
