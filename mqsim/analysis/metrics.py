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

__all__ = ["overlap", "busy_time", "window_metrics", "summary_frame", "mark_unstable", "samples",
           "METRIC_COLUMNS", "QUANTILES"]

QUANTILES = (0.50, 0.95, 0.99)
METRIC_COLUMNS = (
    "published", "acked", "dropped", "expired", "dead_lettered", "lost", "loss", "arrival_rate", "throughput",
    "L", "Lq", "W", "Wq", "p_wait", "wait_p50", "wait_p95", "wait_p99", "sojourn_p50", "sojourn_p95", "sojourn_p99",
    "utilisation", "redelivered", "duplicates",
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


def busy_time(t_start: np.ndarray, t_done: np.ndarray, outcome: np.ndarray, t0: float, t1: float,
              attempts: tuple[np.ndarray, np.ndarray] | None = None) -> float:
    """Consumer-seconds of service inside ``[t0, t1)``: acked services (start to ack), services
    still running at ``t1``, and logged attempts that did not end in an ack."""
    started = ~np.isnan(t_start)
    busy = overlap(t_start, np.where(started & (outcome == 0), t_done, np.nan), t0, t1)
    if attempts is not None and len(attempts[0]):
        busy += overlap(attempts[0], attempts[1], t0, t1)
    return busy


def window_metrics(t_publish: np.ndarray, t_start: np.ndarray, t_done: np.ndarray, outcome: np.ndarray,
                   t0: float, t1: float, servers: int, *, prior: np.ndarray | None = None,
                   deliveries: np.ndarray | None = None,
                   attempts: tuple[np.ndarray, np.ndarray] | None = None, busy: float | None = None) -> dict[str, Any]:
    """Every metric of :data:`METRIC_COLUMNS` for one set of messages (see module doc).

    t_publish, t_start, t_done: arrays of seconds (NaN = not yet); outcome: codes into
    :data:`mqsim.records.OUTCOMES` (a boolean array is read as "dropped"); servers: number of
    consumers, for ``utilisation``; prior: seconds of earlier unfinished service attempts per
    message (wait excludes them); deliveries: delivery count per message; attempts: (start,
    end) arrays of logged service attempts that did not end in an ack (counted as busy time);
    busy: consumer-seconds of service in the window, if the rows are not the services themselves
    (journeys, see :mod:`mqsim.analysis.journeys`).
    """
    T = t1 - t0
    outcome = np.asarray(outcome)
    if outcome.dtype == bool:
        outcome = np.where(outcome, 1, np.where(np.isnan(t_done), 3, 0))
    started = ~np.isnan(t_start)
    acked = outcome == 0
    in_win = t_publish >= t0
    w = t_start - t_publish if prior is None else t_start - t_publish - prior
    wait = w[in_win & started]
    sojourn = (t_done - t_publish)[in_win & acked]
    n_pub = int(in_win.sum())
    counts = np.bincount(outcome[in_win], minlength=7)
    n_ack = int((acked & (t_done >= t0)).sum())
    wq = _quantiles(wait)
    ws = _quantiles(sojourn)
    if busy is None:
        busy = busy_time(t_start, t_done, outcome, t0, t1, attempts)
    L = overlap(t_publish, t_done, t0, t1) / T
    n_lost_any = int(counts[1] + counts[4] + counts[5] + counts[6])
    dl = deliveries[in_win] if deliveries is not None else None
    return {
        "published": n_pub,
        "acked": n_ack,
        "dropped": int(counts[1]),
        "expired": int(counts[4]),
        "dead_lettered": int(counts[5]),
        "lost": int(counts[6]),
        "loss": n_lost_any / n_pub if n_pub else float("nan"),
        "arrival_rate": n_pub / T,
        "throughput": n_ack / T,
        "L": L,
        "Lq": L - busy / T,
        "W": float(sojourn.mean()) if sojourn.size else float("nan"),
        "Wq": float(wait.mean()) if wait.size else float("nan"),
        "p_wait": float((wait > 0).mean()) if wait.size else float("nan"),
        "wait_p50": wq[0], "wait_p95": wq[1], "wait_p99": wq[2],
        "sojourn_p50": ws[0], "sojourn_p95": ws[1], "sojourn_p99": ws[2],
        "utilisation": busy / (T * servers),
        "redelivered": int((dl > 1).sum()) if dl is not None else 0,
        "duplicates": int(np.clip(dl[acked[in_win]] - 1, 0, None).sum()) if dl is not None else 0,
    }


def summary_frame(result: Any, by: tuple[str, ...] = ("producer", "priority")) -> "pd.DataFrame":
    """Metrics of ``result`` (a :class:`mqsim.Result`) overall and per value of each column in
    ``by`` ("queue", "producer", "priority"); tidy rows (group, key, unstable, metrics...).

    With stages, the overall and per-producer rows are end to end: one entry per original
    message, its journey through the pipeline (see :mod:`mqsim.analysis.journeys`); the queue and
    priority rows describe the hops at each queue. With one queue the two views coincide.
    """
    import pandas as pd

    a = result.arrays
    rec = result.records
    sc = result.scenario
    t0, t1 = result.warmup, result.horizon
    a_mid = np.asarray(rec.a_mid, dtype=np.int64)
    a_start = np.asarray(rec.a_start, dtype=float)
    a_end = np.asarray(rec.a_end, dtype=float)
    counts = [sc.node(k)[1].count for k in range(len(sc.node_names))]

    every: dict[int, dict[str, Any]] = {}  # rows over every message, by number of servers

    def hops(mask: np.ndarray | None, servers: int) -> dict[str, Any]:
        if mask is not None and mask.all():  # a group of every message: the same numbers, computed once
            mask = None
        if mask is None and servers in every:
            return every[servers]
        sel = slice(None) if mask is None else mask
        att = (a_start, a_end) if mask is None else (a_start[mask[a_mid]], a_end[mask[a_mid]])
        row = window_metrics(a["t_publish"][sel], a["t_start"][sel], a["t_done"][sel], a["outcome"][sel], t0, t1,
                             servers, prior=a["prior"][sel], deliveries=a["deliveries"][sel], attempts=att)
        if mask is None:
            every[servers] = row
        return row

    end_to_end = _journey_rows(a, sc, t0, t1, (a_mid, a_start, a_end)) if getattr(sc, "stages", ()) else None
    rows = [{"group": "all", "key": "all", **(end_to_end(None) if end_to_end else hops(None, sum(counts)))}]
    names = [p.name for p in sc.producers]
    for col in by:
        if col == "queue":
            for k, nm in enumerate(sc.node_names):
                rows.append({"group": "queue", "key": nm, **hops(a["node"] == k, counts[k])})
        elif col == "producer":
            for i, nm in enumerate(names):
                m = a["producer"] == i
                if m.any():
                    stats = end_to_end(i) if end_to_end else hops(m, sum(counts))
                    rows.append({"group": "producer", "key": nm, **stats})
        elif col == "priority":
            for pr in sorted(set(a["priority"].tolist()), reverse=True):
                rows.append({"group": "priority", "key": pr, **hops(a["priority"] == pr, sum(counts))})
        else:
            raise ValueError(f"by: groups must be among 'queue', 'producer', 'priority'; got {col!r}")
    return mark_unstable(pd.DataFrame(rows, columns=["group", "key", *METRIC_COLUMNS]), sc)


def _journey_rows(a: dict[str, np.ndarray], sc: Any, t0: float, t1: float, attempts: tuple[np.ndarray, ...]) -> Any:
    """A function of a producer index (None: all) giving its end-to-end metrics row."""
    from mqsim.analysis.journeys import journeys, pipeline_nodes

    J = journeys(a)
    nodes = pipeline_nodes(sc)
    servers = sum(sc.node(k)[1].count for k in nodes)
    on_pipeline = np.isin(a["node"], nodes)
    a_mid, a_start, a_end = attempts

    def row(producer: int | None) -> dict[str, Any]:
        hop = on_pipeline if producer is None else on_pipeline & (a["producer"] == producer)
        sel = slice(None) if producer is None else J["producer"] == producer
        busy = busy_time(a["t_start"][hop], a["t_done"][hop], a["outcome"][hop], t0, t1,
                         (a_start[hop[a_mid]], a_end[hop[a_mid]]))
        return window_metrics(J["t_publish"][sel], J["t_start"][sel], J["t_done"][sel], J["outcome"][sel], t0, t1,
                              servers, deliveries=J["deliveries"][sel], busy=busy)

    return row


def mark_unstable(df: "pd.DataFrame", scenario: Any) -> "pd.DataFrame":
    """Insert the boolean column ``unstable`` after ``key``: True on rows whose messages pass
    through a queue with no steady state (offered load >= 1 and no length limit; see
    :mod:`mqsim.model.overload`). Their W, Wq, L grow with the run length: not steady-state figures."""
    from mqsim.model.overload import stability

    st = stability(scenario)
    df.insert(2, "unstable", [st.row_unstable(g, k) for g, k in zip(df["group"], df["key"])])
    return df


def samples(result: Any, kind: str = "wait") -> np.ndarray:
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
