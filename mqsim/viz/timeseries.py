"""Time series: messages in the system over one run, an overloaded queue's backlog against its
growth line, Kafka lag per partition, load and backlog under time-varying traffic, and the
autocorrelation of successive waits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mqsim.viz.style import SERIES_STYLES, SIM_COLOR, THEORY_COLOR, finish, new_axes

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["queue_length", "backlog_growth", "partition_lag", "load_and_backlog", "autocorrelation"]


def queue_length(result: Any, *, ax: "Axes | None" = None, theory: float | None = None,
                 column: str = "in_system") -> "Axes":
    """The number of messages over time (a step plot; the run needs ``trace=True``), with the
    warm-up shaded and, if given, the theoretical mean as a dashed line. column: ``in_system``
    (ready + in flight), ``ready``, ``in_flight`` or ``busy``."""
    ax = new_axes(ax)
    q = result.queue_length
    y = q["ready"] + q["in_flight"] if column == "in_system" else q[column]
    ax.step(q["time"], y, where="post", color=SIM_COLOR, lw=0.8, label=f"simulated ({column.replace('_', ' ')})")
    if result.warmup > 0:
        ax.axvspan(0, result.warmup, color="0.85", label="warm-up (excluded)")
    if theory is not None:
        ax.axhline(theory, color=THEORY_COLOR, ls="--", lw=2, label="theory (mean)")
    ax.set_xlim(0, result.horizon)
    ax.set_ylim(bottom=0)
    return finish(ax, xlabel="time (s)", ylabel="messages", where="upper left")


def backlog_growth(result: Any, *, ax: "Axes | None" = None) -> "Axes":
    """Messages in the system over one run of an overloaded queue, with the backlog line
    (λ − c/E[S])·t that the flow balance predicts (it grows without bound; messages/s)."""
    from mqsim.theory import backlog_growth_rate

    sc = result.scenario
    rate = backlog_growth_rate(sc.arrival_rate, sc.mean_service, sc.consumers.count)
    ax = queue_length(result, ax=ax)
    t = np.array([0.0, result.horizon])
    ax.plot(t, rate * t, "--", color=THEORY_COLOR, lw=2,
            label=f"theory (backlog grows at λ − c/E[S] = {rate:.3g} messages/s)")
    return finish(ax, where="upper left")


def partition_lag(lag: "pd.DataFrame", *, shares: Any = None, ax: "Axes | None" = None) -> "Axes":
    """Lag (records published and not yet polled) of each Kafka partition over time (s), from
    :func:`mqsim.teaching.kafka.partition_lag`; ``shares`` (one per partition) go into the
    legend. Each partition has its own colour, line style and marker."""
    ax = new_axes(ax)
    for i, p in enumerate(lag.columns):
        lab = f"partition {p}" + (f" ({float(shares[p]):.0%} of records)" if shares is not None else "")
        color, marker, ls = SERIES_STYLES[i % len(SERIES_STYLES)]
        ax.plot(lag.index, lag[p], ls, color=color, lw=1.6, label=lab, marker=marker, ms=4,
                markevery=max(1, len(lag) // 12))
    ax.set_xlim(0, float(lag.index.max()))
    ax.set_ylim(bottom=0)
    return finish(ax, xlabel="time (s)", ylabel="lag (records not yet polled)", where="upper left")


def load_and_backlog(results: "dict[str, Any]", schedule: Any, *, axes: Any = None) -> Any:
    """Two stacked panels for time-varying traffic: the arrival rate λ(t) of ``schedule`` (a
    :mod:`mqsim.model.arrivals` rate schedule) with each design's capacity c/E[S] as a dashed
    line (top, messages/s), and the messages in the system over one run of each design (bottom).

    results: ``{label: mqsim.Result}`` (runs made with ``trace=True``). Returns the two axes.
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(2, 1, figsize=(9, 6), sharex=True, layout="constrained",
                               gridspec_kw={"height_ratios": [1, 1.4]})
    top, bottom = axes
    horizon = max(r.horizon for r in results.values())
    ts = np.linspace(0.0, horizon, 600)
    top.plot(ts, [schedule.rate(float(t)) for t in ts], color="0.2", lw=2, label="arrival rate λ(t)")
    for k, (lab, res) in enumerate(results.items()):
        sc = res.scenario
        color, _, ls = SERIES_STYLES[k % len(SERIES_STYLES)]
        cap = sc.consumers.count / sc.mean_service
        top.axhline(cap, color=color, ls="--", lw=1.5, label=f"{lab}: capacity c/E[S] = {cap:.3g}/s")
        q = res.queue_length
        bottom.step(q["time"], q["ready"] + q["in_flight"], where="post", color=color, ls=ls, lw=0.9, label=lab)
    top.set_ylim(bottom=0)
    finish(top, ylabel="messages/s", where="right")
    bottom.set_xlim(0, horizon)
    bottom.set_ylim(bottom=0)
    finish(bottom, xlabel="time (s)", ylabel="messages in the system", where="right")
    return axes


def autocorrelation(series: "dict[str, Any]", max_lag: int = 50, ax: "Axes | None" = None) -> "Axes":
    """Sample autocorrelation of successive waits (or any per-message series) against the lag,
    one line per entry of ``series`` ({label: values in time order}), each in its own colour and
    line style."""
    from mqsim.analysis.statistics import autocorrelation as acf

    ax = new_axes(ax)
    for i, (name, x) in enumerate(series.items()):
        r = acf(x, max_lag)
        color, _, ls = SERIES_STYLES[i % len(SERIES_STYLES)]
        ax.plot(np.arange(r.size), r, ls, color=color, lw=2, label=f"simulated ({name})")
    ax.axhline(0, color="0.4", lw=0.8)
    ax.set_xlim(0, max_lag)
    return finish(ax, xlabel="lag k (messages apart)", ylabel="autocorrelation of waits r_k", where="upper right")
