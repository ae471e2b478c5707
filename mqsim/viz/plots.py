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

__all__ = ["hockey_stick", "queue_length", "wait_cdf", "sojourn_cdf", "wait_hist", "ci_bars", "priority_bars",
           "little_check", "ci_convergence", "autocorrelation", "state_distribution", "warmup_curve",
           "saturation", "backlog_growth", "article_check",
           "UNITS", "LABELS"]

SIM_COLOR, THEORY_COLOR = "#1f6fb4", "#d1495b"
LABELS = {"Wq": "mean wait in queue Wq", "W": "mean time in system W", "L": "mean number in system L",
          "Lq": "mean queue length Lq", "p_wait": "P(wait > 0)", "loss": "loss fraction",
          "throughput": "throughput", "utilisation": "consumer utilisation",
          "wait_p95": "95th percentile of wait", "wait_p99": "99th percentile of wait",
          "sojourn_p95": "95th percentile of sojourn", "sojourn_p99": "99th percentile of sojourn",
          "rho": "offered utilisation rho = lambda E[S] / c", "consumers.count": "consumers c",
          "producers[0].rate": "arrival rate lambda"}
UNITS = {"Wq": "s", "W": "s", "wait_p50": "s", "wait_p95": "s", "wait_p99": "s", "sojourn_p50": "s",
         "sojourn_p95": "s", "sojourn_p99": "s", "L": "messages", "Lq": "messages", "throughput": "messages/s",
         "arrival_rate": "messages/s", "producers[0].rate": "messages/s"}


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
        from mqsim.analysis.theory_join import theory_table
        from mqsim.theory import for_scenario

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
    if np.all(np.mod(sel[x].to_numpy(dtype=float), 1) == 0):  # e.g. a consumer count: integer ticks
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
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


# ----------------------------------------------------------------------------------------------
# distributions of wait and sojourn against the exact law
# ----------------------------------------------------------------------------------------------
def _theory_of(theory: Any) -> tuple[Any, str]:
    """(metrics object or None, legend label) from a QueueMetrics, a Prediction or None."""
    if theory is None:
        return None, ""
    m = theory.metrics if hasattr(theory, "applies") else theory
    if m is None:
        return None, ""
    formula, model = str(getattr(m, "formula", "")), str(getattr(m, "model", ""))
    short = formula.split(" (")[0] or model
    name = short if not model or model == short else f"{short}, {model}"
    return m, f"theory ({name})"


_KIND_TEXT = {"wait": ("Wq", "wait in queue"), "sojourn": ("T", "time in system (sojourn)")}


def _samples(result: Any, kind: str) -> np.ndarray:
    from mqsim.analysis.metrics import samples

    x = samples(result, kind)
    if x.size == 0:
        raise ValueError(f"no {kind} observations after the warm-up: run longer")
    return x


def wait_cdf(result: Any, theory: Any = None, *, kind: str = "wait", tail: bool = False,
             t_max: float | None = None, ax: "Axes | None" = None, points: int = 400) -> "Axes":
    """Empirical distribution of the ``kind`` (``"wait"``: publish to service start, or
    ``"sojourn"``: publish to ack) of the messages published after the warm-up of one run,
    against the exact distribution of ``theory``.

    theory: a metrics object with ``wait_tail``/``sojourn_tail`` (e.g. :func:`mqsim.theory.mmc`,
        :func:`mqsim.theory.mm1`, GI/M/1 results) or a :class:`mqsim.theory.Prediction`.
    tail: plot P(X > t) on a log scale (where percentiles live) instead of P(X <= t).
    t_max: right end of the time axis (s); default the largest observation (tail) or the 99.9th
        percentile. One run's messages are correlated, so the empirical curve wiggles around the
        exact one more than an i.i.d. sample of the same size would.
    """
    if kind not in _KIND_TEXT:
        raise ValueError(f"kind: must be 'wait' or 'sojourn', got {kind!r}")
    sym, text = _KIND_TEXT[kind]
    x = np.sort(_samples(result, kind))
    n = x.size
    if t_max is None:
        t_max = float(x[-1]) if tail else float(np.quantile(x, 0.999))
    ax = _ax(ax)
    xs = np.concatenate([[0.0], x])
    F = np.concatenate([[np.mean(x <= 0.0)], np.searchsorted(x, x, side="right") / n])  # ties: the top of the step
    y = 1.0 - F if tail else F
    keep = (xs <= t_max) & ((y > 0) if tail else True)
    ax.step(xs[keep], y[keep], where="post", color=SIM_COLOR, lw=1.6,
            label=f"simulated ({n:,} messages, one run)")
    m, label = _theory_of(theory)
    if m is not None:
        fn = getattr(m, f"{kind}_tail", None)
        if fn is None:
            raise ValueError(f"theory {label}: has no {kind}_tail(t); give a formula with a known distribution")
        ts = np.linspace(0.0, t_max, points)
        tl = np.array([fn(float(t)) for t in ts])
        ax.plot(ts, tl if tail else 1.0 - tl, "--", color=THEORY_COLOR, lw=2, label=label)
    if tail:
        ax.set_yscale("log")
        ax.set_ylabel(f"P({sym} > t), log scale")
    else:
        ax.set_ylabel(f"P({sym} ≤ t)")
        ax.set_ylim(0, 1.02)
    ax.set_xlim(0, t_max)
    ax.set_xlabel(f"t (s): {text}")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, loc="upper right" if tail else "lower right")
    return ax


