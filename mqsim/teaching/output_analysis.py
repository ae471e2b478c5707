"""Lecture 3, simulation output analysis: replications, sequential confidence intervals, the
coverage of one-run intervals, and Welch's warm-up curve.

Times are seconds. Every function that simulates takes a ``seed`` and is reproducible:
replication ``r`` of seed ``s`` runs with :func:`mqsim.experiments.replication_seed` ``(s, r)``,
the seeds :func:`mqsim.replicate` uses, so :func:`replicate_overall` gives the overall rows of
``mqsim.replicate(...).runs``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from mqsim.analysis.metrics import samples
from mqsim.analysis.statistics import (
    _t_quantile,
    batch_means,
    naive_ci,
    replications_needed,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mqsim.model.scenario import Scenario

__all__ = ["replicate_overall", "replication_values", "replications_until", "interval_coverage", "warmup_curve"]


def replicate_overall(scenario: "Scenario", n: int = 10, seed: int = 0, horizon: float = 10_000.0,
                      warmup: float = 0.0, *, first: int = 0) -> "pd.DataFrame":
    """One row per replication (``replication`` first..first+n-1) with every overall metric of
    :data:`mqsim.metrics.METRIC_COLUMNS` (times in s, rates per s).

    Row ``r`` equals the ``group == "all"`` row of ``mqsim.replicate(scenario, n, seed, horizon,
    warmup).runs`` for replication ``r``: same run seeds, same metric code. ``first`` continues an
    experiment: replications 0..99 and then ``first=100`` give the same values as 0..199 at once.
    """
    import pandas as pd

    from mqsim.experiments.replications import replication_seed
    from mqsim.model.validate import check_run_window
    from mqsim.sim.run import simulate
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

    from mqsim.experiments.replications import replication_seed
    from mqsim.model.validate import check_run_window
    from mqsim.sim.run import simulate
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

    from mqsim.experiments.replications import replication_seed
    from mqsim.sim.run import simulate
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
