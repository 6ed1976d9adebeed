"""Fitting the small linear heads (``emotive.models.LinearHead``) on frozen features."""

from __future__ import annotations

import numpy as np

from emotive.models import LinearHead
from emotive.training._base import torch


def standardizer(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    return mean, np.where(scale < 1e-6, 1.0, scale)


def fit_softmax(x: np.ndarray, y: np.ndarray, labels: tuple[str, ...], l2: float,
                balanced: bool = False, iters: int = 200) -> LinearHead:
    """Multinomial logistic regression, full batch L-BFGS, L2 penalty ``l2``."""
    mean, scale = standardizer(x)
    xt = torch.tensor((x - mean) / scale, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.long)
    k = len(labels)
    counts = np.bincount(y, minlength=k).astype(np.float64)
    weight = torch.tensor(len(y) / (k * np.maximum(counts, 1)), dtype=torch.float32) if balanced else None
    w = torch.zeros(x.shape[1], k, requires_grad=True)
    b = torch.zeros(k, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=iters, line_search_fn="strong_wolfe")

    def closure():  # type: ignore[no-untyped-def]
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(xt @ w + b, yt, weight=weight) + l2 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return LinearHead(w.detach().numpy().astype(np.float64), b.detach().numpy().astype(np.float64),
                      mean, scale, labels, True)


def fit_ridge(x: np.ndarray, y: np.ndarray, labels: tuple[str, ...], l2: float) -> LinearHead:
    """Ridge regression in closed form on standardized features."""
    mean, scale = standardizer(x)
    xs = (x - mean) / scale
    ym = y.mean(axis=0)
    a = xs.T @ xs + l2 * len(xs) * np.eye(xs.shape[1])
    w = np.linalg.solve(a, xs.T @ (y - ym))
    return LinearHead(w, ym, mean, scale, labels, False)
