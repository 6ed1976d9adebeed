"""Small linear heads on frozen sentence embeddings, stored as ``.npz`` in a model directory.

A head standardizes its input (``mean``, ``scale``), then applies ``weight`` and ``bias``:
``softmax`` over ``labels`` for a classifier, or raw outputs for a regressor.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emotive._errors import ModelError


@dataclass(frozen=True)
class LinearHead:
    """``y = ((x - mean) / scale) @ weight + bias``, softmax-ed for classifiers."""

    weight: np.ndarray  # (features, outputs)
    bias: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    labels: tuple[str, ...]
    softmax: bool = True

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Outputs for a ``(n, features)`` array (probabilities for a classifier).

        >>> h = LinearHead(np.eye(2), np.zeros(2), np.zeros(2), np.ones(2), ("a", "b"))
        >>> h(np.array([[2.0, 0.0]])).round(2).tolist()
        [[0.88, 0.12]]
        """
        z = ((np.asarray(x, dtype=np.float64) - self.mean) / self.scale) @ self.weight + self.bias
        if not self.softmax:
            return z
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def save(self, path: str | os.PathLike[str]) -> None:
        np.savez(path, weight=self.weight, bias=self.bias, mean=self.mean, scale=self.scale,
                 labels=np.array(self.labels), softmax=np.array(self.softmax))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> LinearHead:
        try:
            with np.load(Path(path)) as f:
                return cls(f["weight"], f["bias"], f["mean"], f["scale"],
                           tuple(str(x) for x in f["labels"]), bool(f["softmax"]))
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(f"cannot load the head {path}: {exc}") from None