def sojourn_cdf(result: Any, theory: Any = None, **kw: Any) -> "Axes":
    """:func:`wait_cdf` for the sojourn (publish to ack, s)."""
    return wait_cdf(result, theory, kind="sojourn", **kw)


def wait_hist(result: Any, theory: Any = None, *, kind: str = "wait", bins: int = 40,
              t_max: float | None = None, ax: "Axes | None" = None) -> "Axes":
    """Histogram (probability density, 1/s) of the wait or sojourn of one run's messages after
    the warm-up, against the exact probability of each bin, P(a < X <= b) / (b - a), from
    ``theory``'s tail function.

    For the wait, the messages that did not wait at all (an atom at 0) are left out of the bars
    and reported in the legend title, so the bars integrate to P(wait > 0).
    t_max: right edge of the last bin (s), default the 99th percentile.
    """
    if kind not in _KIND_TEXT:
        raise ValueError(f"kind: must be 'wait' or 'sojourn', got {kind!r}")
    sym, text = _KIND_TEXT[kind]
    x = _samples(result, kind)
    n = x.size
    if t_max is None:
        t_max = float(np.quantile(x, 0.99)) or float(x.max()) or 1.0
    edges = np.linspace(0.0, t_max, int(bins) + 1)
    width = np.diff(edges)
    pos = x[x > 0] if kind == "wait" else x
    counts, _ = np.histogram(pos, edges)
    ax = _ax(ax)
    ax.stairs(counts / n / width, edges, fill=True, color=SIM_COLOR, alpha=0.45,
              label=f"simulated ({n:,} messages, one run)")
    m, label = _theory_of(theory)
    title = None
    if kind == "wait":
        title = f"P({sym} = 0): simulated {1 - pos.size / n:.3f}"
    if m is not None:
        fn = getattr(m, f"{kind}_tail")
        tails = np.array([fn(float(t)) for t in edges])
        ax.stairs((tails[:-1] - tails[1:]) / width, edges, color=THEORY_COLOR, lw=2, label=label)
        if kind == "wait":
            title += f", theory {1 - fn(0.0):.3f}"
    ax.set_xlim(0, t_max)
    ax.set_xlabel(f"{text} (s)")
    ax.set_ylabel("probability density (1/s)")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, title=title)
    return ax


# ----------------------------------------------------------------------------------------------
# bars: simulated mean with CI against theory
# ----------------------------------------------------------------------------------------------
def ci_bars(table: "pd.DataFrame", *, label: str = "policy", metric: str = "Wq", n: int | None = None,
            confidence: float = 0.95, ax: "Axes | None" = None) -> "Axes":
    """One bar per row of ``table``: the simulated mean with its confidence interval, and the
    theoretical value as a horizontal mark across the bar.

    table columns: ``label`` (bar names), ``simulated`` (or ``mean``), ``ci_low``, ``ci_high``,
    optionally ``theory`` and ``formula`` (shown under each bar's name) and ``n``
    (replications). metric: the metric the values are (for the axis label and unit).
    """
    ax = _ax(ax)
    mean_col = "simulated" if "simulated" in table else "mean"
    x = np.arange(len(table))
    mean = table[mean_col].to_numpy(dtype=float)
    yerr = np.vstack([mean - table["ci_low"].to_numpy(dtype=float), table["ci_high"].to_numpy(dtype=float) - mean])
    reps = n if n is not None else (int(table["n"].max()) if "n" in table else None)
    conf = f"{confidence:.0%} CI" + (f", n={reps}" if reps else "")
    ax.bar(x, mean, width=0.6, color=SIM_COLOR, alpha=0.75, yerr=yerr, capsize=6, ecolor="0.15",
           label=f"simulated ({conf})", zorder=2)
    import textwrap

    names = [textwrap.fill(str(v), 18) for v in table[label]]
    if "theory" in table and table["theory"].notna().any():
        th = table["theory"].to_numpy(dtype=float)
        formulas = [str(f) for f in table["formula"]] if "formula" in table else []
        same = len(set(formulas)) == 1
        lab = f"theory ({formulas[0]})" if formulas and same else "theory (formula under each bar)"
        ax.hlines(th, x - 0.36, x + 0.36, color=THEORY_COLOR, lw=3, label=lab, zorder=3)
        if formulas and not same:
            names = [f"{nm}\n[{f.split(' (')[0]}]" for nm, f in zip(names, formulas)]
    ax.set_xticks(x, names)
    ax.set_ylabel(_label(metric))
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(frameon=False)
    return ax


