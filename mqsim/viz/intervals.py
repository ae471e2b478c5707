"""Intervals: simulated means with their confidence intervals as bars or points, with formula
values marked across them, and the running interval of a growing number of replications."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np

from mqsim.viz.style import LABELS, SIM_COLOR, THEORY_COLOR, THEORY_STYLES, finish, new_axes, sim_label
from mqsim.viz.style import label as axis_label

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["ci_bars", "priority_bars", "marks_bars", "ci_convergence"]


def _names(values: Any) -> list[str]:
    """Bar names wrapped to fit under their bar (narrower when there are many bars)."""
    values = [str(v) for v in values]
    width = 18 if len(values) <= 5 else 11
    return [textwrap.fill(v, width) for v in values]


def _bars(ax: "Axes", table: "pd.DataFrame", scale: np.ndarray, *, points: bool, confidence: float = 0.95,
          n: Any = None) -> np.ndarray:
    """Simulated means (bars, or points when ``points``) with their CI; returns the x positions."""
    mean_col = "simulated" if "simulated" in table else "mean"
    x = np.arange(len(table))
    mean = table[mean_col].to_numpy(dtype=float) / scale
    yerr = np.vstack([mean - table["ci_low"].to_numpy(dtype=float) / scale,
                      table["ci_high"].to_numpy(dtype=float) / scale - mean])
    reps = n if n is not None else (table["n"].max() if "n" in table else None)
    text = sim_label(reps, confidence)
    if points:
        ax.errorbar(x, mean, yerr=yerr, fmt="o", color=SIM_COLOR, capsize=8, ms=8, lw=2, label=text, zorder=5)
    else:
        ax.bar(x, mean, width=0.6, color=SIM_COLOR, alpha=0.55, yerr=yerr, capsize=6, ecolor="0.15", label=text,
               zorder=2)
    return x


def ci_bars(table: "pd.DataFrame", *, label: str = "policy", metric: str = "Wq", n: int | None = None,
            confidence: float = 0.95, ax: "Axes | None" = None) -> "Axes":
    """One bar per row of ``table``: the simulated mean with its confidence interval, and the
    theoretical value as a horizontal mark across the bar.

    table columns: ``label`` (bar names), ``simulated`` (or ``mean``), ``ci_low``, ``ci_high``,
    optionally ``theory`` and ``formula`` (shown under each bar's name when they differ) and
    ``n`` (replications). metric: what the values are (axis label and unit).
    """
    ax = new_axes(ax)
    x = _bars(ax, table, np.ones(len(table)), points=False, confidence=confidence, n=n)
    names = _names(table[label])
    if "theory" in table and table["theory"].notna().any():
        th = table["theory"].to_numpy(dtype=float)
        formulas = [str(f) for f in table["formula"]] if "formula" in table else []
        same = len(set(formulas)) == 1
        lab = f"theory ({formulas[0]})" if formulas and same else "theory (formula under each bar)"
        ax.hlines(th, x - 0.36, x + 0.36, color=THEORY_COLOR, lw=3, label=lab, zorder=3)
        if formulas and not same:
            names = [f"{nm}\n[{f.split(' (')[0]}]" for nm, f in zip(names, formulas)]
    ax.set_xticks(x, names)
    ax.set_ylim(bottom=0)
    return finish(ax, ylabel=axis_label(metric), grid="y", where="above")


def priority_bars(reps: Any, prediction: Any = None, *, metric: str = "Wq", confidence: float = 0.95,
                  ax: "Axes | None" = None) -> "Axes":
    """Per-priority simulated ``metric`` (mean and CI over the replications ``reps``, a
    :class:`mqsim.Replications` made with ``by`` including ``"priority"``) against the priority
    formula (default :func:`mqsim.theory.for_scenario` of ``reps.scenario``). Highest priority
    on the left."""
    import pandas as pd

    from mqsim.analysis.theory_join import theory_table
    from mqsim.theory import for_scenario

    t = reps.table(confidence)
    sel = t[(t["group"] == "priority") & (t["metric"] == metric)]
    if sel.empty:
        raise ValueError("priority_bars: no per-priority rows; replicate with by=('priority',)")
    sel = sel.assign(level=sel["key"].astype(int)).sort_values("level", ascending=False)
    pred = prediction if prediction is not None else for_scenario(reps.scenario)
    th = theory_table(pred, reps.scenario)
    rows = pd.DataFrame({
        "priority": [f"priority {k}" for k in sel["level"]],
        "simulated": sel["mean"].to_numpy(), "ci_low": sel["ci_low"].to_numpy(), "ci_high": sel["ci_high"].to_numpy(),
        "theory": [th.get(("priority", k), {}).get(metric, np.nan) for k in sel["level"]],
        "formula": getattr(pred, "formula", "") or "", "n": sel["n"].to_numpy()})
    ax = ci_bars(rows, label="priority", metric=metric, confidence=confidence, ax=ax)
    ax.set_xlabel("priority level (higher is delivered first)")
    return ax


def marks_bars(table: "pd.DataFrame", *, label: str, marks: "dict[str, str]", metric: str = "Wq",
               relative_to: str | None = None, ax: "Axes | None" = None) -> "Axes":
    """One bar per row: the simulated mean with its confidence interval, and a short horizontal
    mark per formula column in ``marks`` ({column: legend label}, e.g. exact value,
    approximation, upper bound), each in its own colour, line style and marker
    (:data:`~mqsim.viz.style.THEORY_STYLES`); NaN marks are left out. The legend sits beside the
    axes, off the bars.

    table columns: ``label`` (bar names), ``simulated`` (or ``mean``), ``ci_low``, ``ci_high``,
    optionally ``n`` (replications), and the ``marks`` columns.
    relative_to: a column (e.g. the exact value) to divide everything by, to show differences of
    a few per cent; the simulated values are then drawn as points with error bars around 1.
    """
    ax = new_axes(ax)
    scale = table[relative_to].to_numpy(dtype=float) if relative_to else np.ones(len(table))
    x = _bars(ax, table, scale, points=bool(relative_to))
    k_all = max(len(marks), 1)
    for k, (col, lab) in enumerate(marks.items()):
        color, ls, marker = THEORY_STYLES[k % len(THEORY_STYLES)]
        v = table[col].to_numpy(dtype=float) / scale
        ok = np.isfinite(v)
        if not ok.any():
            continue
        off = (k - (k_all - 1) / 2) * 0.12
        ax.hlines(v[ok], x[ok] - 0.34, x[ok] + 0.34, color=color, lw=2.5, linestyles=ls, zorder=3)
        ax.plot(x[ok] + off, v[ok], marker, color=color, ms=7, ls="none", label=f"theory ({lab})", zorder=4)
    ax.set_xticks(x, _names(table[label]))
    if relative_to:
        ax.set_xlim(-0.6, len(table) - 0.4)
        ylab = f"{LABELS.get(metric, metric)} / {relative_to}"
    else:
        ax.set_ylim(bottom=0)
        ylab = axis_label(metric)
    return finish(ax, ylabel=ylab, grid="y", where="above")


def ci_convergence(values: Any, *, exact: float | None = None, formula: str = "", metric: str = "Wq",
                   target: float | None = None, confidence: float = 0.95, logx: bool | None = None,
                   ax: "Axes | None" = None) -> "Axes":
    """Running mean and confidence interval against the number of replications n, with each
    replication's value as a dot and, if given, the exact value and a relative ``target`` band
    (e.g. 0.05 for ±5 %).

    values: per-replication values in replication order (array), or a
    :class:`mqsim.Replications` (its overall ``metric``).
    """
    from mqsim.analysis.statistics import running_ci

    if hasattr(values, "runs"):
        r = values.runs
        values = r[r["group"] == "all"].sort_values("replication")[metric].to_numpy(dtype=float)
    v = np.asarray(values, dtype=float)
    rc = running_ci(v, confidence)
    ax = new_axes(ax)
    ax.plot(np.arange(1, v.size + 1), v, ".", color=SIM_COLOR, alpha=0.35, ms=4, label="simulated: one replication")
    ax.fill_between(rc["n"], rc["ci_low"], rc["ci_high"], color=SIM_COLOR, alpha=0.2,
                    label=f"simulated: {confidence:.0%} CI of the mean")
    ax.plot(rc["n"], rc["mean"], "-", color=SIM_COLOR, lw=2, label="simulated: mean of the first n")
    if exact is not None:
        ax.axhline(exact, color=THEORY_COLOR, ls="--", lw=2, label=f"theory ({formula})" if formula else "theory")
        if target:
            for s in (-1, 1):
                ax.axhline(exact * (1 + s * target), color=THEORY_COLOR, ls=":", lw=1.2,
                           label=f"theory ± {target:.0%}" if s > 0 else None)
    if logx if logx is not None else v.size > 60:
        ax.set_xscale("log")
    settled = rc[rc["n"] >= min(5, v.size)]  # the first intervals are huge: keep them from setting the scale
    lo = min(float(np.min(v)), float(settled["ci_low"].min()), exact if exact is not None else np.inf)
    hi = max(float(np.quantile(v, 0.99)), float(settled["ci_high"].max()), exact if exact is not None else -np.inf)
    pad = 0.08 * (hi - lo)
    ax.set_ylim(lo - pad if lo < 0 else max(0.0, lo - pad), hi + pad)
    ax.set_xlim(1, v.size)
    return finish(ax, xlabel="number of replications n", ylabel=axis_label(metric), where="above")
