"""Pure functions from per-message records to queueing metrics.

All times are seconds, rates per second. The observation window is ``[t0, t1)``
(``t0`` = end of warm-up, ``t1`` = horizon). Conventions, chosen so that each simulated
number estimates the quantity its formula in :mod:`mqsim.theory` predicts:

* **Time averages** (``L``, ``Lq``, ``utilisation``) integrate every message's presence over
  the window, whenever it was published (exact, no sampling): ``L`` counts messages in the
  broker or at a consumer, ``Lq`` those waiting for service (ready, or buffered at a consumer
  by prefetch), ``utilisation`` the busy fraction of the ``c`` consumers.
* **Customer averages** (``W``, ``Wq``, percentiles, ``p_wait``) are over messages published in
  the window: ``Wq`` and wait percentiles over those whose service started before ``t1``,
  ``W`` and sojourn percentiles over those acked before ``t1``. Dropped messages have no wait.
* **Counts**: ``published`` and ``dropped`` are messages published in the window (so ``loss``
  is the fraction of them dropped); ``throughput`` is acks in the window per second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["overlap", "window_metrics", "summary_frame", "METRIC_COLUMNS", "QUANTILES"]

QUANTILES = (0.50, 0.95, 0.99)
METRIC_COLUMNS = (
    "published", "acked", "dropped", "loss", "arrival_rate", "throughput", "L", "Lq", "W", "Wq", "p_wait",
    "wait_p50", "wait_p95", "wait_p99", "sojourn_p50", "sojourn_p95", "sojourn_p99", "utilisation",
)


def overlap(start: np.ndarray, end: np.ndarray, t0: float, t1: float) -> float:
    """Total length (seconds) of the intervals ``[start, end)`` inside ``[t0, t1)``.

    NaN ``end`` means still open at ``t1``; NaN ``start`` means the interval never began.
    """
    s = np.maximum(np.nan_to_num(start, nan=np.inf), t0)
    e = np.minimum(np.nan_to_num(end, nan=t1), t1)
    d = e - s
    return float(d[d > 0].sum())


def _quantiles(x: np.ndarray) -> list[float]:
    if x.size == 0:
        return [float("nan")] * len(QUANTILES)
    return [float(v) for v in np.quantile(x, QUANTILES)]


def window_metrics(t_publish: np.ndarray, t_start: np.ndarray, t_done: np.ndarray, dropped: np.ndarray,
                   t0: float, t1: float, servers: int) -> dict[str, Any]:
    """Every metric of :data:`METRIC_COLUMNS` for one set of messages (see module doc).

    t_publish, t_start, t_done: arrays of seconds (NaN = not yet); dropped: boolean array
    (``t_done`` of a dropped message is its drop time); servers: number of consumers, for
    ``utilisation``.
    """
    T = t1 - t0
    dropped = dropped.astype(bool)
    started = ~np.isnan(t_start)
    acked = ~np.isnan(t_done) & ~dropped
    in_win = t_publish >= t0
    # end of waiting: service start, else the drop time, else still waiting
    wait_end = np.where(started, t_start, np.where(dropped, t_done, np.nan))
    wait = (t_start - t_publish)[in_win & started]
    sojourn = (t_done - t_publish)[in_win & acked]
    n_pub = int(in_win.sum())
    n_drop = int((in_win & dropped).sum())
    n_ack = int((acked & (t_done >= t0)).sum())
    wq = _quantiles(wait)
    ws = _quantiles(sojourn)
    return {
        "published": n_pub,
        "acked": n_ack,
        "dropped": n_drop,
        "loss": n_drop / n_pub if n_pub else float("nan"),
        "arrival_rate": n_pub / T,
        "throughput": n_ack / T,
        "L": overlap(t_publish, t_done, t0, t1) / T,
        "Lq": overlap(t_publish, wait_end, t0, t1) / T,
        "W": float(sojourn.mean()) if sojourn.size else float("nan"),
        "Wq": float(wait.mean()) if wait.size else float("nan"),
        "p_wait": float((wait > 0).mean()) if wait.size else float("nan"),
        "wait_p50": wq[0], "wait_p95": wq[1], "wait_p99": wq[2],
        "sojourn_p50": ws[0], "sojourn_p95": ws[1], "sojourn_p99": ws[2],
        "utilisation": overlap(t_start, np.where(started, t_done, np.nan), t0, t1) / (T * servers),
    }


def summary_frame(messages: "pd.DataFrame", t0: float, t1: float, servers: int,
                  by: tuple[str, ...] = ("producer", "priority")) -> "pd.DataFrame":
    """Metrics overall and per value of each column in ``by``; tidy rows (group, key, metrics...)."""
    import pandas as pd

    def one(df: "pd.DataFrame") -> dict[str, Any]:
        return window_metrics(df["t_publish"].to_numpy(), df["t_start"].to_numpy(), df["t_done"].to_numpy(),
                              (df["outcome"] == "dropped").to_numpy(), t0, t1, servers)

    rows = [{"group": "all", "key": "all", **one(messages)}]
    for col in by:
        for key, sub in messages.groupby(col, observed=True, sort=True):
            rows.append({"group": col, "key": key, **one(sub)})
    return pd.DataFrame(rows, columns=["group", "key", *METRIC_COLUMNS])
