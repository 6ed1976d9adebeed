"""Bootstrap 95% confidence intervals (percentile method, seeded: the same data and seed
give the same interval on every machine)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

RESAMPLES = 1000
CORPUS_RESAMPLES = 200  # metrics recomputed per resample (Distinct-n, Q, B) are slower


@dataclass(frozen=True)
class Estimate:
    """A value with its bootstrap 95% interval over ``n`` items."""

    value: float | None
    low: float | None
    high: float | None
    n: int

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "low": self.low, "high": self.high, "n": self.n}

    def __str__(self) -> str:
        if self.value is None:
            return "-"
        if self.low is None or self.high is None:
            return f"{self.value:.3f}"
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


def _r(x: float) -> float:
    return round(float(x), 4)


def bootstrap_mean(values: Sequence[float], seed: int = 0, resamples: int = RESAMPLES) -> Estimate:
    """The mean of ``values`` and its bootstrap 95% interval.

    >>> str(bootstrap_mean([1, 0, 1, 1, 0, 1, 1, 1]))
    '0.750 [0.500, 1.000]'
    >>> bootstrap_mean([]).value is None
    True
    """
    x = np.asarray(values, dtype=np.float64)
    if not len(x):
        return Estimate(None, None, None, 0)
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), size=(resamples, len(x)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Estimate(_r(x.mean()), _r(low), _r(high), len(x))


def bootstrap_diff(a: Sequence[float], b: Sequence[float], paired: bool, seed: int = 0,
                   resamples: int = RESAMPLES) -> Estimate:
    """mean(a) - mean(b) with its interval: items resampled together when ``paired``
    (the same items, in the same order), each side on its own otherwise.

    >>> str(bootstrap_diff([1, 1, 1, 0], [0, 1, 0, 0], paired=True))
    '0.500 [0.000, 1.000]'
    """
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if not len(x) or not len(y):
        return Estimate(None, None, None, 0)
    rng = np.random.default_rng(seed)
    if paired:
        if len(x) != len(y):
            raise ValueError("paired samples need the same length")
        idx = rng.integers(0, len(x), size=(resamples, len(x)))
        diffs = (x[idx] - y[idx]).mean(axis=1)
    else:
        diffs = (x[rng.integers(0, len(x), size=(resamples, len(x)))].mean(axis=1)
                 - y[rng.integers(0, len(y), size=(resamples, len(y)))].mean(axis=1))
    low, high = np.percentile(diffs, [2.5, 97.5])
    return Estimate(_r(x.mean() - y.mean()), _r(low), _r(high), min(len(x), len(y)))


def bootstrap_stat(n: int, stat: Callable[[np.ndarray], float], seed: int = 0,
                   resamples: int = CORPUS_RESAMPLES) -> Estimate:
    """A statistic of ``n`` items computed on all of them (``stat(np.arange(n))``) and on
    resamples of their indices, for metrics that are not means (Distinct-n, macro-F1, B).

    >>> values = np.array([3.0, 1.0, 2.0])
    >>> bootstrap_stat(3, lambda idx: float(values[idx].max())).value
    3.0
    """
    if n == 0:
        return Estimate(None, None, None, 0)
    rng = np.random.default_rng(seed)
    stats = [stat(rng.integers(0, n, size=n)) for _ in range(resamples)]
    low, high = np.percentile(stats, [2.5, 97.5])
    return Estimate(_r(stat(np.arange(n))), _r(low), _r(high), n)


def bootstrap_stats(n: int, stats: Callable[[np.ndarray], dict[str, float]], seed: int = 0,
                    resamples: int = CORPUS_RESAMPLES) -> dict[str, Estimate]:
    """Like :func:`bootstrap_stat` for several statistics computed together per resample.

    >>> v = np.array([1.0, 2.0, 3.0])
    >>> bootstrap_stats(3, lambda idx: {"max": float(v[idx].max()), "min": float(v[idx].min())})["min"].value
    1.0
    """
    if n == 0:
        return {}
    rng = np.random.default_rng(seed)
    runs = [stats(rng.integers(0, n, size=n)) for _ in range(resamples)]
    whole = stats(np.arange(n))
    out = {}
    for key, value in whole.items():
        low, high = np.nanpercentile([r[key] for r in runs], [2.5, 97.5])
        out[key] = Estimate(_r(value), _r(low), _r(high), n)
    return out
