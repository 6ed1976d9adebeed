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
    heads = "\n".join(f"- `{name}`: {len(h['labels'])} labels, {h['activation']}"
                      for name, h in manifest["heads"].items())
    metrics = "\n".join(f"| {k} | {v} |" for k, v in m.items() if isinstance(v, (int, float)))
    per = m.get("per_label_f1", {})
    per_rows = "\n".join(f"| {k} | {v} |" for k, v in sorted(per.items(), key=lambda kv: -kv[1]))
    training = ", ".join(f"{k}={v}" for k, v in manifest.get("training", {}).items())
    text = f"""# {manifest['name']} (version {manifest['version']})

{manifest.get('task', '')}: int8 ONNX, fine-tuned from {manifest['base']}.
Inputs are truncated to {manifest['max_length']} tokens. Inference needs onnxruntime,
tokenizers and numpy only.

## Heads
{heads}

## Training data
{data}

Training settings: {training}.
Thresholds: one per label, tuned on the dev split with this int8 graph.

## Test metrics ({m.get('split', 'test split')}, measured once)
| metric | value |
|---|---|
{metrics}

{"## Per-label F1" + chr(10) + "| label | F1 |" + chr(10) + "|---|---|" + chr(10) + per_rows if per_rows else ""}

{notes}
Reproduce: `{command}` (needs `pip install 'emotive[train]'`).
"""
    (folder / "README.md").write_text(text, encoding="utf-8")
