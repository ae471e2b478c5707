"""Independent replications with Student-t confidence intervals.

Replication ``r`` of a run with seed ``s`` uses the run seed :func:`replication_seed` ``(s, r)``,
which depends only on ``(s, r)``: adding replications never changes earlier ones, and the same
``(seed, n)`` gives identical numbers whatever executes them.
"""

from __future__ import annotations

import math
from itertools import product
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np

from .engine import check_run_window, simulate
from .metrics import METRIC_COLUMNS
from .scenario import Scenario
from .streams import resolve_seed

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["replicate", "sweep", "Replications", "confidence_interval", "replication_seed"]


def replication_seed(seed: int, r: int) -> int:
    """The run seed of replication ``r`` (>= 0) of an experiment seeded with ``seed``."""
    return int(np.random.SeedSequence([int(seed), int(r)]).generate_state(1, np.uint64)[0])


def confidence_interval(x: Iterable[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): Student-t interval for the mean of i.i.d. values ``x`` (NaNs ignored).

    Needs at least two finite values; with fewer the bounds are NaN.
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
    from scipy import stats

    h = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * a.std(ddof=1) / math.sqrt(n))
    return (m, m - h, m + h)


class Replications:
    """Per-replication summaries (:attr:`runs`) and their confidence intervals (:meth:`table`)."""

    def __init__(self, scenario: Scenario, runs: "pd.DataFrame", *, seed: int, horizon: float, warmup: float):
        self.scenario = scenario
        self.runs = runs
        self.seed = seed
        self.horizon = horizon
        self.warmup = warmup

    @property
    def n(self) -> int:
        return int(self.runs["replication"].nunique())

    def __repr__(self) -> str:
        return f"<mqsim.Replications n={self.n} seed={self.seed} horizon={self.horizon:g}s warmup={self.warmup:g}s>"

    def table(self, confidence: float = 0.95) -> "pd.DataFrame":
        """Tidy rows (group, key, metric, n, mean, std, ci_low, ci_high, half_width)."""
        import pandas as pd

        long = self.runs.melt(id_vars=["replication", "group", "key"], value_vars=list(METRIC_COLUMNS),
                              var_name="metric", value_name="value")
        rows = []
        for (g, k, m), sub in long.groupby(["group", "key", "metric"], sort=False):
            v = sub["value"].astype(float).to_numpy()
            mean, lo, hi = confidence_interval(v, confidence)
            fin = v[np.isfinite(v)]
            rows.append({"group": g, "key": k, "metric": m, "n": int(fin.size), "mean": mean,
                         "std": float(fin.std(ddof=1)) if fin.size > 1 else math.nan,
                         "ci_low": lo, "ci_high": hi, "half_width": (hi - lo) / 2})
        return pd.DataFrame(rows)

    def ci(self, metric: str, group: str = "all", key: object = "all",
           confidence: float = 0.95) -> tuple[float, float, float]:
        """(mean, low, high) of one metric for one row of the summary (default: overall)."""
        if metric not in METRIC_COLUMNS:
            raise ValueError(f"metric: must be one of {', '.join(METRIC_COLUMNS)}; got {metric!r}")
        sel = self.runs[(self.runs["group"] == group) & (self.runs["key"] == key)]
        if sel.empty:
            raise ValueError(f"group/key: no summary row {group!r}/{key!r}")
        return confidence_interval(sel[metric].to_numpy(dtype=float), confidence)


def replicate(scenario: Scenario, n: int = 10, seed: int = 0, horizon: float = 10_000.0, warmup: float = 0.0,
              *, by: tuple[str, ...] = ("producer", "priority")) -> Replications:
    """Run ``n`` independent replications of ``scenario`` (each ``horizon`` seconds, statistics
    after ``warmup`` seconds) and return their summaries with confidence intervals."""
    import pandas as pd

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n: number of replications must be an integer >= 2, got {n!r}")
    horizon, warmup = check_run_window(horizon, warmup)
    seed = resolve_seed(seed)
    frames = []
    for r in range(int(n)):
        s = simulate(scenario, horizon, warmup, seed=replication_seed(seed, r), trace=False).summary(by)
        s.insert(0, "replication", r)
        frames.append(s)
    return Replications(scenario, pd.concat(frames, ignore_index=True), seed=seed, horizon=horizon, warmup=warmup)


def _points(grid: Mapping[str, Iterable[Any]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    if not isinstance(grid, Mapping) or not grid:
        raise ValueError("grid: must be a non-empty mapping {dotted path: values}, e.g. {'consumers.count': [1, 2]}")
    paths = list(grid)
    values = []
    for p in paths:
        v = list(grid[p])
        if not v:
            raise ValueError(f"grid[{p!r}]: needs at least one value")
        values.append(v)
    return paths, list(product(*values))


def sweep(scenario: Scenario, grid: Mapping[str, Iterable[Any]], replications: int = 10, seed: int = 0,
          horizon: float = 10_000.0, warmup: float = 0.0, *, by: tuple[str, ...] = ("priority",),
          confidence: float = 0.95) -> "pd.DataFrame":
    """Replicate ``scenario`` at every point of the full-factorial ``grid`` of dotted paths.

    Common random numbers: replication ``r`` uses the same seed at every point, and streams are
    keyed by producer and class, so points differ only by what the grid changes.
    Returns tidy rows: the grid columns, ``rho`` (offered utilisation lam*E[S]/c), group, key,
    metric, n, mean, std, ci_low, ci_high, half_width, and ``theory`` (with ``formula`` and
    ``exact``) wherever :func:`mqsim.theory.for_scenario` applies (NaN elsewhere).
    """
    import pandas as pd

    from .compare import theory_table
    from .theory import for_scenario

    paths, points = _points(grid)
    frames = []
    for point in points:
        sc = scenario
        for path, v in zip(paths, point):
            sc = sc.with_value(path, v)
        reps = replicate(sc, replications, seed, horizon, warmup, by=by)
        t = reps.table(confidence)
        pred = for_scenario(sc)
        th = theory_table(pred, sc)
        t["theory"] = [th.get((g, k), {}).get(m, np.nan) for g, k, m in zip(t["group"], t["key"], t["metric"])]
        t["formula"] = pred.formula if th else ""
        t["exact"] = bool(pred.exact) if th else False
        t.insert(0, "rho", sc.utilisation)
        for path, v in reversed(list(zip(paths, point))):
            t.insert(0, path, v)
        frames.append(t)
    return pd.concat(frames, ignore_index=True)
