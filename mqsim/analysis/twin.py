"""Simulation beside a real broker: the comparison table, and the per-message differences on the
shared sample path (pure statistics over :class:`mqsim.Result` objects; no broker here).

:func:`comparison_table` gives one tidy row per metric and class (``group``/``key`` as in
:meth:`mqsim.Result.summary`): the simulated value, the live one, their difference (live - sim) and
relative difference. With lists of results (replications: one live run and one simulation per
seed) each side is a mean with a Student-t confidence interval over the replications, and the
difference has a paired interval (the runs of one seed share their sample path).

:func:`paired_waits` matches each live message with the simulator's same message (the live
records' ``sim_id`` column) and gives both waits; :func:`path_difference` summarises the
per-message differences with a batch-means interval (successive waits are correlated).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from mqsim.analysis.statistics import batch_means, confidence_interval

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["comparison_table", "paired_waits", "path_difference", "priority_inversions", "COMPARE_METRICS"]

COMPARE_METRICS = ("published", "acked", "dropped", "expired", "dead_lettered", "lost", "throughput", "utilisation",
                   "Wq", "W", "p_wait", "wait_p50", "wait_p95", "wait_p99", "sojourn_p95")


def _runs(x: Any) -> list[Any]:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _frame(res: Any, by: tuple[str, ...]) -> "pd.DataFrame":
    df = res.summary(by=by)
    return df.set_index(["group", df["key"].astype(str)])


def comparison_table(sim: Any, live: Any, metrics: Sequence[str] = COMPARE_METRICS, by: tuple[str, ...] = ("priority",),
                     confidence: float = 0.95, labels: tuple[str, str] = ("sim", "live")) -> "pd.DataFrame":
    """Tidy rows (metric, group, key, sim, live, difference, rel_difference, and with replications
    the CI bounds ``*_low``/``*_high``); ``sim`` and ``live`` are results or equal-length lists."""
    import pandas as pd

    sims, lives = _runs(sim), _runs(live)
    if len(sims) != len(lives):
        raise ValueError(f"compare: needs as many simulations as live runs (one per seed), got {len(sims)} "
                         f"and {len(lives)}")
    fs = [_frame(r, by) for r in sims]
    fl = [_frame(r, by) for r in lives]
    keys = [k for k in fs[0].index if all(k in f.index for f in fs + fl)]
    a, b = labels
    rows = []
    for metric in metrics:
        for key in keys:
            xs = np.array([float(f.loc[key, metric]) for f in fs])
            xl = np.array([float(f.loc[key, metric]) for f in fl])
            row: dict[str, Any] = {"metric": metric, "group": key[0], "key": key[1]}
            for name, x in ((a, xs), (b, xl), ("difference", xl - xs)):
                m, lo, hi = confidence_interval(x, confidence) if len(x) > 1 else (float(x[0]), math.nan, math.nan)
                row[name] = m
                if len(x) > 1:
                    row[f"{name}_low"], row[f"{name}_high"] = lo, hi
            base = row[a]
            row["rel_difference"] = row["difference"] / base if base and math.isfinite(base) else math.nan
            rows.append(row)
    return pd.DataFrame(rows)


def paired_waits(sim: Any, live: Any) -> "pd.DataFrame":
    """Messages of the shared path that started service in both runs: id (live), sim_id,
    t_publish (live), wait_sim, wait_live, difference (live - sim), priority; seconds."""
    import pandas as pd

    ml = live.messages
    if "sim_id" not in ml.columns:
        raise ValueError("paired_waits: live must be a live run's result (mqsim.live.run), with a sim_id column")
    ms = sim.messages
    ok = (ml["sim_id"] >= 0) & ml["t_start"].notna() & (ml["t_publish"] >= live.warmup)
    left = ml.loc[ok, ["id", "sim_id", "t_publish", "wait", "priority"]]
    right = ms.loc[ms["t_start"].notna(), ["id", "wait"]].rename(columns={"id": "sim_id", "wait": "wait_sim"})
    out = left.merge(right, on="sim_id").rename(columns={"wait": "wait_live"})
    out["difference"] = out["wait_live"] - out["wait_sim"]
    return pd.DataFrame(out[["id", "sim_id", "t_publish", "wait_sim", "wait_live", "difference", "priority"]])


def path_difference(sim: Any, live: Any, n_batches: int = 20, confidence: float = 0.95) -> dict[str, float]:
    """Mean per-message wait difference (live - sim, s) on the shared path with a batch-means CI,
    and the mean waits of both on the same messages."""
    p = paired_waits(sim, live).sort_values("t_publish")
    d = p["difference"].to_numpy()
    if d.size < 2 * n_batches:
        m = float(d.mean()) if d.size else math.nan
        lo = hi = math.nan
    else:
        m, lo, hi = batch_means(d, n_batches, confidence)
    return {"messages": int(d.size), "mean_difference": m, "low": lo, "high": hi,
            "wait_sim": float(p["wait_sim"].mean()) if d.size else math.nan,
            "wait_live": float(p["wait_live"].mean()) if d.size else math.nan}


def priority_inversions(result: Any, grace: float = 0.0) -> dict[str, float]:
    """Messages whose service started while a message of *higher* priority had been published and
    not yet started (waiting in the queue or in a consumer's prefetch buffer): count, fraction of
    started messages, and the number started. The measure of "prefetch defeats priority".

    ``grace`` (s, >= 0): a higher-priority message counts as waiting only from ``grace`` after its
    publish time. A live run records the client's publish time; the message reaches the queue a
    publish latency later (``Calibration.publish_p99``), and until then the broker cannot prefer it."""
    if not (isinstance(grace, (int, float)) and not isinstance(grace, bool) and 0 <= grace < math.inf):
        raise ValueError(f"grace must be a number of seconds >= 0, got {grace!r}")
    a = result.arrays
    ok = (a["node"] == 0) & ~np.isnan(a["t_start"])
    pub, start, prio = a["t_publish"][a["node"] == 0], a["t_start"][a["node"] == 0], a["priority"][a["node"] == 0]
    start_or_inf = np.where(np.isnan(start), np.inf, start)
    n_inv = 0
    for p in np.unique(prio):
        hi = prio > p
        if not hi.any():
            continue
        ready = pub[hi] + grace  # a message can be preferred from here until its start
        hp, hs = np.sort(ready), np.sort(np.maximum(start_or_inf[hi], ready))
        mine = np.nonzero((prio == p) & ~np.isnan(start))[0]
        t = start[mine]
        waiting = np.searchsorted(hp, t, side="left") - np.searchsorted(hs, t, side="right")
        n_inv += int((waiting > 0).sum())
    n = int(ok.sum())
    return {"inversions": n_inv, "fraction": n_inv / n if n else math.nan, "started": n}
