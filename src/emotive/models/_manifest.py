"""The model directory format: ``manifest.json`` + ``model.onnx`` + ``tokenizer.json``.

A manifest names the model, its heads (labels, activation, thresholds), the tokenizer and
maximum length, the measured metrics, the training data with licenses, and the sha256 of
every file, so a directory describes itself (sentence-transformers ``modules.json`` idea).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emotive._errors import ModelError
from emotive._files import atomic_write

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Head:
    """One output of the graph: its labels, ``sigmoid`` (multi-label) or ``softmax``; or an
    ``embedding`` of ``dim`` numbers (no labels); or per-token ``token`` logits."""

    name: str
    labels: tuple[str, ...]
    activation: str = "sigmoid"
    thresholds: tuple[float, ...] = ()
    dim: int = 0

    @property
    def size(self) -> int:
        """Width of the output: ``dim`` for an embedding, else the number of labels."""
        return self.dim or len(self.labels)

    def threshold_of(self, label: str) -> float:
        return self.thresholds[self.labels.index(label)] if self.thresholds else 0.5


@dataclass(frozen=True)
class Manifest:
    """A parsed ``manifest.json``."""

    path: Path
    name: str
    version: str
    max_length: int
    heads: dict[str, Head]
    files: dict[str, str]
    metrics: dict[str, Any] = field(default_factory=dict)
    data: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def commercial_use(self) -> bool:
        """False when any training corpus forbids commercial use."""
        return all(d.get("commercial_use", True) for d in self.data)

    def file(self, key: str) -> Path:
        return self.path / self.files[key]


def load_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Read and check a model directory's manifest.

    >>> load_manifest("does/not/exist")
    Traceback (most recent call last):
    ...
    emotive._errors.ModelError: no model directory at does/not/exist (expected does/not/exist/manifest.json)
    """
    folder = Path(path)
    mpath = folder / MANIFEST
    if not mpath.exists():
        raise ModelError(f"no model directory at {folder} (expected {mpath})")
    try:
        raw = json.loads(mpath.read_text(encoding="utf-8"))
        heads = {
            name: Head(name, tuple(h.get("labels", ())), h.get("activation", "sigmoid"),
                       tuple(float(t) for t in h.get("thresholds", ())), int(h.get("dim", 0)))
            for name, h in raw["heads"].items()
        }
        known = {"name", "version", "max_length", "heads", "files", "metrics", "data", "sha256"}
        return Manifest(
            path=folder, name=raw["name"], version=str(raw["version"]),
            max_length=int(raw["max_length"]), heads=heads, files=dict(raw["files"]),
            metrics=raw.get("metrics", {}), data=raw.get("data", []),
            extra={k: v for k, v in raw.items() if k not in known},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{mpath} is malformed: {exc}") from exc


def write_manifest(folder: Path, content: dict[str, Any]) -> None:
    """Write ``manifest.json`` with the sha256 of every file it names."""
    from hashlib import sha256

    content = dict(content)
    content["sha256"] = {
        rel: sha256((folder / rel).read_bytes()).hexdigest() for rel in content["files"].values()
    }
    with atomic_write(folder / MANIFEST) as fh:
        fh.write(json.dumps(content, indent=2, ensure_ascii=False) + "\n")