def priority_bars(reps: Any, prediction: Any = None, *, metric: str = "Wq", confidence: float = 0.95,
                  ax: "Axes | None" = None) -> "Axes":
    """Per-priority simulated ``metric`` (mean and CI over the replications ``reps``, a
    :class:`mqsim.experiment.Replications` made with ``by`` including ``"priority"``) against the
    priority formula (default :func:`mqsim.theory.for_scenario` of ``reps.scenario``).
    Highest priority on the left."""
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
    formula = getattr(pred, "formula", "") or ""
    rows = pd.DataFrame({
        "priority": [f"priority {k}" for k in sel["level"]],
        "simulated": sel["mean"].to_numpy(), "ci_low": sel["ci_low"].to_numpy(), "ci_high": sel["ci_high"].to_numpy(),
        "theory": [th.get(("priority", k), {}).get(metric, np.nan) for k in sel["level"]],
        "formula": formula, "n": sel["n"].to_numpy()})
    ax = ci_bars(rows, label="priority", metric=metric, confidence=confidence, ax=ax)
    ax.set_xlabel("priority level (higher is delivered first)")
    return ax


# ----------------------------------------------------------------------------------------------
# laws and output analysis
# ----------------------------------------------------------------------------------------------
def little_check(results: Any, *, labels: "list[str] | None" = None, ax: "Axes | None" = None) -> "Axes":
    """Little's law on simulated runs: the time-average number in system L (x) against
    rate x mean time in system (y), computed with the admitted rate lambda_eff (on the diagonal,
    as Little's law says) and with the offered rate lambda (above it whenever messages are
    refused). results: one :class:`mqsim.Result` or a list; labels annotate the points
    (default: the offered utilisation). See :func:`mqsim.lessons.flow_balance`."""
    from mqsim.teaching.lessons import flow_balance

    runs = list(results) if isinstance(results, (list, tuple)) else [results]
    if not runs:
        raise ValueError("little_check: give at least one Result")
    fb = [flow_balance(r) for r in runs]
    names = labels or [f"rho = {r.scenario.utilisation:.2f}" for r in runs]
    L = np.array([f["L"] for f in fb])
    ax = _ax(ax)
    xtop = 1.15 * float(L.max())
    ytop = 1.1 * max(float(L.max()), max(f["lam_W"] for f in fb), max(f["lam_eff_W"] for f in fb))
    top = max(xtop, ytop)
    ax.plot([0, top], [0, top], "-", color=THEORY_COLOR, lw=1.5, label="theory (Little's law: L = λ_eff·W)", zorder=1)
    ax.plot(L, [f["lam_eff_W"] for f in fb], "o", color=SIM_COLOR, ms=7,
            label="simulated λ_eff·W (admitted rate)", zorder=3)
    ax.plot(L, [f["lam_W"] for f in fb], "x", color="0.3", ms=8, mew=2,
            label="simulated λ·W (offered rate, refused ones included)", zorder=3)
    for xi, f, nm in zip(L, fb, names):
        ax.annotate(nm, (xi, f["lam_W"]), textcoords="offset points", xytext=(6, 4), fontsize=8, color="0.3")
    ax.set_xlim(0, xtop)
    ax.set_ylim(0, ytop)
    ax.set_xlabel("time-average number in system L (messages)")
    ax.set_ylabel("rate × mean time in system (messages)")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, loc="upper left", fontsize=9)
    return ax


