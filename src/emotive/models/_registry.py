"""Shipped model directories, found by name or path."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from emotive._errors import ModelError
from emotive.models._manifest import MANIFEST, Manifest, load_manifest

DEFAULT = "emotive.goemotions-minilm.v1"


def shipped_dir() -> Path:
    """The folder inside the installed package that holds the model directories."""
    return Path(str(resources.files("emotive.models")))


def shipped_models() -> list[Manifest]:
    """Manifests of every model shipped with the package, sorted by name."""
    found = [load_manifest(p) for p in sorted(shipped_dir().iterdir())
             if (p / MANIFEST).is_file()]
    return sorted(found, key=lambda m: m.name)


def resolve_model(name_or_path: str | os.PathLike[str] | None = None) -> Manifest:
    """A model by registry name (``emotive.goemotions-minilm.v1``) or directory path.

    >>> resolve_model().name
    'emotive.goemotions-minilm.v1'
    """
    key = DEFAULT if name_or_path is None else name_or_path
    path = Path(key)
    if (path / MANIFEST).is_file():
        return load_manifest(path)
    models = shipped_models()
    for m in models:
        if str(key) in (m.name, m.path.name):
            return m
    names = ", ".join(m.name for m in models) or "none shipped"
    raise ModelError(f"unknown model {str(key)!r}: not a model directory and not a shipped "
                     f"model ({names})")
