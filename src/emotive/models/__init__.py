"""The small emotion models: directory format, registry of shipped models, ONNX runtime."""

from __future__ import annotations

from emotive.models._manifest import Head, Manifest, load_manifest
from emotive.models._registry import DEFAULT, resolve_model, shipped_models
from emotive.models._runtime import OnnxModel, Prediction

__all__ = ["DEFAULT", "Head", "Manifest", "OnnxModel", "Prediction", "load_manifest",
           "resolve_model", "shipped_models"]