def ci_convergence(values: Any, *, exact: float | None = None, formula: str = "", metric: str = "Wq",
                   target: float | None = None, confidence: float = 0.95, logx: bool | None = None,
                   ax: "Axes | None" = None) -> "Axes":
    """Running mean and confidence interval against the number of replications n, with each
    replication's value as a dot and, if given, the exact value and a relative ``target`` band
    (e.g. 0.05 for +-5 %).

    values: per-replication values in replication order (array), or a
    :class:`mqsim.experiment.Replications` (its overall ``metric``).
    """
    from mqsim.analysis.statistics import running_ci

    if hasattr(values, "runs"):
        r = values.runs
        values = r[r["group"] == "all"].sort_values("replication")[metric].to_numpy(dtype=float)
    v = np.asarray(values, dtype=float)
    rc = running_ci(v, confidence)
    ax = _ax(ax)
    ax.plot(np.arange(1, v.size + 1), v, ".", color=SIM_COLOR, alpha=0.35, ms=4, label="simulated: one replication")
    ax.fill_between(rc["n"], rc["ci_low"], rc["ci_high"], color=SIM_COLOR, alpha=0.2,
                    label=f"simulated: {confidence:.0%} CI of the mean")
    ax.plot(rc["n"], rc["mean"], "-", color=SIM_COLOR, lw=2, label="simulated: mean of the first n")
    if exact is not None:
        ax.axhline(exact, color=THEORY_COLOR, lw=2, label=f"theory ({formula})" if formula else "theory")
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
    ax.set_xlabel("number of replications n")
    ax.set_ylabel(_label(metric))
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, loc="upper right")
    return ax


def autocorrelation(series: "dict[str, Any]", max_lag: int = 50, ax: "Axes | None" = None) -> "Axes":
    """Sample autocorrelation of successive waits (or any per-message series) against the lag, one
    line per entry of ``series`` ({label: values in time order})."""
    from mqsim.analysis.statistics import autocorrelation as acf

    ax = _ax(ax)
    for i, (name, x) in enumerate(series.items()):
        r = acf(x, max_lag)
        ax.plot(np.arange(r.size), r, "-", color=SIM_COLOR, alpha=1.0 - 0.6 * i / max(len(series) - 1, 1),
                lw=2, label=f"simulated ({name})")
    ax.axhline(0, color="0.4", lw=0.8)
    ax.set_xlim(0, max_lag)
    ax.set_xlabel("lag k (messages apart)")
    ax.set_ylabel("autocorrelation of waits r_k")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    return ax


def state_distribution(table: "pd.DataFrame", *, formula: str = "", ax: "Axes | None" = None) -> "Axes":
    """P(N = n) from :func:`mqsim.lessons.state_distribution`: the fraction of time and the
    fraction seen by arriving messages (bars), and the formula (line) if the table has one."""
    ax = _ax(ax)
    n = table["n"].to_numpy()
    ax.bar(n - 0.2, table["time_average"], width=0.4, color=SIM_COLOR, alpha=0.75,
           label="simulated: fraction of time")
    ax.bar(n + 0.2, table["seen_by_arrivals"], width=0.4, color="#7fb3d5", alpha=0.9,
           label="simulated: seen by arriving messages")
    if "theory" in table:
        ax.plot(n, table["theory"], "o-", color=THEORY_COLOR, ms=4, lw=1.5,
                label=f"theory ({formula})" if formula else "theory")
    ax.set_xlabel("number of messages in the system n")
    ax.set_ylabel("probability P(N = n)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(frameon=False)
    return ax


def warmup_curve(table: "pd.DataFrame", *, exact: float | None = None, formula: str = "",
                 warmup: float | None = None, ax: "Axes | None" = None) -> "Axes":
    """Welch's plot from :func:`mqsim.analysis.warmup_curve`: the mean wait of the messages
    published around time t after an empty start (averaged over replications, with a 95% band),
    against the steady-state value; ``warmup`` (s) shades the period to discard."""
    ax = _ax(ax)
    ax.fill_between(table["t"], table["ci_low"], table["ci_high"], color=SIM_COLOR, alpha=0.2,
                    label="simulated: 95% CI over replications")
    ax.plot(table["t"], table["mean"], "o-", color=SIM_COLOR, ms=3, lw=1.5,
            label="simulated: mean wait of the j-th message")
    if exact is not None:
        ax.axhline(exact, color=THEORY_COLOR, lw=2, label=f"theory ({formula}, steady state)" if formula else "theory")
    if warmup:
        ax.axvspan(0, warmup, color="0.85", label="warm-up (discard)", zorder=0)
    ax.set_xlim(0, float(table["t"].max()) * 1.02)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("mean publish time of the j-th message (s since the empty start)")
    ax.set_ylabel("mean wait in queue (s)")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, loc="lower right")
    return ax


