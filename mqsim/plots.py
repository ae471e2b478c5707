"""Matplotlib figures from results and DataFrames: simulated values beside the formula.

Every function takes data (a :class:`mqsim.Result` or a tidy DataFrame from
:func:`mqsim.sweep`), draws on ``ax`` (a new figure when None) and returns the axes.
Simulated values are labelled "simulated (95% CI)", formulas "theory (<formula name>)".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["hockey_stick", "queue_length", "UNITS", "LABELS"]

SIM_COLOR, THEORY_COLOR = "#1f6fb4", "#d1495b"
LABELS = {"Wq": "mean wait in queue Wq", "W": "mean time in system W", "L": "mean number in system L",
          "Lq": "mean queue length Lq", "p_wait": "P(wait > 0)", "loss": "loss fraction",
          "throughput": "throughput", "utilisation": "consumer utilisation",
          "wait_p95": "95th percentile of wait", "wait_p99": "99th percentile of wait",
          "sojourn_p95": "95th percentile of sojourn", "sojourn_p99": "99th percentile of sojourn",
          "rho": "offered utilisation rho = lambda E[S] / c"}
UNITS = {"Wq": "s", "W": "s", "wait_p50": "s", "wait_p95": "s", "wait_p99": "s", "sojourn_p50": "s",
         "sojourn_p95": "s", "sojourn_p99": "s", "L": "messages", "Lq": "messages", "throughput": "messages/s"}


def _ax(ax: "Axes | None") -> "Axes":
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    return ax


def _label(metric: str) -> str:
    u = UNITS.get(metric)
    return f"{LABELS.get(metric, metric)} ({u})" if u else LABELS.get(metric, metric)


def hockey_stick(table: "pd.DataFrame", metric: str = "Wq", *, x: str = "rho", scenario: Any = None,
                 path: str | None = None, group: str = "all", key: Any = "all", ax: "Axes | None" = None,
                 dense: int = 200) -> "Axes":
    """Simulated ``metric`` with its confidence interval against ``x`` (default utilisation), over
    the formula's curve.

    table: a :func:`mqsim.sweep` result over one varied path. With ``scenario`` and ``path``
    (the swept dotted path) the formula is drawn as a smooth curve over ``dense`` points
    through :func:`mqsim.theory.for_scenario`; otherwise the table's ``theory`` column is joined.
    """
    ax = _ax(ax)
    sel = table[(table["metric"] == metric) & (table["group"] == group) & (table["key"] == key)].sort_values(x)
    if sel.empty:
        raise ValueError(f"hockey_stick: no rows for metric={metric!r}, group={group!r}, key={key!r}")
    yerr = np.vstack([sel["mean"] - sel["ci_low"], sel["ci_high"] - sel["mean"]])
    conf = "95% CI"
    ax.errorbar(sel[x], sel["mean"], yerr=yerr, fmt="o", color=SIM_COLOR, capsize=4, ms=5,
                label=f"simulated ({conf}, n={int(sel['n'].max())})", zorder=3)
    formula = next((f for f in sel.get("formula", []) if f), "")
    if scenario is not None and path is not None:
        from .compare import theory_table
        from .theory import for_scenario

        lo, hi = float(sel[path].min()), float(sel[path].max())
        xs, ys = [], []
        for v in np.linspace(lo, hi * 1.0, dense):
            sc = scenario.with_value(path, float(v))
            pred = for_scenario(sc)
            th = theory_table(pred, sc).get((group, key), {})
            if metric in th and np.isfinite(th[metric]):
                xs.append(sc.utilisation if x == "rho" else v)
                ys.append(th[metric])
                formula = formula or pred.formula
        ax.plot(xs, ys, "-", color=THEORY_COLOR, lw=2, label=f"theory ({formula})", zorder=2)
    elif "theory" in sel and sel["theory"].notna().any():
        ax.plot(sel[x], sel["theory"], "-", color=THEORY_COLOR, lw=2, label=f"theory ({formula})", zorder=2)
    ax.set_xlabel(_label(x))
    ax.set_ylabel(_label(metric))
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    return ax


def queue_length(result: Any, *, ax: "Axes | None" = None, theory: float | None = None,
                 column: str = "in_system") -> "Axes":
    """The number of messages over time (a step plot), with the warm-up shaded and, if given,
    the theoretical mean as a horizontal line. column: ``in_system`` (ready + in flight),
    ``ready``, ``in_flight`` or ``busy``."""
    ax = _ax(ax)
    q = result.queue_length
    y = q["ready"] + q["in_flight"] if column == "in_system" else q[column]
    ax.step(q["time"], y, where="post", color=SIM_COLOR, lw=0.8, label=f"simulated ({column.replace('_', ' ')})")
    if result.warmup > 0:
        ax.axvspan(0, result.warmup, color="0.85", label="warm-up (excluded)")
    if theory is not None:
        ax.axhline(theory, color=THEORY_COLOR, lw=2, label="theory (mean)")
    ax.set_xlim(0, result.horizon)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("messages")
    ax.legend(frameon=False, loc="upper right")
    return ax
