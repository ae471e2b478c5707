"""Simulation output analysis: replications, sequential confidence intervals, batch means,
autocorrelation and warm-up curves.

Times are seconds. Every function that simulates takes a ``seed`` and is reproducible.
:func:`replicate_overall` uses the same run seeds as :func:`mqsim.replicate` (replication
``r`` of seed ``s`` runs with :func:`mqsim.experiment.replication_seed` ``(s, r)``), so its
rows equal the overall rows of ``mqsim.replicate(...).runs``; it only skips the per-producer and
per-priority summaries, which makes hundreds of short replications cheap.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mqsim.sim.result import Result
    from mqsim.model.scenario import Scenario

__all__ = ["replicate_overall", "replication_values", "running_ci", "replications_needed", "replications_until",
           "naive_ci", "interval_coverage",
           "batch_means", "autocorrelation", "samples", "warmup_curve"]


def replicate_overall(scenario: "Scenario", n: int = 10, seed: int = 0, horizon: float = 10_000.0,
                      warmup: float = 0.0, *, first: int = 0) -> "pd.DataFrame":
    """One row per replication (``replication`` first..first+n-1) with every overall metric of
    :data:`mqsim.metrics.METRIC_COLUMNS` (times in s, rates per s).

    Row ``r`` equals the ``group == "all"`` row of ``mqsim.replicate(scenario, n, seed, horizon,
    warmup).runs`` for replication ``r``: same run seeds, same metric code. ``first`` continues an
    experiment: replications 0..99 and then ``first=100`` give the same values as 0..199 at once.
    """
    import pandas as pd

    from mqsim.sim.simpy.engine import check_run_window, simulate
    from mqsim.experiments.replications import replication_seed
    from mqsim.sim.streams import resolve_seed

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n: number of replications must be an integer >= 1, got {n!r}")
    if isinstance(first, bool) or not isinstance(first, (int, np.integer)) or first < 0:
        raise ValueError(f"first: must be an integer >= 0, got {first!r}")
    horizon, warmup = check_run_window(horizon, warmup)
    seed = resolve_seed(seed)
    rows = []
    for r in range(int(first), int(first) + int(n)):
        res = simulate(scenario, horizon, warmup, seed=replication_seed(seed, r), trace=False)
        rows.append({"replication": r, **res.overall()})
    return pd.DataFrame(rows)


def replication_values(scenario: "Scenario", metric: str = "Wq", n: int = 10, seed: int = 0,
                       horizon: float = 10_000.0, warmup: float = 0.0, *, first: int = 0) -> np.ndarray:
    """The overall ``metric`` of replications ``first`` .. ``first + n - 1``, in replication order
    (see :func:`replicate_overall`). Adding replications never changes the earlier values."""
    from mqsim.analysis.metrics import METRIC_COLUMNS

    if metric not in METRIC_COLUMNS:
        raise ValueError(f"metric: must be one of {', '.join(METRIC_COLUMNS)}; got {metric!r}")
    return replicate_overall(scenario, n, seed, horizon, warmup, first=first)[metric].to_numpy(dtype=float)


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


def replications_needed(values: Sequence[float], target_half_width: float, confidence: float = 0.95) -> int | None:
    """Smallest n >= 2 such that the Student-t ``confidence`` interval over the first n values has
    half-width <= ``target_half_width`` (same unit as the values); None if no prefix reaches it."""
    if not (isinstance(target_half_width, (int, float)) and target_half_width > 0):
        raise ValueError(f"target_half_width: must be a number > 0, got {target_half_width!r}")
    rc = running_ci(values, confidence)
    ok = np.nonzero(rc["half_width"].to_numpy() <= target_half_width)[0]
    return int(rc["n"].iloc[ok[0]]) if ok.size else None


def replications_until(scenario: "Scenario", target_half_width: float, metric: str = "Wq", seed: int = 0,
                       horizon: float = 10_000.0, warmup: float = 0.0, *, confidence: float = 0.95,
                       chunk: int = 100, max_n: int = 20_000) -> tuple[int | None, np.ndarray]:
    """Add replications ``chunk`` at a time until the running interval reaches
    ``target_half_width``: returns (smallest such n, the values simulated so far). The n is
    the same as :func:`replications_needed` on any longer prefix of the same experiment; None
    if ``max_n`` replications do not reach it."""
    values = np.empty(0)
    while values.size < max_n:
        more = replication_values(scenario, metric, min(chunk, max_n - values.size), seed, horizon, warmup,
                                  first=values.size)
        values = np.concatenate([values, more])
        if values.size >= 2:
            k = replications_needed(values, target_half_width, confidence)
            if k is not None:
                return k, values
    return None, values


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


def interval_coverage(scenario: "Scenario", exact: float, runs: int = 40, seed: int = 0,
                      horizon: float = 20_000.0, warmup: float = 0.0, *, n_batches: int = 20,
                      confidence: float = 0.95, kind: str = "wait") -> "pd.DataFrame":
    """How often each one-run interval method covers the exact mean ``exact`` of ``kind`` (wait
    or sojourn, s), over ``runs`` independent runs (run seeds as :func:`replicate_overall`).

    Rows: ``naive (i.i.d.)`` (:func:`naive_ci`) and ``batch means`` (:func:`batch_means` with
    ``n_batches``). Columns: coverage (fraction of runs whose interval contains ``exact``; a valid
    method is near ``confidence``), mean_half_width (s), runs. The coverage itself is an estimate
    from ``runs`` runs (binomial standard error sqrt(p(1-p)/runs)).
    """
    import pandas as pd

    from mqsim.sim.simpy.engine import check_run_window, simulate
    from mqsim.experiments.replications import replication_seed
    from mqsim.sim.streams import resolve_seed

    horizon, warmup = check_run_window(horizon, warmup)
    seed = resolve_seed(seed)
    hits = {"naive (i.i.d.)": [], "batch means": []}
    widths: dict[str, list[float]] = {k: [] for k in hits}
    for r in range(int(runs)):
        x = samples(simulate(scenario, horizon, warmup, seed=replication_seed(seed, r), trace=False), kind)
        for name, (m, lo, hi) in (("naive (i.i.d.)", naive_ci(x, confidence)),
                                  ("batch means", batch_means(x, n_batches, confidence))):
            hits[name].append(lo <= exact <= hi)
            widths[name].append((hi - lo) / 2)
    return pd.DataFrame({"coverage": {k: float(np.mean(v)) for k, v in hits.items()},
                         "mean_half_width": {k: float(np.mean(v)) for k, v in widths.items()},
                         "runs": {k: int(runs) for k in hits}})


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


def samples(result: "Result", kind: str = "wait") -> np.ndarray:
    """Per-message ``wait`` (publish to service start) or ``sojourn`` (publish to ack) in seconds,
    for messages published after the warm-up, in publish order (the order a queue creates them).

    Waits count messages whose service started before the horizon, sojourns those acked before it
    (the same messages :meth:`mqsim.Result.summary` averages)."""
    if kind not in ("wait", "sojourn"):
        raise ValueError(f"kind: must be 'wait' or 'sojourn', got {kind!r}")
    a = result.arrays
    after = a["t_publish"] >= result.warmup
    if kind == "wait":
        ok = after & ~np.isnan(a["t_start"])
        w = a["t_start"] - a["t_publish"]
        if "prior" in a:  # time spent in earlier, unfinished service attempts is not waiting
            w = w - a["prior"]
        return w[ok]
    ok = after & (a["outcome"] == 0)
    return (a["t_done"] - a["t_publish"])[ok]


def warmup_curve(scenario: "Scenario", n: int = 20, seed: int = 0, messages: int = 200, batch: int = 10,
                 kind: str = "wait") -> "pd.DataFrame":
    """Welch's warm-up curve: the expected ``kind`` (wait or sojourn, s) of the j-th message
    published after an empty start, estimated by averaging over ``n`` replications, for the first
    ``messages`` messages in consecutive groups of ``batch``.

    Averaging the j-th message across replications (rather than per time bin) keeps the estimate
    unbiased: busy stretches have more messages, so a per-bin average would under-weight them.
    Each run lasts until its first ``messages`` messages have finished.
    Columns: message (last index j of the group, 1-based), t (mean publish time of the group, s),
    mean, ci_low, ci_high (Student-t 95% over replications).
    """
    import pandas as pd

    from mqsim.sim.simpy.engine import simulate
    from mqsim.experiments.replications import replication_seed
    from mqsim.sim.streams import resolve_seed

    for name, v in (("n", n), ("messages", messages), ("batch", batch)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < (2 if name == "n" else 1):
            raise ValueError(f"{name}: must be an integer >= {2 if name == 'n' else 1}, got {v!r}")
    if messages % batch:
        raise ValueError(f"messages ({messages}) must be a multiple of batch ({batch})")
    if kind not in ("wait", "sojourn"):
        raise ValueError(f"kind: must be 'wait' or 'sojourn', got {kind!r}")
    seed = resolve_seed(seed)
    groups = messages // batch
    vals = np.empty((int(n), groups))
    times = np.empty((int(n), groups))
    for r in range(int(n)):
        horizon = 2.0 * messages / scenario.arrival_rate + 10.0 * scenario.mean_service
        while True:
            a = simulate(scenario, horizon, 0.0, seed=replication_seed(seed, r), trace=False).arrays
            end = a["t_start"] if kind == "wait" else a["t_done"]
            if a["t_publish"].size >= messages and not np.isnan(end[:messages]).any():
                break
            horizon *= 2.0
        x = (end - a["t_publish"])[:messages]
        vals[r] = x.reshape(groups, batch).mean(axis=1)
        times[r] = a["t_publish"][:messages].reshape(groups, batch).mean(axis=1)
    mean = vals.mean(axis=0)
    h = _t_quantile(0.95, int(n) - 1) * vals.std(axis=0, ddof=1) / math.sqrt(int(n))
    return pd.DataFrame({"message": np.arange(1, groups + 1) * batch, "t": times.mean(axis=0), "mean": mean,
                         "ci_low": mean - h, "ci_high": mean + h})