# ----------------------------------------------------------------------------------------------
# flow balance: saturation, backlog growth, and the article's Q = M x P
# ----------------------------------------------------------------------------------------------
def saturation(table: "pd.DataFrame", scenario: Any, *, path: str = "producers[0].rate",
               ax: "Axes | None" = None) -> "Axes":
    """Simulated throughput (mean and CI, from a :func:`mqsim.sweep` over the arrival rate at
    ``path``) against the offered rate, with the law X = min(lambda, c/E[S]): throughput follows
    the arrivals until the consumers saturate, then stays at their capacity."""
    from mqsim.theory import saturation_throughput

    sel = table[(table["metric"] == "throughput") & (table["group"] == "all")].sort_values(path)
    if sel.empty:
        raise ValueError("saturation: the table has no overall throughput rows")
    cap = saturation_throughput(scenario.mean_service, scenario.consumers.count)
    x = sel[path].to_numpy(dtype=float)
    ax = _ax(ax)
    xs = np.linspace(0.0, float(x.max()) * 1.05, 120)
    offered = [scenario.with_value(path, float(v)).arrival_rate if v > 0 else 0.0 for v in xs]
    ax.plot(xs, np.minimum(offered, cap), "-", color=THEORY_COLOR, lw=2,
            label=f"theory (X = min(λ, c/E[S]), capacity {cap:g} msg/s)", zorder=2)
    yerr = np.vstack([sel["mean"] - sel["ci_low"], sel["ci_high"] - sel["mean"]])
    ax.errorbar(x, sel["mean"], yerr=yerr, fmt="o", color=SIM_COLOR, capsize=4, ms=5,
                label=f"simulated (95% CI, n={int(sel['n'].max())})", zorder=3)
    ax.set_xlim(0, xs[-1])
    ax.set_ylim(0, max(cap, float(sel["ci_high"].max())) * 1.15)
    ax.set_xlabel(_label(path) + (" (messages/s)" if path not in UNITS else ""))
    ax.set_ylabel(_label("throughput"))
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, loc="lower right")
    return ax


def backlog_growth(result: Any, *, ax: "Axes | None" = None) -> "Axes":
    """Messages in the system over one run of an overloaded queue, with the backlog line
    (lambda - c/E[S])*t that the flow balance predicts (it grows without bound)."""
    from mqsim.theory import backlog_growth_rate

    sc = result.scenario
    rate = backlog_growth_rate(sc.arrival_rate, sc.mean_service, sc.consumers.count)
    ax = queue_length(result, ax=ax)
    t = np.array([0.0, result.horizon])
    ax.plot(t, rate * t, "--", color=THEORY_COLOR, lw=2,
            label=f"theory (backlog grows at λ − c/E[S] = {rate:.3g} msg/s)")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, loc="upper left")
    return ax


def article_check(table: "pd.DataFrame", *, ax: "Axes | None" = None) -> "Axes":
    """The article's Q = M x P against the mean number in the system L, simulated (CI) and exact
    (M/M/1), over utilisation; from :func:`mqsim.lessons.article_comparison`."""
    ax = _ax(ax)
    rho = table["rho"].to_numpy(dtype=float)
    P = float(table.attrs.get("mean_service", (table["article Q = M x P"] / table["M (msg/s)"]).iloc[0]))
    xs = np.linspace(0.0, float(rho.max()) * 1.02, 200)
    ax.plot(xs, xs / (1 - xs), "-", color=THEORY_COLOR, lw=2, label="theory (M/M/1: L = ρ/(1 − ρ))", zorder=2)
    ax.plot(xs, xs, ":", color="0.3", lw=2, label=f"article: Q = M × P (P = {P:g} s)", zorder=2)
    yerr = np.vstack([table["L simulated"] - table["ci_low"], table["ci_high"] - table["L simulated"]])
    n = table.attrs.get("n")
    ax.errorbar(rho, table["L simulated"], yerr=yerr, fmt="o", color=SIM_COLOR, capsize=4, ms=5,
                label=f"simulated L (95% CI{', n=' + str(n) if n else ''})", zorder=3)
    ax.set_xlim(0, xs[-1])
    ax.set_ylim(bottom=0)
    ax.set_xlabel(_label("rho"))
    ax.set_ylabel(_label("L"))
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, loc="upper left")
    return ax


# ----------------------------------------------------------------------------------------------
# notebooks 05-08: several formulas beside one simulated figure (tables from mqsim.lessons2)
# ----------------------------------------------------------------------------------------------
__all__ += ["ci_curve", "marks_bars", "curves"]

#: styles for the 1st, 2nd, ... formula drawn beside a simulated figure
MARK_STYLES = ((THEORY_COLOR, "-", "o"), ("#edae49", "--", "s"), ("0.35", ":", "^"), ("#66a182", "-.", "D"))


