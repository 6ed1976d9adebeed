"""VAD anchors for the GoEmotions labels, derived from data.

For each of the 28 labels: the mean valence, arousal and dominance (EmoBank's 1-5 scale)
that the conversation model's VAD head gives the GoEmotions *train* texts annotated with
that label alone (texts with several labels are left out, so an anchor is not pulled
towards co-occurring labels; a label with fewer than ``min_texts`` such texts falls back
to every text that carries it). No lexicon is copied: the anchors come from EmoBank
(CC-BY-SA 4.0, through the model) applied to GoEmotions (Apache-2.0).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from emotive.datasets import goemotions
from emotive.models import OnnxModel, resolve_model

OUT = Path(__file__).resolve().parents[1] / "taxonomy" / "vad_anchors.json"


def derive(conversation_model: str | os.PathLike[str] | None = None, data: str | None = None,
           min_texts: int = 30) -> dict[str, Any]:
    """The anchors as a JSON-ready dict: ``{"labels": {label: {v, a, d, n, texts}}, ...}``."""
    model = OnnxModel(resolve_model(conversation_model or "emotive.conversation-minilm.v1"))
    rows = list(goemotions.read("train", data))
    vad = model.predict([(r.text, "") for r in rows]).outputs["vad"][:, :3]
    single: dict[str, list[int]] = defaultdict(list)
    anywhere: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        for lab in r.labels:
            anywhere[lab].append(i)
        if len(r.labels) == 1:
            single[r.labels[0]].append(i)
    labels = {}
    for lab in goemotions.labels(data):
        idx, which = (single[lab], "single-label") if len(single[lab]) >= min_texts else (anywhere[lab], "any")
        v, a, d = (round(float(x), 3) for x in np.mean(vad[idx], 0))
        labels[lab] = {"v": v, "a": a, "d": d, "n": len(idx), "texts": which}
    return {"scale": "EmoBank 1-5, 3 = neutral", "model": model.manifest.name,
            "method": "mean predicted VAD of GoEmotions train texts with that label (see "
                      "emotive/training/vad_anchors.py)", "labels": labels}


def write(anchors: dict[str, Any], path: Path = OUT) -> Path:
    path.write_text(json.dumps(anchors, indent=2) + "\n", encoding="utf-8")
    return path
