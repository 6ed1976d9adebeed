"""Recipes that reproduce the shipped models from ../shared/data (extra ``[train]``).

Each recipe is a submodule (``emotive.training.goemotions``, ``.conversation``,
``.respond``, ``.vad_anchors``) imported on its own; importing this package loads no torch.
"""

from __future__ import annotations

from emotive.training._config import TrainConfig

__all__ = ["TrainConfig"]