def ci_curve(table: "pd.DataFrame", x: str, *, metric: str = "Wq", theory: "dict[str, str] | None" = None,
             series: str | None = None, logx: bool = False, logy: bool = False, xlabel: str | None = None,
             ax: "Axes | None" = None) -> "Axes":
    """Simulated values with their confidence intervals against ``x``, with one line per formula.

    table columns: ``x``, ``simulated`` (or ``mean``), ``ci_low``, ``ci_high``, optionally ``n``,
    ``series`` (one set of points and lines per value, e.g. a priority level) and the formula
    columns named in ``theory`` ({column: legend label}, drawn in :data:`MARK_STYLES` order; NaN
    values are skipped). metric: what the values are (axis label and unit).
    """
    ax = _ax(ax)
    mean_col = "simulated" if "simulated" in table else "mean"
    groups = [(None, table)] if series is None else list(table.groupby(series, sort=False))
    reps = f", n={int(table['n'].max())}" if "n" in table else ""
    for gi, (key, sub) in enumerate(groups):
        sub = sub.sort_values(x)
        tag = "" if series is None else f"{series} {key}: "
        alpha = 1.0 - 0.45 * gi / max(len(groups) - 1, 1)
        marker = MARK_STYLES[gi % len(MARK_STYLES)][2]
        yerr = np.vstack([sub[mean_col] - sub["ci_low"], sub["ci_high"] - sub[mean_col]])
        ax.errorbar(sub[x], sub[mean_col], yerr=yerr, fmt=marker, color=SIM_COLOR, capsize=4, ms=5,
                    label=f"{tag}simulated (95% CI{reps})", zorder=3)
        for k, (col, lab) in enumerate((theory or {}).items()):
            color, ls, _ = MARK_STYLES[k % len(MARK_STYLES)]
            ok = sub[col].notna() & np.isfinite(sub[col].to_numpy(dtype=float))
            if ok.any():
                ax.plot(sub.loc[ok, x], sub.loc[ok, col], ls, color=color, lw=2, alpha=alpha,
                        label=f"{tag}theory ({lab})", zorder=2)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=0)
    ax.set_xlabel(xlabel or _label(x))
    ax.set_ylabel(_label(metric))
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=9)
    return ax


def marks_bars(table: "pd.DataFrame", *, label: str, marks: "dict[str, str]", metric: str = "Wq",
               relative_to: str | None = None, ax: "Axes | None" = None) -> "Axes":
    """One bar per row: the simulated mean with its confidence interval, and a short horizontal
    mark per formula column in ``marks`` ({column: legend label}, e.g. exact value, approximation,
    upper bound), in :data:`MARK_STYLES` order; NaN marks are left out.

    table columns: ``label`` (bar names), ``simulated`` (or ``mean``), ``ci_low``, ``ci_high``,
    optionally ``n`` (replications), and the ``marks`` columns.
    relative_to: a column (e.g. the exact value) to divide everything by, to show differences of
    a few per cent; the simulated values are then drawn as points with error bars around 1.
    """
    import textwrap

    ax = _ax(ax)
    mean_col = "simulated" if "simulated" in table else "mean"
    x = np.arange(len(table))
    scale = table[relative_to].to_numpy(dtype=float) if relative_to else np.ones(len(table))
    mean = table[mean_col].to_numpy(dtype=float) / scale
    yerr = np.vstack([mean - table["ci_low"].to_numpy(dtype=float) / scale,
                      table["ci_high"].to_numpy(dtype=float) / scale - mean])
    reps = f", n={int(table['n'].max())}" if "n" in table else ""
    if relative_to:
        ax.errorbar(x, mean, yerr=yerr, fmt="o", color=SIM_COLOR, capsize=8, ms=8, lw=2,
                    label=f"simulated (95% CI{reps})", zorder=5)
    else:
        ax.bar(x, mean, width=0.6, color=SIM_COLOR, alpha=0.55, yerr=yerr, capsize=6, ecolor="0.15",
               label=f"simulated (95% CI{reps})", zorder=2)
    k_all = max(len(marks), 1)
    for k, (col, lab) in enumerate(marks.items()):
        color, ls, marker = MARK_STYLES[k % len(MARK_STYLES)]
        v = table[col].to_numpy(dtype=float) / scale
        ok = np.isfinite(v)
        if not ok.any():
            continue
        off = (k - (k_all - 1) / 2) * 0.12
        ax.hlines(v[ok], x[ok] - 0.34, x[ok] + 0.34, color=color, lw=2.5, linestyles=ls, zorder=3)
        ax.plot(x[ok] + off, v[ok], marker, color=color, ms=7, ls="none", label=f"theory ({lab})", zorder=4)
    ax.set_xticks(x, [textwrap.fill(str(v), 18) for v in table[label]])
    if relative_to:
        ax.set_xlim(-0.6, len(table) - 0.4)
        ax.set_ylabel(f"{LABELS.get(metric, metric)} / {relative_to}")
    else:
        ax.set_ylabel(_label(metric))
        ax.set_ylim(bottom=0)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(frameon=False, fontsize=9)
    return ax


