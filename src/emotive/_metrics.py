"""Classification metrics in numpy (no scikit-learn at run time)."""

from __future__ import annotations

import numpy as np


def f1_per_label(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """F1 of each column of two boolean matrices ``(n, labels)``; 0 where undefined."""
    yt, yp = y_true.astype(bool), y_pred.astype(bool)
    tp = (yt & yp).sum(0).astype(float)
    denom = yt.sum(0) + yp.sum(0)
    return np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)


def micro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Micro-averaged F1 over all cells of two boolean matrices."""
    yt, yp = y_true.astype(bool), y_pred.astype(bool)
    tp = float((yt & yp).sum())
    denom = float(yt.sum() + yp.sum())
    return 2 * tp / denom if denom else 0.0


def tune_thresholds(y_true: np.ndarray, probs: np.ndarray,
                    grid: np.ndarray | None = None) -> np.ndarray:
    """Per-label threshold that maximizes that label's F1 on ``(y_true, probs)``."""
    grid = np.arange(0.02, 0.96, 0.01) if grid is None else grid
    best = np.full(probs.shape[1], 0.5)
    best_f1 = np.full(probs.shape[1], -1.0)
    for t in grid:
        f1 = f1_per_label(y_true, probs >= t)
        better = f1 > best_f1
        best[better], best_f1[better] = t, f1[better]
    return np.round(best, 2)


def predict_multilabel(probs: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Labels over their threshold; a row with none gets its top label (never empty)."""
    pred = probs >= thresholds
    empty = ~pred.any(1)
    pred[empty, probs[empty].argmax(1)] = True
    return pred


def expected_calibration_error(y_true: np.ndarray, probs: np.ndarray, bins: int = 10) -> float:
    """ECE over every (text, label) cell: mean |accuracy - confidence| weighted by bin size."""
    p, y = probs.ravel(), y_true.ravel().astype(float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        sel = which == b
        if sel.any():
            ece += sel.mean() * abs(y[sel].mean() - p[sel].mean())
    return float(ece)


def single_label_scores(gold: np.ndarray, pred: np.ndarray, labels: tuple[str, ...],
                        neutral: str = "neutral") -> dict[str, float]:
    """Accuracy, weighted-F1, macro-F1 and micro-F1 without ``neutral`` (DailyDialog's
    usual metric) of class-index predictions."""
    y = np.eye(len(labels), dtype=bool)[gold]
    p = np.eye(len(labels), dtype=bool)[pred]
    per = f1_per_label(y, p)
    support = y.sum(0)
    keep = [i for i, lab in enumerate(labels) if lab != neutral]
    return {
        "n": int(len(gold)),
        "accuracy": float((gold == pred).mean()),
        "weighted_f1": float((per * support).sum() / max(1, support.sum())),
        "macro_f1": float(per.mean()),
        "micro_f1_without_neutral": micro_f1(y[:, keep], p[:, keep]),
    }


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson's r of two vectors."""
    x, y = x - x.mean(), y - y.mean()
    denom = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / denom) if denom else 0.0


def bradley_terry(confusion: np.ndarray, iters: int = 1000, tol: float = 1e-10) -> np.ndarray:
    """Preference strengths from a confusion matrix (rows: predicted, columns: gold).

    Predicting ``i`` where the gold label is ``j`` counts as ``i`` winning over ``j``
    (Kang et al. 2024, "Can Large Language Models be Good Emotional Supporter?"). Strengths
    come from Hunter's (2004) MM iterations and are scaled to mean 1; a label that never
    wins or never loses gets a small floor so every strength stays finite.

    >>> bradley_terry(np.array([[5, 4], [1, 5]])).round(2).tolist()
    [1.58, 0.42]
    """
    w = np.asarray(confusion, dtype=np.float64).copy()
    np.fill_diagonal(w, 0.0)
    w = w + 0.1  # smoothing: every pair has been compared a little
    np.fill_diagonal(w, 0.0)
    n = w + w.T
    wins = w.sum(axis=1)
    p = np.ones(len(w))
    for _ in range(iters):
        denom = (n / (p[:, None] + p[None, :])).sum(axis=1)
        new = wins / denom
        new = new / new.mean()
        if np.abs(new - p).max() < tol:
            p = new
            break
        p = new
    return p


def preference_bias(confusion: np.ndarray) -> float:
    """B: the standard deviation of the Bradley-Terry preference strengths (0 = no bias).

    >>> round(preference_bias(np.array([[5, 1], [1, 5]])), 4)
    0.0
    """
    return float(np.std(bradley_terry(confusion)))


def distinct_n(texts: list[str], n: int) -> float:
    """Distinct-n (Li et al. 2016): distinct n-grams / all n-grams over all texts, on
    lowercased whitespace tokens.

    >>> distinct_n(["i am fine", "i am sad"], 1)
    0.6667
    """
    grams = [tuple(toks[i:i + n]) for t in texts for toks in [t.lower().split()]
             for i in range(len(toks) - n + 1)]
    return round(len(set(grams)) / len(grams), 4) if grams else 0.0
