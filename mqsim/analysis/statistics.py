"""Statistics of simulation output: Student-t confidence intervals, running (sequential)
intervals, batch means and autocorrelation. Pure functions of arrays of values.
"""

from __future__ import annotations

import importlib
import math
import sys
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["confidence_interval", "running_ci", "replications_needed", "naive_ci", "batch_means", "autocorrelation",
           "preload"]


def _t_quantile(confidence: float, df: np.ndarray | int) -> Any:
    from scipy import stats

    if not 0 < confidence < 1:
        raise ValueError(f"confidence: must be in (0, 1), got {confidence!r}")
    return stats.t.ppf(0.5 + confidence / 2, df)


def running_ci(values: Iterable[float], confidence: float = 0.95) -> "pd.DataFrame":
    """Student-t interval for the mean of the first n values, for n = 2 .. len(values).

    Columns: n, mean, ci_low, ci_high, half_width (in the values' unit). Row n uses only the
    first n values, as if the experiment had stopped there.
    """
    import pandas as pd

    x = np.asarray(list(values), dtype=float)
    if x.size < 2 or not np.all(np.isfinite(x)):
        raise ValueError("running_ci: needs at least two values, all finite")
    n = np.arange(1, x.size + 1)
    mean = np.cumsum(x) / n
    # running sample variance (Welford would be overkill at these sizes; shift by x[0] for accuracy)
    d = x - x[0]
    s1, s2 = np.cumsum(d), np.cumsum(d * d)
    var = np.full(x.size, np.nan)
    var[1:] = np.maximum(s2[1:] - s1[1:] ** 2 / n[1:], 0.0) / (n[1:] - 1)
    h = np.full(x.size, np.nan)
    h[1:] = _t_quantile(confidence, n[1:] - 1) * np.sqrt(var[1:] / n[1:])
    return pd.DataFrame({"n": n, "mean": mean, "ci_low": mean - h, "ci_high": mean + h, "half_width": h}).iloc[1:] \
        .reset_index(drop=True)


def replications_needed(values: Sequence[float] | np.ndarray, target_half_width: float,
                        confidence: float = 0.95) -> int | None:
    """Smallest n >= 2 such that the Student-t ``confidence`` interval over the first n values has
    half-width <= ``target_half_width`` (same unit as the values); None if no prefix reaches it."""
    if not (isinstance(target_half_width, (int, float)) and target_half_width > 0):
        raise ValueError(f"target_half_width: must be a number > 0, got {target_half_width!r}")
    rc = running_ci(values, confidence)
    ok = np.nonzero(rc["half_width"].to_numpy() <= target_half_width)[0]
    return int(rc["n"].iloc[ok[0]]) if ok.size else None



def naive_ci(x: Iterable[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high) treating the observations as independent. Wrong for the successive waits
    of one run, which are positively correlated: the interval comes out far too narrow. Shown
    only as the mistake that :func:`batch_means` corrects."""
    a = np.asarray(list(x), dtype=float)
    if a.size < 2:
        raise ValueError("naive_ci: needs at least two observations")
    m = float(a.mean())
    h = float(_t_quantile(confidence, a.size - 1) * a.std(ddof=1) / math.sqrt(a.size))
    return m, m - h, m + h


def batch_means(x: Iterable[float], n_batches: int = 20, confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): the batch-means interval from ONE long run.

    The observations (in time order, warm-up already removed) are cut into ``n_batches``
    consecutive batches of equal size (a remainder at the start is dropped); if the batches are
    long compared with the correlation time, their means are nearly independent and a Student-t
    interval over them is valid.
    """
    a = np.asarray(list(x), dtype=float)
    if isinstance(n_batches, bool) or not isinstance(n_batches, (int, np.integer)) or n_batches < 2:
        raise ValueError(f"n_batches: must be an integer >= 2, got {n_batches!r}")
    size = a.size // n_batches
    if size < 1:
        raise ValueError(f"batch_means: {a.size} observations cannot fill {n_batches} batches")
    b = a[a.size - size * n_batches:].reshape(n_batches, size).mean(axis=1)
    m = float(b.mean())
    h = float(_t_quantile(confidence, n_batches - 1) * b.std(ddof=1) / math.sqrt(n_batches))
    return m, m - h, m + h



def autocorrelation(x: Iterable[float], max_lag: int = 50) -> np.ndarray:
    """Sample autocorrelation r_k of the sequence ``x`` for lags k = 0..max_lag (r_0 = 1)."""
    a = np.asarray(list(x), dtype=float)
    if isinstance(max_lag, bool) or not isinstance(max_lag, (int, np.integer)) or max_lag < 0:
        raise ValueError(f"max_lag: must be an integer >= 0, got {max_lag!r}")
    if a.size <= max_lag + 1:
        raise ValueError(f"autocorrelation: needs more than max_lag + 1 = {max_lag + 1} observations")
    d = a - a.mean()
    v = float(d @ d)
    if v == 0:
        raise ValueError("autocorrelation: the sequence is constant")
    return np.array([1.0] + [float(d[:-k] @ d[k:]) / v for k in range(1, max_lag + 1)])


def confidence_interval(x: Iterable[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): Student-t interval for the mean of i.i.d. values ``x`` (NaNs ignored).

    Needs at least two finite values; with fewer the bounds are NaN.

    >>> import mqsim as mq
    >>> m, lo, hi = mq.confidence_interval([1.0, 2.0, 3.0, 4.0])   # mean +- t(0.975, 3) s / sqrt(4)
    >>> m, round(lo, 4), round(hi, 4)
    (2.5, 0.4457, 4.5543)
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence: must be in (0, 1), got {confidence!r}")
    a = np.asarray(list(x), dtype=float)
    a = a[np.isfinite(a)]
    n = a.size
    if n == 0:
        return (math.nan, math.nan, math.nan)
    m = float(a.mean())
    if n < 2:
        return (m, math.nan, math.nan)
    h = float(_t_ppf(0.5 + confidence / 2, n - 1) * a.std(ddof=1) / math.sqrt(n))
    return (m, m - h, m + h)


@lru_cache(maxsize=256)
def _t_ppf(p: float, df: int) -> float:
    """Student-t quantile (scipy), remembered: a table of intervals asks for the same few."""
    from scipy import stats

    return stats.t.ppf(p, df)


def preload() -> None:
    """Import scipy.stats in a background thread (it takes about a second), e.g. while worker
    processes simulate, so the confidence intervals that follow do not wait for it."""
    import threading

    if "scipy.stats" not in sys.modules:
        threading.Thread(target=importlib.import_module, args=("scipy.stats",), daemon=True).start()