def curves(table: "pd.DataFrame", x: str, y: str, *, series: str | None = None, ylabel: str | None = None,
           reference: float | None = None, logy: bool = False, ax: "Axes | None" = None) -> "Axes":
    """Formula-only lines: ``y`` against ``x``, one line per value of ``series`` (e.g. the
    relative error of an approximation against utilisation for several arrival laws), with an
    optional horizontal ``reference`` line (e.g. 0)."""
    ax = _ax(ax)
    groups = [(None, table)] if series is None else list(table.groupby(series, sort=False))
    for gi, (key, sub) in enumerate(groups):
        color, ls, _ = MARK_STYLES[gi % len(MARK_STYLES)]
        sub = sub.sort_values(x)
        ax.plot(sub[x], sub[y], ls, color=color, lw=2, label=str(key) if key is not None else y)
    if reference is not None:
        ax.axhline(reference, color="0.5", lw=1)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(_label(x))
    ax.set_ylabel(ylabel or _label(y))
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=9)
    return ax


# ----------------------------------------------------------------------------------------------
# notebooks 09-12: smooth formula curves, Kafka lag, end-to-end times, load over time
# (tables from mqsim.lessons3)
# ----------------------------------------------------------------------------------------------
__all__ += ["sim_vs_curves", "partition_lag", "hist_vs_density", "load_and_backlog"]

_CURVE_STYLES = ((THEORY_COLOR, "-"), ("#edae49", "--"), ("0.35", ":"), ("#66a182", "-."))
_SERIES_MARKERS = ("o", "s", "^", "D")


def sim_vs_curves(points: "pd.DataFrame", x: str, curves: "dict[str, tuple[Any, Any]] | None" = None, *,
                  metric: str = "", series: str | None = None, xlabel: str | None = None,
                  ylabel: str | None = None, logy: bool = False, ax: "Axes | None" = None) -> "Axes":
    """Simulated points with their confidence intervals against ``x``, over smooth formula curves.

    points columns: ``x``, ``mean`` (or ``simulated``), ``ci_low``, ``ci_high``, optionally ``n``
    and ``series`` (one marker per value, e.g. a system name). curves: ``{legend label: (xs, ys)}``
    drawn as lines (e.g. a formula evaluated on a dense grid). metric: what the values are (axis
    label and unit when ``ylabel`` is not given).
    """
    ax = _ax(ax)
    mean_col = "simulated" if "simulated" in points else "mean"
    reps = f", n={int(points['n'].max())}" if "n" in points else ""
    for k, (lab, (xs, ys)) in enumerate((curves or {}).items()):
        color, ls = _CURVE_STYLES[k % len(_CURVE_STYLES)]
        ax.plot(xs, ys, ls, color=color, lw=2, label=f"theory ({lab})", zorder=2)
    groups = [(None, points)] if series is None else list(points.groupby(series, sort=False))
    colors = (SIM_COLOR, "#7a4f9e", "#2a9d8f", "0.2")
    for gi, (key, sub) in enumerate(groups):
        sub = sub.sort_values(x)
        yerr = np.vstack([sub[mean_col] - sub["ci_low"], sub["ci_high"] - sub[mean_col]])
        tag = "simulated" if key is None else f"{key}: simulated"
        ax.errorbar(sub[x], sub[mean_col], yerr=yerr, fmt=_SERIES_MARKERS[gi % len(_SERIES_MARKERS)],
                    color=colors[gi % len(colors)], capsize=4, ms=6, label=f"{tag} (95% CI{reps})", zorder=3)
    if logy:
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=0)
    ax.set_xlabel(xlabel or _label(x))
    ax.set_ylabel(ylabel or _label(metric))
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=9)
    return ax


