"""Statistical assertions shared by the simulation-vs-theory tests.

A check compares a Student-t confidence interval over seeded independent replications with an
exact value. Several metrics checked in one test share a family-wise confidence level
(Bonferroni), so the chance that a correct simulator fails a test is at most 1 - family.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def ci(values, confidence: float) -> tuple[float, float, float]:
    a = np.asarray(values, dtype=float)
    m, s, n = a.mean(), a.std(ddof=1), a.size
    h = stats.t.ppf(0.5 + confidence / 2, n - 1) * s / math.sqrt(n)
    return m, m - h, m + h


def assert_covers(reps, exact: dict, *, family: float = 0.99, group="all", key="all", max_rel_halfwidth=0.1):
    """Each metric's CI (family-wise level ``family``) covers its exact value, and is tight
    enough (half-width <= max_rel_halfwidth * exact) that a biased estimator would be caught."""
    level = 1 - (1 - family) / len(exact)
    failures = []
    for metric, value in exact.items():
        sel = reps.runs[(reps.runs.group == group) & (reps.runs.key == key)]
        m, lo, hi = ci(sel[metric].to_numpy(dtype=float), level)
        if not lo <= value <= hi:
            failures.append(f"{metric}: exact {value:.6g} outside CI [{lo:.6g}, {hi:.6g}] (mean {m:.6g})")
        elif value > 0 and (hi - lo) / 2 > max_rel_halfwidth * value:
            failures.append(f"{metric}: CI [{lo:.6g}, {hi:.6g}] too wide to test exact {value:.6g}")
    assert not failures, "; ".join(failures)


def assert_same_mean(a, b, *, confidence: float = 0.99, label: str = "") -> None:
    """Welch's t interval for mean(a) - mean(b) covers 0 (two independent samples)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    h = stats.t.ppf(0.5 + confidence / 2, df) * math.sqrt(va + vb)
    d = a.mean() - b.mean()
    assert abs(d) <= h, f"{label}: means differ: {a.mean():.6g} vs {b.mean():.6g} (difference {d:.4g} +- {h:.4g})"
