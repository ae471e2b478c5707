"""Curves: a simulated figure (points with confidence intervals) against a swept quantity, over
the formula's line: the hockey stick, saturation, several formulas at once, formula-only curves,
and the theory-only curves of the interactive panels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from mqsim.viz.style import SERIES_STYLES, SIM_COLOR, THEORY_COLOR, THEORY_STYLES, UNITS, finish, label, new_axes, \
    sim_label

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["hockey_stick", "saturation", "ci_curve", "sim_vs_curves", "formula_curves", "pk_wait_curves",
           "kingman_curves"]


def _errorbar(ax: "Axes", x: Any, mean: Any, lo: Any, hi: Any, *, color: str = SIM_COLOR, marker: str = "o",
              text: str = "simulated", **kw: Any) -> None:
    """Simulated means with their interval as error bars (no connecting line)."""
    mean = np.asarray(mean, dtype=float)
    yerr = np.vstack([mean - np.asarray(lo, dtype=float), np.asarray(hi, dtype=float) - mean])
    ax.errorbar(x, mean, yerr=yerr, fmt=marker, color=color, capsize=4, ms=5, label=text, zorder=3, **kw)


def _theory_curve(scenario: Any, path: str, x: str, metric: str, group: str, key: Any, lo: float, hi: float,
                  dense: int) -> tuple[list[float], list[float], str]:
    """The formula :func:`mqsim.theory.for_scenario` picks, on ``dense`` points of ``path``."""
    from mqsim.analysis.theory_join import theory_table
    from mqsim.theory import for_scenario

    xs, ys, formula = [], [], ""
    for v in np.linspace(lo, hi, dense):
        sc = scenario.with_value(path, float(v))
        pred = for_scenario(sc)
        th = theory_table(pred, sc).get((group, key), {})
        if metric in th and np.isfinite(th[metric]):
            xs.append(sc.utilisation if x == "rho" else v)
            ys.append(th[metric])
            formula = formula or pred.formula
    return xs, ys, formula


def hockey_stick(table: "pd.DataFrame", metric: str = "Wq", *, x: str = "rho", scenario: Any = None,
                 path: str | None = None, group: str = "all", key: Any = "all", ax: "Axes | None" = None,
                 dense: int = 200) -> "Axes":
    """Simulated ``metric`` with its confidence interval against ``x`` (default the offered
    utilisation ρ), over the formula's curve.

    table: a :func:`mqsim.sweep` result over one varied path. With ``scenario`` and ``path``
    (the swept dotted path) the formula is drawn as a smooth curve over ``dense`` points through
    :func:`mqsim.theory.for_scenario`; otherwise the table's ``theory`` column is joined.
    """
    ax = new_axes(ax)
    sel = table[(table["metric"] == metric) & (table["group"] == group) & (table["key"] == key)].sort_values(x)
    if sel.empty:
        raise ValueError(f"hockey_stick: no rows for metric={metric!r}, group={group!r}, key={key!r}")
    _errorbar(ax, sel[x], sel["mean"], sel["ci_low"], sel["ci_high"], text=sim_label(sel["n"].max()))
    formula = next((f for f in sel.get("formula", []) if f), "")
    if scenario is not None and path is not None:
        xs, ys, f2 = _theory_curve(scenario, path, x, metric, group, key, float(sel[path].min()),
                                   float(sel[path].max()), dense)
        ax.plot(xs, ys, "-", color=THEORY_COLOR, lw=2, label=f"theory ({formula or f2})", zorder=2)
    elif "theory" in sel and sel["theory"].notna().any():
        ax.plot(sel[x], sel["theory"], "-", color=THEORY_COLOR, lw=2, label=f"theory ({formula})", zorder=2)
    ax.set_ylim(bottom=0)
    if np.all(np.mod(sel[x].to_numpy(dtype=float), 1) == 0):  # e.g. a consumer count: integer ticks
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return finish(ax, xlabel=label(x), ylabel=label(metric), where="upper left")


def saturation(table: "pd.DataFrame", scenario: Any, *, path: str = "producers[0].rate",
               ax: "Axes | None" = None) -> "Axes":
    """Simulated throughput (mean and CI, from a :func:`mqsim.sweep` over the arrival rate at
    ``path``) against the offered rate, with the law X = min(λ, c/E[S]): throughput follows the
    arrivals until the consumers saturate, then stays at their capacity (messages/s)."""
    from mqsim.theory import saturation_throughput

    sel = table[(table["metric"] == "throughput") & (table["group"] == "all")].sort_values(path)
    if sel.empty:
        raise ValueError("saturation: the table has no overall throughput rows")
    cap = saturation_throughput(scenario.mean_service, scenario.consumers.count)
    x = sel[path].to_numpy(dtype=float)
    ax = new_axes(ax)
    xs = np.linspace(0.0, float(x.max()) * 1.05, 120)
    offered = [scenario.with_value(path, float(v)).arrival_rate if v > 0 else 0.0 for v in xs]
    ax.plot(xs, np.minimum(offered, cap), "-", color=THEORY_COLOR, lw=2,
            label=f"theory (X = min(λ, c/E[S]), capacity {cap:g} messages/s)", zorder=2)
    _errorbar(ax, x, sel["mean"], sel["ci_low"], sel["ci_high"], text=sim_label(sel["n"].max()))
    ax.set_xlim(0, xs[-1])
    ax.set_ylim(0, max(cap, float(sel["ci_high"].max())) * 1.15)
    xl = label(path) + ("" if path in UNITS else " (messages/s)")
    return finish(ax, xlabel=xl, ylabel=label("throughput"), where="lower right")


def _same_for_all(groups: list[tuple[Any, "pd.DataFrame"]], x: str, col: str) -> bool:
    """True when column ``col`` has the same values at the same x in every series (one line will do)."""
    ref = groups[0][1].set_index(x)[col]
    return all(sub.set_index(x)[col].reindex(ref.index).equals(ref) for _, sub in groups[1:])


def ci_curve(table: "pd.DataFrame", x: str, *, metric: str = "Wq", theory: "dict[str, str] | None" = None,
             series: str | None = None, logx: bool = False, logy: bool = False, xlabel: str | None = None,
             ax: "Axes | None" = None) -> "Axes":
    """Simulated values with their confidence intervals against ``x``, with one line per formula.

    table columns: ``x``, ``simulated`` (or ``mean``), ``ci_low``, ``ci_high``, optionally ``n``,
    ``series`` (one set of points and lines per value, e.g. a priority level: each in its own
    colour and marker) and the formula columns named in ``theory`` ({column: legend label}, in
    :data:`~mqsim.viz.style.THEORY_STYLES` line styles; NaN values are skipped; a formula that is
    the same for every series is drawn once). metric: what the values are (axis label, unit).
    """
    ax = new_axes(ax)
    mean_col = "simulated" if "simulated" in table else "mean"
    groups = [(None, table)] if series is None else list(table.groupby(series, sort=False))
    n = table["n"].max() if "n" in table else None
    shared = {c for c in (theory or {}) if series is not None and _same_for_all(groups, x, c)}
    for gi, (key, sub) in enumerate(groups):
        sub = sub.sort_values(x)
        color, marker, _ = SERIES_STYLES[gi % len(SERIES_STYLES)] if series is not None else (SIM_COLOR, "o", "-")
        tag = "" if series is None else f"{series} {key}: "
        _errorbar(ax, sub[x], sub[mean_col], sub["ci_low"], sub["ci_high"], color=color, marker=marker,
                  text=tag + sim_label(n))
        for k, (col, lab) in enumerate((theory or {}).items()):
            tcolor, ls, _ = THEORY_STYLES[k % len(THEORY_STYLES)]
            if col in shared and gi > 0:
                continue
            ok = np.isfinite(sub[col].to_numpy(dtype=float))
            if ok.any():
                own = series is not None and col not in shared
                ax.plot(sub.loc[ok, x], sub.loc[ok, col], ls, color=color if own else tcolor, lw=2,
                        label=f"{tag if own else ''}theory ({lab})", zorder=2)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=0)
    return finish(ax, xlabel=xlabel or label(x), ylabel=label(metric), where="above" if series else "inside")


def sim_vs_curves(points: "pd.DataFrame", x: str, curves: "dict[str, tuple[Any, Any]] | None" = None, *,
                  metric: str = "", series: str | None = None, xlabel: str | None = None,
                  ylabel: str | None = None, logy: bool = False, where: str = "inside",
                  ax: "Axes | None" = None) -> "Axes":
    """Simulated points with their confidence intervals against ``x``, over smooth formula curves.

    points columns: ``x``, ``mean`` (or ``simulated``), ``ci_low``, ``ci_high``, optionally ``n``
    and ``series`` (one colour and marker per value, e.g. a system name). curves: ``{legend
    label: (xs, ys)}`` drawn as lines in :data:`~mqsim.viz.style.THEORY_STYLES`. metric: what the
    values are (axis label and unit when ``ylabel`` is not given). where: legend placement
    (:func:`mqsim.viz.style.legend`).
    """
    ax = new_axes(ax)
    mean_col = "simulated" if "simulated" in points else "mean"
    n = points["n"].max() if "n" in points else None
    for k, (lab, (xs, ys)) in enumerate((curves or {}).items()):
        color, ls, _ = THEORY_STYLES[k % len(THEORY_STYLES)]
        ax.plot(xs, ys, ls, color=color, lw=2, label=f"theory ({lab})", zorder=2)
    groups = [(None, points)] if series is None else list(points.groupby(series, sort=False))
    for gi, (key, sub) in enumerate(groups):
        sub = sub.sort_values(x)
        color, marker, _ = SERIES_STYLES[gi % len(SERIES_STYLES)]
        tag = "simulated" if key is None else f"{key}: simulated"
        _errorbar(ax, sub[x], sub[mean_col], sub["ci_low"], sub["ci_high"], color=color, marker=marker,
                  text=sim_label(n, what=tag))
    if logy:
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=0)
    return finish(ax, xlabel=xlabel or label(x), ylabel=ylabel or label(metric), where=where)


def formula_curves(table: "pd.DataFrame", x: str, y: str, *, series: str | None = None, ylabel: str | None = None,
                   reference: float | None = None, logy: bool = False, ax: "Axes | None" = None) -> "Axes":
    """Formula-only lines: ``y`` against ``x``, one line per value of ``series`` (e.g. the
    relative error of an approximation against utilisation for several arrival laws), each with
    its own colour, line style and marker, and an optional horizontal ``reference`` line."""
    ax = new_axes(ax)
    groups = [(None, table)] if series is None else list(table.groupby(series, sort=False))
    for gi, (key, sub) in enumerate(groups):
        color, ls, marker = THEORY_STYLES[gi % len(THEORY_STYLES)]
        sub = sub.sort_values(x)
        ax.plot(sub[x], sub[y], ls, marker=marker, ms=4, color=color, lw=2, label=str(key) if key is not None else y)
    if reference is not None:
        ax.axhline(reference, color="0.5", lw=1)
    if logy:
        ax.set_yscale("log")
    return finish(ax, xlabel=label(x), ylabel=ylabel or label(y))


def pk_wait_curves(rho: float, scv: float, ax: "Axes | None" = None) -> "Axes":
    """Pollaczek–Khinchine's mean wait Wq / E[S] against ρ for deterministic (C_s² = 0),
    exponential (C_s² = 1) and the chosen ``scv`` service, with the chosen ρ marked (theory only)."""
    from mqsim.theory import mg1

    ax = new_axes(ax, (7.0, 3.6))
    xs = np.linspace(0.02, 0.95, 150)
    for k, s in enumerate((0.0, 1.0, scv)):
        color, ls, _ = THEORY_STYLES[(2, 1, 0)[k]]
        ax.plot(xs, [mg1(x, 1.0, s).Wq for x in xs], ls, color=color, lw=2, label=f"theory (P-K, C_s² = {s:g})")
    ax.plot([rho], [mg1(rho, 1.0, scv).Wq], "o", color=THEORY_COLOR)
    ax.set_ylim(0, max(10.0, 1.2 * mg1(rho, 1.0, scv).Wq))
    return finish(ax, xlabel="utilisation ρ", ylabel="mean wait Wq / E[S]", where="upper left")


def kingman_curves(rho: float, ca2: float, cs2: float, exact: Callable[[float], float] | None = None,
                   ax: "Axes | None" = None) -> "Axes":
    """Kingman's 1961 approximation and 1962 upper bound for G/G/1 (E[S] = 1 s) against ρ, and
    ``exact(ρ)`` (s) where one is known; the chosen ρ as a vertical line (theory only)."""
    from mqsim.theory import kingman, kingman_bound

    ax = new_axes(ax, (7.0, 3.6))
    xs = np.linspace(0.05, 0.95, 60)
    ex = [exact(x) for x in xs] if exact is not None else []
    if np.isfinite(ex).any():
        ax.plot(xs, ex, "-", color=THEORY_COLOR, lw=2, label="theory (exact)")
    ax.plot(xs, [kingman(x, ca2, 1.0, cs2).Wq for x in xs], "--", color=THEORY_STYLES[1][0], lw=2,
            label="theory (Kingman 1961 approximation)")
    ax.plot(xs, [kingman_bound(x, ca2, 1.0, cs2) for x in xs], ":", color=THEORY_STYLES[2][0], lw=2,
            label="theory (Kingman 1962 upper bound)")
    ax.axvline(rho, color="0.7", lw=1)
    ax.set_ylim(0, max(5.0, 1.2 * kingman_bound(rho, ca2, 1.0, cs2)))
    return finish(ax, xlabel="utilisation ρ", ylabel="mean wait Wq (s), E[S] = 1 s", where="upper left")