def partition_lag(lag: "pd.DataFrame", *, shares: Any = None, ax: "Axes | None" = None) -> "Axes":
    """Lag (records published and not yet polled) of each Kafka partition over time, from
    :func:`mqsim.lessons3.partition_lag`; ``shares`` (one per partition) go into the legend."""
    ax = _ax(ax)
    for p in lag.columns:
        lab = f"partition {p}" + (f" ({float(shares[p]):.0%} of records)" if shares is not None else "")
        ax.plot(lag.index, lag[p], lw=1.6, label=lab)
    ax.set_xlim(0, float(lag.index.max()))
    ax.set_ylim(bottom=0)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("lag (records not yet polled)")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=9, loc="upper left")
    return ax


def hist_vs_density(samples: Any, pdf: Any, *, label: str = "", bins: int = 40, t_max: float | None = None,
                    xlabel: str = "time (s)", ax: "Axes | None" = None) -> "Axes":
    """Histogram (probability density, 1/s) of simulated durations ``samples`` (s) against a
    probability density function ``pdf`` (a callable of an array of times, in 1/s) named
    ``label``. t_max: right edge (default the 99th percentile)."""
    x = np.asarray(samples, dtype=float)
    if x.size == 0:
        raise ValueError("hist_vs_density: no samples")
    if t_max is None:
        t_max = float(np.quantile(x, 0.99))
    ax = _ax(ax)
    edges = np.linspace(0.0, t_max, int(bins) + 1)
    counts, _ = np.histogram(x, edges)
    ax.stairs(counts / x.size / np.diff(edges), edges, fill=True, color=SIM_COLOR, alpha=0.45,
              label=f"simulated ({x.size:,} messages, one run)")
    ts = np.linspace(0.0, t_max, 400)
    ax.plot(ts, pdf(ts), "-", color=THEORY_COLOR, lw=2, label=f"theory ({label})" if label else "theory")
    ax.set_xlim(0, t_max)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("probability density (1/s)")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    return ax


def load_and_backlog(results: "dict[str, Any]", schedule: Any, *, axes: Any = None) -> Any:
    """Two stacked panels for time-varying traffic: the arrival rate lambda(t) of ``schedule``
    (a :mod:`mqsim.arrivals` rate schedule) with each design's capacity c/E[S] as a dashed line
    (top), and the messages in the system over one run of each design (bottom).

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
    colors = (SIM_COLOR, "#edae49", "#66a182", "#7a4f9e")
    for k, (lab, res) in enumerate(results.items()):
        sc = res.scenario
        col = colors[k % len(colors)]
        cap = sc.consumers.count / sc.mean_service
        top.axhline(cap, color=col, ls="--", lw=1.5, label=f"{lab}: capacity c/E[S] = {cap:.3g}/s")
        q = res.queue_length
        bottom.step(q["time"], q["ready"] + q["in_flight"], where="post", color=col, lw=0.9, label=lab)
    top.set_ylabel("messages/s")
    top.set_ylim(bottom=0)
    top.grid(alpha=0.3)
    top.legend(frameon=False, fontsize=9, loc="lower right")
    bottom.set_xlim(0, horizon)
    bottom.set_ylim(bottom=0)
    bottom.set_xlabel("time (s)")
    bottom.set_ylabel("messages in the system")
    bottom.grid(alpha=0.3)
    bottom.legend(frameon=False, fontsize=9, loc="upper left")
    return axes


__all__ += ["sizing_evidence"]


def sizing_evidence(result: Any, ax: "Axes | None" = None) -> "Axes":
    """A :class:`mqsim.SizingResult`: the SLO metric against the consumer count: simulated mean with its CI, the formula,
    the threshold, and the answer marked."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    ev = result.evidence[result.evidence["n"] > 0].sort_values("consumers")
    yerr = np.vstack([ev["mean"] - ev["ci_low"], ev["ci_high"] - ev["mean"]])
    ax.errorbar(ev["consumers"], ev["mean"], yerr=yerr, fmt="o", color=SIM_COLOR, capsize=4,
                label=f"simulated ({result.confidence:.0%} CI)", zorder=3)
    fv = result.evidence.sort_values("consumers")
    fv = fv[np.isfinite(fv["formula"].astype(float))]
    if not fv.empty:
        ax.plot(fv["consumers"], fv["formula"], "s--", color=THEORY_COLOR, ms=4,
                label=f"formula ({result.formula})")
    ax.axhline(result.slo.threshold, color="k", lw=1, ls=":", label=f"SLO {result.slo}")
    if result.answer is not None:
        ax.axvline(result.answer, color="0.5", lw=1, ls="--", label=f"answer: {result.answer} consumers")
    ax.set_xlabel("consumers")
    ax.set_ylabel(result.slo.metric.name + (" (s)" if result.slo.metric.unit == "s" else ""))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    return ax
